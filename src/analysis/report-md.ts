/**
 * The analysis as Markdown (`dialogue analyze --md`, and the report part of `export --format md`).
 * Same rows as the terminal report (report-rows.ts).
 */
import { sparkline } from "./format.js";
import {
  agentRows,
  contentLine,
  flagLines,
  headline,
  judgeLines,
  noteLines,
  orchestrationLine,
  windowRows,
  windowSeries,
  windowTitle,
  type Row,
} from "./report-rows.js";
import { turnTakingLines, turnTakingRows } from "./report-turns.js";
import type { Analysis } from "./schema.js";

/** a Markdown table cell: no pipes or newlines */
export const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");

export function mdTable(rows: readonly Row[]): string {
  const [head, ...body] = rows;
  if (!head) return "";
  return [
    `| ${head.map(cell).join(" | ")} |`,
    `| ${head.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
    ...body.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}

export function reportMarkdown(a: Analysis, level = 1): string {
  const h = (n: number) => "#".repeat(level + n - 1);
  const out: string[] = [];
  out.push(`${h(1)} Analysis of ${a.conversation_id} — ${cell(a.run.scenario)}`, "");
  out.push(...headline(a).map((l) => `- ${l}`), "");
  const agents = agentRows(a);
  // the agents' table reads better with the agent ids as the header
  const [ids, ...rest] = agents;
  out.push(`${h(2)} Agents`, "", mdTable([["", ...(ids?.slice(1) ?? [])] as Row, ...rest]), "");
  out.push(`${h(2)} Turn-taking`, "", ...turnTakingLines(a).map((l) => `- ${l}`), "", mdTable(turnTakingRows(a)), "");
  out.push(`${h(2)} Orchestration`, "", `- ${orchestrationLine(a)}`, "");
  out.push(`${h(2)} Content`, "", `- ${contentLine(a)}`, "");
  out.push(`${h(2)} Flags`, "", ...flagLines(a).map((l) => `- ${l}`), "");
  if (a.windows.length > 0) {
    out.push(`${h(2)} Over time: ${windowTitle(a)}`, "");
    out.push(mdTable([["series", "per window"], ...windowSeries(a).map((s): Row => [s.label, `\`${sparkline(s.values, s.range)}\``])]), "");
    out.push(mdTable(windowRows(a)), "");
  }
  const notes = noteLines(a);
  if (notes.length) out.push(`${h(2)} Notes`, "", ...notes.map((l) => `- ${cell(l)}`), "");
  const judge = judgeLines(a);
  if (judge.length) out.push(`${h(2)} Judge`, "", ...judge.map((l) => `- ${l}`), "");
  return out.join("\n");
}
