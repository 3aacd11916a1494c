/**
 * `dialogue compare`: several analyses side by side — a table of the runs, then every agent's
 * figures in columns (run, agent), e.g. one scenario with different models.
 */
import { table } from "./format.js";
import { agentRows, runRows, type Row } from "./report-rows.js";
import type { Analysis } from "./schema.js";

export function compareRows(analyses: readonly Analysis[]): { runs: Row[]; agents: Row[] } {
  const runTables = analyses.map(runRows);
  const runs: Row[] = [
    ["run", ...analyses.map((a) => a.conversation_id)],
    ...(runTables[0] ?? []).map(([label], i): Row => [label, ...runTables.map((t) => t[i]?.[1] ?? "")]),
  ];
  const agentTables = analyses.map(agentRows);
  const agents: Row[] = [
    ["run", ...analyses.flatMap((a) => a.agents.map(() => a.conversation_id))],
    ...(agentTables[0] ?? []).map(([label], i): Row => [label, ...agentTables.flatMap((t) => t[i]?.slice(1) ?? [])]),
  ];
  return { runs, agents };
}

export function compareText(analyses: readonly Analysis[]): string {
  const { runs, agents } = compareRows(analyses);
  return [`Runs`, table(runs), "", "Agents", table(agents)].join("\n");
}
