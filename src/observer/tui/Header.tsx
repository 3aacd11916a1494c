/**
 * The header: a SIMULATED badge when any of the run is simulated (always there, on every frame),
 * the scenario title and the conversation id (the title is cut to make room, never the id);
 * elapsed and remaining time with a bar, turn n of max, status; one row per agent with its
 * persona, provider and model. Every row is one terminal row (truncated, never wrapped), so its
 * height is `headerRows(agents)`.
 */
import { Box, Text } from "ink";
import type { ConversationRecord, Status } from "../../protocol/record.js";
import wrapAnsi from "wrap-ansi";
import { modelLabel, simulatedBadge } from "../plain.js";
import { bar, clock } from "./format.js";
import { clean } from "./text.js";
import { agentColor, tone, useTheme, type Theme } from "./theme.js";

export const headerRows = (agents: number): number => 2 + agents + 1;

export interface HeaderProps {
  record: ConversationRecord;
  /** the turn shown as "turn n of max" */
  turn: number;
  now: number;
  width: number;
  /** replay speed, shown as "replay ×N" */
  speed?: number;
}

export function statusText(r: ConversationRecord): string {
  switch (r.status) {
    case "pending":
      return "waiting for a manager";
    case "preparing":
      return `preparing${r.phase ? ` the ${r.phase}` : ""}`;
    case "running":
      return "running";
    default:
      return r.stop_reason ? `${r.status} (${r.stop_reason})` : r.status;
  }
}

const STATUS_COLOR: Record<Status, string> = {
  pending: "yellow",
  preparing: "yellow",
  running: "green",
  stopping: "yellow",
  imported: "cyan",
  completed: "green",
  stopped: "yellow",
  failed: "red",
};

/** elapsed and remaining dialogue time, ms */
export function times(r: ConversationRecord, now: number): { elapsed: number; remaining: number; total: number } {
  const total = r.deadline_at !== null && r.started_at !== null ? r.deadline_at - r.started_at : r.spec.limits.duration_seconds * 1000;
  if (r.started_at === null) return { elapsed: 0, remaining: total, total };
  const end = r.ended_at ?? now;
  const elapsed = Math.max(0, end - r.started_at);
  return { elapsed, remaining: Math.max(0, total - elapsed), total };
}

function Clock({ r, now, width, theme }: { r: ConversationRecord; now: number; width: number; theme: Theme }) {
  const { elapsed, remaining, total } = times(r, now);
  const barWidth = width >= 100 ? 24 : width >= 80 ? 16 : 8;
  return (
    <Text>
      {clock(elapsed)} <Text color={tone(theme, "green")}>{bar(elapsed / total, barWidth)}</Text>{" "}
      {r.ended_at === null ? `${clock(remaining)} left` : `of ${clock(total)}`}
    </Text>
  );
}

/** `text` cut to `columns` terminal columns, with "…" when cut */
export function fit(text: string, columns: number): string {
  if (columns <= 0) return "";
  const [first = ""] = wrapAnsi(text, columns, { hard: true, trim: false, wordWrap: false }).split("\n");
  if (first === text) return text;
  const [shorter = ""] = wrapAnsi(text, Math.max(0, columns - 1), { hard: true, trim: false, wordWrap: false }).split("\n");
  return columns === 1 ? "…" : `${shorter.trimEnd()}…`;
}

/**
 * The first row: name, badge, title and id. What does not fit goes from the title first, then
 * the name, then the title altogether, then the badge's names ("SIMULATED" stays); never the id.
 */
function titleRow(r: ConversationRecord, width: number): { name: boolean; badge: string | null; title: string | null } {
  const full = simulatedBadge(r.spec)?.short ?? null;
  const title = clean(r.spec.scenario.title);
  const id = r.spec.id.length;
  for (const badge of full && full !== "SIMULATED" && full.startsWith("SIMULATED") ? [full, "SIMULATED"] : [full]) {
    const b = badge ? badge.length + 3 : 0; // "SIMULATED · "
    if (width - 14 - b - 3 - id >= 8) return { name: true, badge, title: fit(title, width - 14 - b - 3 - id) }; // "DialogueLLM · "
    if (width - b - 3 - id >= 6) return { name: false, badge, title: fit(title, width - b - 3 - id) };
    if (width - b - id >= 0) return { name: false, badge, title: null };
  }
  return { name: false, badge: null, title: null };
}

export function Header({ record: r, turn, now, width, speed }: HeaderProps) {
  const theme = useTheme();
  const top = titleRow(r, width);
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        {top.name ? (
          <>
            <Text bold>DialogueLLM</Text>
            <Text> · </Text>
          </>
        ) : null}
        {top.badge ? (
          <>
            <Text bold inverse color={tone(theme, "yellow")}>
              {top.badge}
            </Text>
            <Text> · </Text>
          </>
        ) : null}
        {top.title !== null ? (
          <>
            <Text bold>{top.title}</Text>
            <Text> · </Text>
          </>
        ) : null}
        <Text dimColor>{r.spec.id}</Text>
      </Text>
      <Text wrap="truncate-end">
        <Clock r={r} now={now} width={width} theme={theme} />
        <Text>
          {" "}· turn {turn} of {r.spec.limits.max_turns} ·{" "}
        </Text>
        <Text color={tone(theme, STATUS_COLOR[r.status])}>{statusText(r)}</Text>
        {speed !== undefined ? <Text dimColor> · replay {speed === 0 ? "instant" : `×${speed}`}</Text> : null}
      </Text>
      {r.spec.agents.map((a, i) => (
        <Text key={a.id} wrap="truncate-end">
          <Text color={agentColor(theme, i)} bold>
            ● {clean(r.personas?.[i]?.name ?? a.role)}
          </Text>
          <Text dimColor> ({a.id})</Text>
          <Text> · {modelLabel(a.model.provider, a.model.model)}</Text>
        </Text>
      ))}
      <Text dimColor wrap="truncate-end">
        {"─".repeat(Math.max(1, width))}
      </Text>
    </Box>
  );
}
