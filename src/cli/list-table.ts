/**
 * The table `dialogue list` prints: a row per conversation, its columns as wide as their widest
 * cell. ID, STARTED, DURATION, TURNS, AGENTS and STATUS are whole; on a terminal the text
 * columns after them (SCENARIO, then MODELS) share what is left of its width, cut with "…", and
 * SCENARIO goes first when there is too little room for both. On a narrow one (80 columns) STARTED
 * loses its seconds (and its year, when every row is of this year), AGENTS is left out, and STATUS
 * is cut, so no line wraps at 80 columns; narrower still, DURATION and then STARTED go (very long
 * ids may still wrap). Piped, nothing is cut.
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
/** STATUS is cut no shorter than this ("completed…", "failed (ab…") */
const MIN_STATUS = 10;

function cut(text: string, width: number): string {
  if (stringWidth(text) <= width) return text;
  let s = text;
  while (s.length > 0 && stringWidth(s) > width - 1) s = s.slice(0, -1);
  return `${s.trimEnd()}…`;
}

/** a status cell's parts: the status without its stop reason, and the turns that went wrong (" · 2 failed", or "") */
function statusParts(text: string): { bare: string; tail: string } {
  const at = text.indexOf(" · ");
  const [head, tail] = at < 0 ? [text, ""] : [text.slice(0, at), text.slice(at)];
  return { bare: head.replace(/ \(.*\)$/, ""), tail };
}

/**
 * a status cut to `width`: its stop reason goes first ("completed · 2 failed"), then the status is
 * cut before the turns that went wrong ("compl… · 2 failed"); with too little room for both, the
 * failed turns stay before the stalled ones ("compl… · 2 failed"), and then the status goes
 * ("2 failed, 1 stalled", cut at its end): a run whose turns went wrong never reads as plainly
 * completed
 */
export function cutStatus(text: string, width: number): string {
  if (stringWidth(text) <= width) return text;
  const { bare, tail } = statusParts(text);
  if (!tail) return cut(stringWidth(bare) <= width ? bare : text, width);
  // the turns that went wrong, in full, then only the first of them ("2 failed")
  for (const t of [tail, tail.replace(/, .*$/, "")]) {
    if (stringWidth(bare + t) <= width) return bare + t;
    if (width - stringWidth(t) >= 4) return cut(bare, width - stringWidth(t)) + t;
  }
  const trouble = tail.slice(" · ".length);
  const first = trouble.replace(/, .*$/, "");
  return stringWidth(trouble) <= width ? trouble : cut(first, width);
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
  let short = false;
  // the year is left out only when every row is of this year (an imported recording may be older)
  const year = String(new Date().getUTCFullYear());
  const thisYear = table.every((r) => r.started.startsWith(`${year}-`));
  const cellsOf = (r: ListRow): string[] => [r.id, short ? shortStarted(r.started, thisYear) : r.started, r.duration, String(r.turns), String(r.agents), r.status, r.scenario, r.models];
  const widthsOf = (): number[] => HEAD.map((h, i) => Math.max(stringWidth(h), ...table.map((r) => stringWidth(cellsOf(r)[i] ?? ""))));
  let widths = widthsOf();
  let shown = [0, 1, 2, 3, 4, 5, 6, 7];
  if (width !== undefined) {
    const fixedOf = (): number => shown.filter((i) => i < 6).reduce((n, i) => n + (widths[i] ?? 0) + GAP.length, 0);
    // a narrow terminal (80 columns): STARTED without its year and seconds, then no AGENTS (`show`
    // has them), then STATUS cut, so no line wraps
    if (fixedOf() + MIN_TEXT > width) {
      short = true;
      widths = widthsOf();
    }
    // narrower still (60 columns): DURATION, then STARTED, go too (`show` has them), before STATUS is cut further
    for (const column of [4, 2, 1]) {
      const over = fixedOf() - GAP.length - width;
      if (over <= 0) break;
      if (column !== 4 && (widths[5] ?? 0) - over >= MIN_STATUS) break;
      shown = shown.filter((i) => i !== column);
    }
    const over = fixedOf() - GAP.length - width;
    if (over > 0) widths[5] = Math.min(widths[5] ?? 0, Math.max(MIN_STATUS, (widths[5] ?? 0) - over));
    // the text columns rather than the statuses' stop reasons: when neither would fit, STATUS
    // shrinks, as far as its cells without their stop reasons, to leave them a few characters each
    const compact = Math.max(
      stringWidth(HEAD[5]),
      ...table.map((r) => {
        const { bare, tail } = statusParts(r.status);
        return stringWidth(bare + tail);
      }),
    );
    // (not when they still would not fit)
    const was = widths[5] ?? 0;
    const shrunk = Math.max(compact, was - (2 * MIN_TEXT + GAP.length - (width - fixedOf())));
    if (width - fixedOf() < MIN_TEXT && width - fixedOf() + was - shrunk >= MIN_TEXT) widths[5] = shrunk;
    const fixed = fixedOf();
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
        const fit = i === 5 ? cutStatus : cut;
        return i === shown[shown.length - 1] ? fit(c[i] ?? "", w) : pad(fit(c[i] ?? "", w), w, RIGHT.has(i));
      })
      .join(GAP);
  const out = [line(HEAD)];
  for (const r of rows) out.push(typeof r === "string" ? r : line(cellsOf(r)));
  return out;
}

/** "2026-11-30 23:48:28" as "11-30 23:48" (a narrow terminal; "2026-11-30 23:48" when not every row is of this year); anything else as it is */
const shortStarted = (s: string, thisYear: boolean): string => (/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(s) ? s.slice(thisYear ? 5 : 0, 16) : s);
