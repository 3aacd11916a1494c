/**
 * A person's turn in the live area: who is waited for and how long is left before the turn is
 * skipped (limits.human_turn_seconds), and the input line — open ("Your turn, … type and press
 * Enter"), offered (Enter opens it; `dialogue say` answers from anywhere), being sent — and, when
 * text typed at an earlier turn was not sent (that turn went on without this line), a row saying
 * so. A replay has no line and no countdown (nobody can answer it): it says what came of the turn
 * as recorded. Never taller than `maxRows`: the heading, the prompt, that row when a row is left
 * for the text, then the last rows of what is typed.
 */
import { Box, Text } from "ink";
import type { ConversationRecord } from "../../protocol/record.js";
import type { DialogMessage } from "../../protocol/schemas.js";
import { sayCommand } from "../commands.js";
import { waitingFor, type Waiting } from "../waiting.js";
import { choiceShown, choiceText } from "../who.js";
import { turnOf } from "../../protocol/turn-count.js";
import { Spinner } from "./Spinner.js";
import { paragraph } from "./rows.js";
import { clean, tailRows } from "./text.js";
import { agentColor, tone, useTheme } from "./theme.js";

/** what the person's input line is doing (App keeps it: use-person-line.ts) */
export interface PersonLine {
  /**
   * typing: open, keys go into it · closed: offered, Enter opens it · sending: said, on its way ·
   * elsewhere: no keys here (stdin is not a terminal): answer with dialogue say · view: a replay
   */
  state: "typing" | "closed" | "sending" | "elsewhere" | "view";
  draft: string;
  /** why the last attempt to send failed */
  error: string | null;
  /** what became of text typed at an earlier turn that ended without this line sending it */
  notice?: string | null;
  /** view: the message recorded for this turn (null: none is; undefined: not known) */
  recorded?: DialogMessage | null;
}

/** a replay at a person's turn: no line, and the turn as recorded, from every recorded message */
export function replayedLine(record: ConversationRecord | null, recorded: readonly DialogMessage[]): PersonLine | undefined {
  const w = record ? waitingFor(record) : null;
  if (!w) return undefined;
  return { state: "view", draft: "", error: null, recorded: recorded.find((m) => m.metadata.sequence_number === w.seq) ?? null };
}

export interface PersonTurnProps {
  record: ConversationRecord;
  waiting: Waiting;
  line: PersonLine;
  index: number;
  width: number;
  maxRows: number;
  now: number;
  /** what the `dialogue say` command shown needs to reach the run (cli/reach.ts); @defaultValue "" */
  reach?: string;
}

const INDENT = "  ";
const PROMPT = "› ";

function left(w: Waiting, now: number, line: PersonLine): string {
  if (w.skip_at === null || line.state === "view") return "";
  const s = Math.ceil((w.skip_at - now) / 1000);
  return s > 0 ? `${s} s left` : "time is up: skipping";
}

function promptText(line: PersonLine, w: Waiting): string {
  switch (line.state) {
    case "typing":
      return `Your turn, ${w.name} — type and press Enter; Esc: back to the keys`;
    case "closed":
      return `Enter: answer as ${w.name} here; or from another terminal:`;
    case "sending":
      return "sent; waiting for the manager to record it";
    case "elsewhere":
      return `waiting for ${w.name} (a person), who answers from a terminal with:`;
    case "view":
      return replayedText(line.recorded, w);
  }
}

/** what came of a person's turn, as recorded (a replay) */
function replayedText(m: DialogMessage | null | undefined, w: Waiting): string {
  if (m === undefined) return `a replay: ${w.name}'s turn goes as it was recorded`;
  if (m === null) return `as recorded: no answer from ${w.name} is recorded for this turn`;
  if (m.skipped) return `as recorded: ${m.note ?? "nobody answered, and the turn was skipped"}`;
  return `as recorded: ${w.name} answered ${(m.metadata.generation_time_ms / 1000).toFixed(1)} s after the turn was offered`;
}

export function PersonTurn({ record: r, waiting: w, line, index, width, maxRows, now, reach = "" }: PersonTurnProps) {
  const theme = useTheme();
  const choice = r.next_choice;
  const time = left(w, now, line);
  const heading = (
    <Text key="heading" wrap="truncate-end">
      <Text color={agentColor(theme, index)} bold>
        ▍{clean(w.name)}
      </Text>
      <Text dimColor>
        {" "}· {w.agent_id} · turn {turnOf(w.seq, r)} · a person
        {time ? " · " : ""}
      </Text>
      {time ? <Text color={tone(theme, "yellow")}>{time}</Text> : null}
      {choiceShown(choice) ? <Text dimColor> · {clean(choiceText(choice))}</Text> : null}
    </Text>
  );
  const prompt = (
    <Text key="prompt" wrap="truncate-end" color={line.error ? tone(theme, "red") : undefined} bold={line.state === "typing" && !line.error}>
      {INDENT}
      {line.state === "sending" ? <Spinner /> : null}
      {line.state === "sending" ? " " : ""}
      {line.error ? `not sent: ${clean(line.error)} · Enter tries again` : promptText(line, w)}
    </Text>
  );
  // the command on rows of its own, wrapped at spaces, so the conversation id is never cut
  const command =
    (line.state === "closed" || line.state === "elsewhere") && !line.error
      ? paragraph(sayCommand(r.spec.id, null, reach, turnOf(w.seq, r)), width, 2 * INDENT.length).map((row, i) => (
          <Text key={`command${i}`} wrap="truncate-end">
            {row.text}
          </Text>
        ))
      : [];
  const typing = line.state === "typing";
  const showsDraft = typing || ((line.state === "closed" || line.state === "sending") && line.draft !== "");
  const fixed = [heading, prompt, ...command];
  // the notice only where a row is still left for what is typed
  const notice =
    line.notice && maxRows - fixed.length >= (showsDraft ? 2 : 1) ? (
      <Text key="notice" wrap="truncate-end" color={tone(theme, "yellow")}>
        {INDENT}
        {clean(line.notice)}
      </Text>
    ) : null;
  const shown = [...fixed, ...(notice ? [notice] : [])].slice(0, Math.max(1, maxRows));
  const room = maxRows - shown.length;
  // what is typed (kept while the line is closed), the cursor at its end (a column kept for it); the last rows that fit
  const draft = showsDraft && room > 0 ? tailRows(line.draft, width - INDENT.length - PROMPT.length - 1, room) : null;
  return (
    <Box flexDirection="column" width={width}>
      {shown}
      {draft?.rows.map((row, i) => {
        const last = i === draft.rows.length - 1;
        return (
          <Text key={i} wrap="truncate-end" dimColor={!typing}>
            {INDENT}
            <Text color={tone(theme, "green")}>{i === 0 ? (draft.hidden > 0 ? "… " : PROMPT) : "  "}</Text>
            {row}
            {last && typing ? <Text inverse> </Text> : null}
          </Text>
        );
      })}
    </Box>
  );
}
