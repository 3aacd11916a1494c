/**
 * Everything below the transcript, from props alone: the header, the help and story panels when
 * toggled, the turn being generated, the stats and the keys, kept within `layout()`'s rows; or,
 * once the run is over, the header and the summary screen.
 */
import { Box } from "ink";
import { summarize } from "../../analysis/summary.js";
import { Footer, type Mode } from "./Footer.js";
import { Header } from "./Header.js";
import { helpRows } from "./help-rows.js";
import { layout } from "./layout.js";
import { LiveTurn } from "./LiveTurn.js";
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
  showHelp?: boolean;
  notice?: string | null;
  speed?: number;
  /** shown under the summary at the end */
  report?: EndReport;
}

export function currentTurn(s: ViewState): number {
  const r = s.record;
  if (!r) return 0;
  const n = s.live?.seq ?? (r.status === "running" ? s.messages.length + 1 : s.messages.length);
  return Math.min(n, r.spec.limits.max_turns);
}

export function LiveArea({ state, mode, columns, rows, now, showStory, showHelp, notice = null, speed, report }: LiveAreaProps) {
  const theme = useTheme();
  const r = state.record;
  if (!r) return null;
  const width = Math.max(20, columns);
  const header = <Header record={r} turn={currentTurn(state)} now={now} width={width} speed={speed} />;
  if (state.ended) {
    return (
      <Box flexDirection="column" width={width}>
        {header}
        <SummaryScreen summary={summarize(r, state.messages)} error={r.error} width={width}>
          {report?.(r, state.messages)}
        </SummaryScreen>
      </Box>
    );
  }
  const help = showHelp ? helpRows(mode, r.spec.id, width) : [];
  const story = showStory ? storyRows(r, width, theme) : [];
  const l = layout({ rows, agents: r.spec.agents.length, notice, helpRows: help.length, storyRows: story.length });
  return (
    <Box flexDirection="column" width={width}>
      {header}
      {l.help > 0 ? <Rows rows={help} maxRows={l.help} width={width} /> : null}
      {l.story > 0 ? <Rows rows={story} maxRows={l.story} width={width} /> : null}
      <LiveTurn state={state} width={width} maxRows={l.live} />
      {l.stats ? <StatsPanel agents={agentStats(state)} width={width} /> : null}
      <Footer mode={mode} notice={notice} />
    </Box>
  );
}
