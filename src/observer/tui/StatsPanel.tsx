/**
 * Per-agent stats: tokens, tokens/s of the last turn and the mean with a sparkline over turns,
 * time to first token and queue wait of the last turn. One row per agent under a row of column
 * names and a rule: `statsRows(agents)` rows. Narrow terminals drop the trend and queue columns.
 * A person's row has no model figures: it says a person types there, and how many turns they took.
 */
import { Box, Text } from "ink";
import { plural } from "../../analysis/format.js";
import { personTurnsText } from "../../analysis/report-rows.js";
import { ms, num, sparkline } from "./format.js";
import type { AgentStats } from "./stats.js";
import { clean } from "./text.js";
import { agentColor, useTheme } from "./theme.js";

export const statsRows = (agents: number): number => agents + 2;

interface Column {
  head: string;
  width: number;
  cell: (a: AgentStats) => string;
  wide?: boolean;
}

const TREND = 8;

const COLUMNS: Column[] = [
  { head: "tokens", width: 8, cell: (a) => String(a.tokens) },
  { head: "t/s last", width: 9, cell: (a) => num(a.last_tps) },
  { head: "t/s mean", width: 9, cell: (a) => num(a.mean_tps) },
  { head: "trend", width: TREND + 2, cell: (a) => sparkline(a.tps_history, TREND), wide: true },
  { head: "ttft", width: 9, cell: (a) => ms(a.last_ttft_ms) },
  { head: "queue", width: 9, cell: (a) => ms(a.last_queue_ms), wide: true },
];

function Cell({ width, children, dim }: { width: number; children: string; dim?: boolean }) {
  return (
    <Box width={width} justifyContent="flex-end">
      <Text wrap="truncate-end" dimColor={dim}>
        {children}
      </Text>
    </Box>
  );
}

export function StatsPanel({ agents, width }: { agents: AgentStats[]; width: number }) {
  const theme = useTheme();
  const cols = COLUMNS.filter((c) => !c.wide || width >= 72);
  const nameWidth = Math.max(8, width - cols.reduce((n, c) => n + c.width, 0));
  return (
    <Box flexDirection="column" width={width}>
      <Text dimColor wrap="truncate-end">
        {"─".repeat(Math.max(1, width))}
      </Text>
      <Box height={1}>
        <Box width={nameWidth}>
          <Text dimColor wrap="truncate-end">
            agent
          </Text>
        </Box>
        {cols.map((c) => (
          <Cell key={c.head} width={c.width} dim>
            {c.head}
          </Cell>
        ))}
      </Box>
      {agents.map((a) => (
        <Box key={a.agent_id} height={1}>
          <Box width={nameWidth}>
            <Text wrap="truncate-end" color={agentColor(theme, a.index)} bold={a.speaking}>
              {a.speaking ? "▸ " : "  "}
              {clean(a.name)}
            </Text>
          </Box>
          {a.person ? (
            <Box width={width - nameWidth} justifyContent="flex-end">
              <Text dimColor wrap="truncate-end">
                {a.skipped > 0 ? `a person · ${plural(a.turns, "turn")}: ${personTurnsText(a.turns, a.skipped)}` : a.turns === 0 ? "a person · no turn yet" : `typed by a person · ${plural(a.turns, "turn")}`}
              </Text>
            </Box>
          ) : (
            cols.map((c) => (
              <Cell key={c.head} width={c.width}>
                {c.cell(a)}
              </Cell>
            ))
          )}
        </Box>
      ))}
    </Box>
  );
}
