/**
 * How the live area shares the terminal's rows. Ink redraws the whole screen (and flickers) once
 * the live area is as tall as the terminal (ink issues #359, #450), so the live area is kept at
 * most `rows - 2` rows: the header, the stats and the footer have fixed heights; the help and the
 * story panels (when shown) and the streaming turn share what is left, the turn keeping at least
 * MIN_TURN_ROWS. With many agents on a short terminal the header packs the agents several to a
 * row before the stats go; on very short terminals the stats go too. A panel the user opened comes
 * before the stats: while it does not fit, the header packs and the stats go (so the help can be
 * read at 80×24 with eight agents).
 */
import { footerRows } from "./Footer.js";
import { statsRows } from "./StatsPanel.js";

export interface LayoutInput {
  rows: number;
  agents: number;
  /** the header's rows with one row per agent, and with the agents packed (Header.headerRows) */
  header: { full: number; packed: number };
  notice: string | null;
  /** rows the panels would like (0 when hidden) */
  helpRows: number;
  storyRows: number;
}

export interface Layout {
  /** the header packs its agents */
  packed: boolean;
  stats: boolean;
  help: number;
  story: number;
  live: number;
  /** every row of the live area */
  total: number;
}

/** the live area stays this many rows shorter than the terminal */
export const SPARE_ROWS = 2;
/** the streaming turn keeps this many rows (its heading and the latest text) however much the panels want */
export const MIN_TURN_ROWS = 4;
/** the stats are shown only if the turn keeps at least this many rows (a person's turn: heading, prompt, input) */
const MIN_TURN_ROWS_WITH_STATS = 3;

export function layout(i: LayoutInput): Layout {
  const room = Math.max(1, i.rows - SPARE_ROWS);
  const foot = footerRows(i.notice);
  const stats = statsRows(i.agents);
  const bare = { packed: i.header.packed < i.header.full, stats: false, fixed: Math.min(i.header.packed, i.header.full) + foot };
  const withStats = ([false, true] as const).map((packed) => ({ packed, stats: true, fixed: (packed ? i.header.packed : i.header.full) + foot + stats }));
  const panels = i.helpRows + i.storyRows;
  const choice =
    panels > 0
      ? (withStats.find((c) => room - c.fixed >= panels + MIN_TURN_ROWS) ?? bare)
      : (withStats.find((c) => room - c.fixed >= MIN_TURN_ROWS_WITH_STATS) ?? bare);
  const middle = Math.max(1, room - choice.fixed);
  const keep = Math.min(MIN_TURN_ROWS, middle);
  const help = Math.min(i.helpRows, Math.max(0, middle - keep));
  const story = Math.min(i.storyRows, Math.max(0, middle - keep - help));
  const live = Math.max(1, middle - help - story);
  return { packed: choice.packed, stats: choice.stats, help, story, live, total: choice.fixed + help + story + live };
}
