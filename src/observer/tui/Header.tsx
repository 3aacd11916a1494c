/**
 * The header: a SIMULATED badge when any of the run is simulated (always there, on every frame),
 * the scenario title and the conversation id (the title is cut to make room, never the id);
 * elapsed and remaining time with a bar, turn n of max, status; then the agents, each in its
 * colour with its persona, id and what speaks for it (its provider and model, or "a person"): one
 * row per agent, or — `packed`, when the terminal is too short for that and the stats — grouped
 * by what speaks for them, as many to a row as fit (packAgents). Every row is one terminal row (truncated, never wrapped), so its height is
 * `headerRows(record, width, packed)`.
 */
import { Box, Text } from "ink";
import stringWidth from "string-width";
import type { ConversationRecord, Status } from "../../protocol/record.js";
import wrapAnsi from "wrap-ansi";
import { simulatedBadge } from "../plain.js";
import { nameOf, speaksBy } from "../who.js";
import { bar, clock } from "./format.js";
import { runStatusText, troubleText } from "../../analysis/format.js";
import { clean } from "./text.js";
import { agentColor, tone, useTheme, type Theme } from "./theme.js";

/** between two agents on a packed row */
const GAP = "  ";
/** a name on a packed row is cut to this many columns */
const PACKED_NAME = 16;

interface AgentEntry {
  index: number;
  name: string;
  id: string;
  by: string;
}

/** a packed row: a group's label (what speaks for its agents) on its first row, then as many agents as fit */
export interface PackedRow {
  label: string | null;
  agents: AgentEntry[];
}

const entries = (r: ConversationRecord): AgentEntry[] => r.spec.agents.map((a, index) => ({ index, name: clean(nameOf(r, a.id)), id: a.id, by: speaksBy(a) }));
const packedText = (e: AgentEntry): string => `● ${fit(e.name, PACKED_NAME)} (${e.id})`;

/**
 * The agents packed: grouped by what speaks for them (a model, or a person), the group's label
 * first ("simulated-1 [simulated]:"), then as many agents as fit the row, names cut short; a
 * group that does not fit one row goes on over the next.
 */
export function packAgents(r: ConversationRecord, width: number): PackedRow[] {
  const rows: PackedRow[] = [];
  const all = entries(r);
  for (const by of new Set(all.map((e) => e.by))) {
    let row: PackedRow = { label: by, agents: [] };
    let used = stringWidth(`${by}:`);
    rows.push(row);
    for (const e of all.filter((x) => x.by === by)) {
      const w = stringWidth(packedText(e));
      if (row.agents.length > 0 && used + GAP.length + w > width) {
        row = { label: null, agents: [] };
        rows.push(row);
        used = 0;
      }
      row.agents.push(e);
      used += GAP.length + w;
    }
  }
  return rows;
}

/** the header's rows: title, clock, the agents (one each, or packed), the rule */
export const headerRows = (r: ConversationRecord, width: number, packed = false): number => 2 + (packed ? packAgents(r, width).length : r.spec.agents.length) + 1;

export interface HeaderProps {
  record: ConversationRecord;
  /** the turn shown as "turn n of max" */
  turn: number;
  now: number;
  width: number;
  /** replay speed, shown as "replay ×N" */
  speed?: number;
  /** the agents as many to a row as fit (see packAgents) */
  packed?: boolean;
  /** said instead of the record's status: the TUI was left before the run ended (the clock then says no time is left to run) */
  left?: string;
}

export function statusText(r: ConversationRecord): string {
  switch (r.status) {
    case "pending":
      return "waiting for a manager";
    case "preparing":
      return `preparing${r.phase ? ` the ${r.phase}` : ""}`;
    case "running":
      // (with the turns that went wrong so far, as when it has ended)
      return runStatusText({ ...r, stop_reason: null });
    default:
      return runStatusText(r);
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

function Clock({ r, now, width, theme, live }: { r: ConversationRecord; now: number; width: number; theme: Theme; live: boolean }) {
  const { elapsed, remaining, total } = times(r, now);
  const barWidth = width >= 100 ? 24 : width >= 80 ? 16 : 8;
  return (
    <Text>
      {clock(elapsed)} <Text color={tone(theme, "green")}>{bar(elapsed / total, barWidth)}</Text>{" "}
      {r.ended_at === null && live ? `${clock(remaining)} left` : `of ${clock(total)}`}
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

function Agent({ e, theme }: { e: AgentEntry; theme: Theme }) {
  return (
    <>
      <Text color={agentColor(theme, e.index)} bold>
        ● {e.name}
      </Text>
      <Text dimColor> ({e.id})</Text>
      <Text> · {e.by}</Text>
    </>
  );
}

function Packed({ row, theme }: { row: PackedRow; theme: Theme }) {
  return (
    <Text wrap="truncate-end">
      {row.label !== null ? <Text>{row.label}:</Text> : null}
      {row.agents.map((e) => (
        <Text key={e.id}>
          {GAP}
          <Text color={agentColor(theme, e.index)} bold>
            ● {fit(e.name, PACKED_NAME)}
          </Text>
          <Text dimColor> ({e.id})</Text>
        </Text>
      ))}
    </Text>
  );
}

export function Header({ record: r, turn, now, width, speed, packed = false, left }: HeaderProps) {
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
        <Clock r={r} now={now} width={width} theme={theme} live={left === undefined} />
        <Text>
          {" "}· turn {turn} of {r.spec.limits.max_turns} ·{" "}
        </Text>
        <Text color={tone(theme, left !== undefined ? "yellow" : r.status !== "failed" && troubleText(r) ? "yellow" : STATUS_COLOR[r.status])}>{left ?? statusText(r)}</Text>
        {speed !== undefined ? <Text dimColor> · replay {speed === 0 ? "instant" : `×${speed}`}</Text> : null}
      </Text>
      {packed
        ? packAgents(r, width).map((row, i) => <Packed key={i} row={row} theme={theme} />)
        : entries(r).map((e) => (
            <Text key={e.id} wrap="truncate-end">
              <Agent e={e} theme={theme} />
            </Text>
          ))}
      <Text dimColor wrap="truncate-end">
        {"─".repeat(Math.max(1, width))}
      </Text>
    </Box>
  );
}
