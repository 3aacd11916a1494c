/**
 * The table `dialogue list` prints: a row per conversation, its columns as wide as their widest
 * cell. ID, STARTED, DURATION, TURNS, AGENTS and STATUS are always whole; on a terminal the text
 * columns after them (SCENARIO, then MODELS) share what is left of its width, cut with "…", and
 * SCENARIO goes first when there is too little room for both. Piped, nothing is cut.
 */
import stringWidth from "string-width";

export interface ListRow {
  id: string;
  started: string;
  /** "12.3s", or "–" for a run with no turn */
  duration: string;
  turns: number;
  agents: number;
  status: string;
  scenario: string;
  models: string;
}

const HEAD = ["ID", "STARTED (UTC)", "DURATION", "TURNS", "AGENTS", "STATUS", "SCENARIO", "MODELS"] as const;
/** the columns padded on the left (numbers) */
const RIGHT = new Set([2, 3, 4]);
const GAP = "  ";
/** below this, a text column is left out rather than cut to a stump */
const MIN_TEXT = 8;

function cut(text: string, width: number): string {
  if (stringWidth(text) <= width) return text;
  let s = text;
  while (s.length > 0 && stringWidth(s) > width - 1) s = s.slice(0, -1);
  return `${s.trimEnd()}…`;
}

const pad = (text: string, width: number, right: boolean): string => {
  const fill = " ".repeat(Math.max(0, width - stringWidth(text)));
  return right ? fill + text : text + fill;
};

/**
 * The table's lines: a heading, then `rows` (a string is printed as it is: a record that could not
 * be read). `width`: the terminal's, or undefined when stdout is a pipe or a file.
 */
export function listTable(rows: Array<ListRow | string>, width?: number): string[] {
  const table = rows.filter((r): r is ListRow => typeof r !== "string");
  const cells = table.map((r) => [r.id, r.started, r.duration, String(r.turns), String(r.agents), r.status, r.scenario, r.models]);
  const widths = HEAD.map((h, i) => Math.max(stringWidth(h), ...cells.map((c) => stringWidth(c[i] ?? ""))));
  let shown = [0, 1, 2, 3, 4, 5, 6, 7];
  if (width !== undefined) {
    const fixed = widths.slice(0, 6).reduce((n, w) => n + w + GAP.length, 0);
    const [scenario = 0, models = 0] = widths.slice(6);
    const rest = width - fixed;
    if (rest < scenario + GAP.length + models) {
      // both cut to fit, the scenario to at most half; too little room for both: the models alone
      const half = Math.floor((rest - GAP.length) / 2);
      if (half >= MIN_TEXT) {
        widths[6] = Math.min(scenario, Math.max(half, rest - GAP.length - models));
        widths[7] = rest - GAP.length - (widths[6] ?? 0);
      } else {
        shown = shown.filter((i) => i !== 6);
        widths[7] = rest;
        if (rest < MIN_TEXT) shown = shown.filter((i) => i !== 7);
      }
    }
  }
  const line = (c: readonly string[]): string =>
    shown
      .map((i) => {
        const w = widths[i] ?? 0;
        return i === shown[shown.length - 1] ? cut(c[i] ?? "", w) : pad(cut(c[i] ?? "", w), w, RIGHT.has(i));
      })
      .join(GAP);
  const out = [line(HEAD)];
  for (const r of rows) out.push(typeof r === "string" ? r : line([r.id, r.started, r.duration, String(r.turns), String(r.agents), r.status, r.scenario, r.models]));
  return out;
}
