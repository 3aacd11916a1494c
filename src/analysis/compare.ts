/**
 * `dialogue compare`: several analyses side by side — a table of the runs, then every agent's
 * figures in columns (run, agent), e.g. one scenario with different models. Runs may have
 * different numbers of agents (each brings its own columns) and people or not (their rows are
 * then shown for every run); on a terminal, a table wider than it is cut into blocks of columns.
 */
import { DASH, int, plural, tableBlocks } from "./format.js";
import { agentRows, runRows, type Row } from "./report-rows.js";
import { chosenText, namedSpokeText, runOrderName, turnTakingAgentRows } from "./report-turns.js";
import type { Analysis } from "./schema.js";

/** the run's cast and how it took turns, for the runs' table */
function castRows(a: Analysis): Array<[string, string]> {
  const people = a.agents.filter((g) => g.kind === "human").length;
  const recorded = a.agents.filter((g) => g.kind === "recorded").length;
  const t = a.turn_taking;
  const s = a.run.source;
  return [
    ["agents", `${int(a.agents.length)}${people ? ` (${plural(people, "person", "people")})` : ""}${recorded ? ` (${int(recorded)} recorded)` : ""}`],
    ["source", s ? (s.kind === "import" ? `imported: ${s.file ?? "?"} · ${s.session_id ?? "?"}` : `continues ${s.conversation_id ?? "?"}`) : "its configuration"],
    ["turn order", runOrderName(a)],
    ["speakers chosen", chosenText(t) || DASH],
    ["named agent spoke next", namedSpokeText(t)],
    ["skipped turns · narrator's remarks", `${int(a.run.skipped_turns)} · ${int(a.run.remarks)}`],
  ];
}

export function compareRows(analyses: readonly Analysis[]): { runs: Row[]; agents: Row[] } {
  const runTables = analyses.map((a) => {
    const rows = runRows(a);
    // the cast after the turns
    const at = rows.findIndex(([label]) => label === "turns") + 1;
    return [...rows.slice(0, at), ...castRows(a), ...rows.slice(at)];
  });
  const runs: Row[] = [
    ["run", ...analyses.map((a) => a.conversation_id)],
    ...(runTables[0] ?? []).map(([label], i): Row => [label, ...runTables.map((t) => t[i]?.[1] ?? "")]),
  ];
  // every run gets the same rows: the people's rows when any run has a person
  const people = analyses.some((a) => a.agents.some((g) => g.kind === "human"));
  const material = analyses.some((a) => a.material !== null);
  const agentTables = analyses.map((a) => [...agentRows(a, { people, material }), ...turnTakingAgentRows(a)]);
  const agents: Row[] = [
    ["run", ...analyses.flatMap((a) => a.agents.map(() => a.conversation_id))],
    ...(agentTables[0] ?? []).map(([label], i): Row => [label, ...agentTables.flatMap((t) => t[i]?.slice(1) ?? [])]),
  ];
  return { runs, agents };
}

/** `width`: the terminal's, to cut wide tables into blocks; absent, never cut */
export function compareText(analyses: readonly Analysis[], opts: { width?: number | undefined } = {}): string {
  const { runs, agents } = compareRows(analyses);
  return [`Runs`, tableBlocks(runs, opts), "", "Agents", tableBlocks(agents, opts)].join("\n");
}
