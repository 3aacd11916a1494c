/**
 * Everything below the transcript, from props alone: the header, the help and story panels when
 * toggled, the turn being generated, the stats and the keys, kept within `layout()`'s rows; or,
 * once the run is over, the header and the summary screen; or, left before the run ended (quit,
 * detached), the header and what happened (Left.tsx).
 */
import { Box } from "ink";
import { summarize } from "../../analysis/summary.js";
import { waitingFor } from "../waiting.js";
import { isPerson, turnsTaken } from "../who.js";
import { Footer, type Mode } from "./Footer.js";
import { Header, headerRows } from "./Header.js";
import { helpRows } from "./help-rows.js";
import { layout, SPARE_ROWS } from "./layout.js";
import { Left, leftRows, leftStatus, type Leaving } from "./Left.js";
import { LiveTurn, pendingChoice } from "./LiveTurn.js";
import type { PersonLine } from "./PersonTurn.js";
import { Rows } from "./rows.js";
import { agentStats } from "./stats.js";
import type { ViewState } from "./state.js";
import { StatsPanel } from "./StatsPanel.js";
import { storyRows } from "./story-rows.js";
import { SummaryScreen, type EndReport } from "./SummaryScreen.js";
import { useTheme } from "./theme.js";

export interface LiveAreaProps {
  state: ViewState;
  mode: Mode;
  columns: number;
  rows: number;
  /** the clock, epoch ms */
  now: number;
  showStory?: boolean;
  /** how far the story panel is scrolled down, rows */
  storyOffset?: number;
  showHelp?: boolean;
  notice?: string | null;
  speed?: number;
  /** shown under the summary at the end */
  report?: EndReport;
  /** the person's input line, when a person's turn is waited for (absent: not offered) */
  line?: PersonLine;
  /** the TUI was left before the run ended: its last frame says how, with no turn, stats or keys */
  leaving?: Leaving | null;
  /** what the commands shown need to reach the run (cli/reach.ts); @defaultValue "" */
  reach?: string;
}

/** the turn shown as "turn n of max": turns taken (a narrator's remarks are not turns), and the one under way */
export function currentTurn(s: ViewState): number {
  const r = s.record;
  if (!r) return 0;
  const taken = turnsTaken(s.messages);
  const underWay = s.live !== null || (r.status === "running" && pendingChoice(s) !== null);
  return Math.min(taken + (underWay ? 1 : 0), r.spec.limits.max_turns);
}

export function LiveArea({ state, mode, columns, rows, now, showStory, storyOffset = 0, showHelp, notice = null, speed, report, line, leaving = null, reach = "" }: LiveAreaProps) {
  const theme = useTheme();
  const r = state.record;
  if (!r) return null;
  const width = Math.max(20, columns);
  const header = (packed: boolean, left?: string) => <Header record={r} turn={currentTurn(state)} now={now} width={width} speed={speed} packed={packed} left={left} />;
  if (state.ended) {
    return (
      <Box flexDirection="column" width={width}>
        {/* packed when the summary (a heading, a row of column names, a row per agent, an error) would not fit under one row per agent */}
        {header(headerRows(r, width) + 3 + r.spec.agents.length > rows - SPARE_ROWS)}
        <SummaryScreen summary={summarize(r, state.messages)} error={r.error} width={width} people={new Set(r.spec.agents.filter(isPerson).map((a) => a.id))}>
          {report?.(r, state.messages)}
        </SummaryScreen>
      </Box>
    );
  }
  if (leaving) {
    return (
      <Box flexDirection="column" width={width}>
        {header(headerRows(r, width) + leftRows(leaving, width) > rows - SPARE_ROWS, leftStatus(leaving, r))}
        <Left leaving={leaving} width={width} />
      </Box>
    );
  }
  const help = showHelp ? helpRows(mode, r.spec.id, width, reach, r.spec.agents.some(isPerson)) : [];
  const story = showStory ? storyRows(r, width, theme) : [];
  const l = layout({
    rows,
    agents: r.spec.agents.length,
    header: { full: headerRows(r, width), packed: headerRows(r, width, true) },
    notice,
    helpRows: help.length,
    storyRows: story.length,
  });
  return (
    <Box flexDirection="column" width={width}>
      {header(l.packed)}
      {l.help > 0 ? <Rows rows={help} maxRows={l.help} width={width} /> : null}
      {l.story > 0 ? <Rows rows={story} maxRows={l.story} width={width} offset={storyOffset} scroll="↑ ↓ scroll" /> : null}
      <LiveTurn state={state} width={width} maxRows={l.live} now={now} line={line} reach={reach} />
      {l.stats ? <StatsPanel agents={agentStats(state, waitingFor(r)?.agent_id ?? null)} width={width} /> : null}
      <Footer mode={mode} notice={notice} line={line?.state} />
    </Box>
  );
}
