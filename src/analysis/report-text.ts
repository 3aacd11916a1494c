/**
 * The terminal report of an analysis (`dialogue analyze`, and the end of `dialogue run`):
 * tables and sparklines, plain text, safe to pipe. Given a terminal's width, a table wider than it
 * (many agents) is cut into blocks of columns, one under the other.
 */
import { sparkline, table, tableBlocks } from "./format.js";
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
} from "./report-rows.js";
import { turnTakingLines, turnTakingRows } from "./report-turns.js";
import type { Analysis } from "./schema.js";

/** window rows shown at most; the sparklines cover all */
export const MAX_WINDOW_ROWS = 48;

export interface TextOptions {
  /** the table of every window, not only the sparklines */
  windows?: boolean;
  /** the terminal's width: wider tables are cut into blocks of columns; absent, never cut */
  width?: number | undefined;
}

export function reportText(a: Analysis, opts: TextOptions = {}): string {
  const width = opts.width;
  const out: string[] = [];
  out.push(`Analysis of ${a.conversation_id} — ${a.run.scenario}`);
  out.push(...headline(a).map((l) => `  ${l}`));
  // no turn: every table would be a row of dashes and zeros (a run whose manager failed before turn 1)
  if (a.run.turns === 0) {
    out.push(`  no turn was recorded${a.run.remarks > 0 ? ` (${a.run.remarks} narrator remark${a.run.remarks === 1 ? "" : "s"} only)` : ""}: nothing to measure`);
    return out.join("\n");
  }
  out.push("", "Agents", tableBlocks(agentRows(a), { width }));
  out.push("", "Turn-taking", ...turnTakingLines(a).map((l) => `  ${l}`), tableBlocks(turnTakingRows(a), { width }));
  out.push("", "Orchestration", `  ${orchestrationLine(a)}`);
  out.push("", "Content", `  ${contentLine(a)}`);
  out.push("", "Flags", ...flagLines(a).map((l) => `  ${l}`));
  if (a.windows.length > 0) {
    out.push("", `Over time: ${windowTitle(a)}`);
    out.push(table(windowSeries(a).map((s) => [s.label, `${sparkline(s.values, s.range)}`])));
    if (opts.windows) {
      const rows = windowRows(a);
      out.push("", tableBlocks(rows.slice(0, MAX_WINDOW_ROWS + 1), { keep: 2, width }));
      if (rows.length > MAX_WINDOW_ROWS + 1) out.push(`  … ${rows.length - 1 - MAX_WINDOW_ROWS} more windows (--json has them all)`);
    }
  }
  const notes = noteLines(a);
  if (notes.length) out.push("", "Notes", ...notes.map((l) => `  ${l}`));
  const judge = judgeLines(a);
  if (judge.length) out.push("", "Judge", ...judge.map((l) => `  ${l}`));
  return out.join("\n");
}
