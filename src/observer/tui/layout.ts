/**
 * How the live area shares the terminal's rows. Ink redraws the whole screen (and flickers) once
 * the live area is as tall as the terminal (ink issues #359, #450), so the live area is kept at
 * most `rows - 2` rows: the header, the stats and the footer have fixed heights; the help and the
 * story panels (when shown) and the streaming turn share what is left, the turn keeping at least
 * MIN_TURN_ROWS. On very short terminals the stats go first.
 */
import { footerRows } from "./Footer.js";
import { headerRows } from "./Header.js";
import { statsRows } from "./StatsPanel.js";

export interface LayoutInput {
  rows: number;
  agents: number;
  notice: string | null;
  /** rows the panels would like (0 when hidden) */
  helpRows: number;
  storyRows: number;
}

export interface Layout {
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

export function layout(i: LayoutInput): Layout {
  const room = Math.max(1, i.rows - SPARE_ROWS);
  const fixed = headerRows(i.agents) + footerRows(i.notice);
  let middle = room - fixed - statsRows(i.agents);
  let stats = true;
  if (middle < 3) {
    stats = false;
    middle = room - fixed;
  }
  middle = Math.max(1, middle);
  const keep = Math.min(MIN_TURN_ROWS, middle);
  const help = Math.min(i.helpRows, Math.max(0, middle - keep));
  const story = Math.min(i.storyRows, Math.max(0, middle - keep - help));
  const live = Math.max(1, middle - help - story);
  return { stats, help, story, live, total: fixed + (stats ? statsRows(i.agents) : 0) + help + story + live };
}
