/**
 * The messages people write, as the manager records them: a person's turn (an agent of kind
 * human: the TUI's input line, `dialogue say`), a turn that person left unanswered (skipped: its
 * time ran out, or the run ended while it was open), and
 * a narrator's remark — and the one model turn the manager records itself: a turn no worker
 * returned before the run ended (lostMessage). Their metadata is honest: no model, no tokens, no speed, no time to first
 * token — only when the turn was offered and when it was answered.
 */
import { now } from "../redis/clock.js";
import { hostName } from "../redis/host.js";
import type { ConversationRecord, NextChoice, StopReason } from "../protocol/record.js";
import { personaOf } from "../protocol/record.js";
import { DialogMessageSchema, NARRATOR_ID, type DialogMessage } from "../protocol/schemas.js";

interface Said {
  text: string;
  said_at: number;
}

function base(rec: ConversationRecord, seq: number, agentId: string, speaker: string, role: string, offeredAt: number, at: number) {
  const max = rec.spec.limits.max_message_chars;
  return {
    message_id: `${rec.spec.id}.${seq}`,
    queue_timestamp: now(),
    role,
    speaker,
    cut: false,
    failed: false,
    metadata: {
      conversation_id: rec.spec.id,
      sequence_number: seq,
      agent_id: agentId,
      provider: "human" as const,
      model: "person",
      tokens_generated: 0,
      prompt_tokens: null,
      generation_time_ms: Math.max(0, at - offeredAt),
      time_to_first_token_ms: null,
      tokens_per_second: 0,
      load_time_ms: 0,
      done_reason: "stop" as const,
      // this process (the manager): a person's turn and a lost turn have no worker
      worker: { host: hostName(), pid: process.pid },
      attempt: 1,
      queue_wait_ms: 0,
      requested_at: offeredAt,
      started_at: offeredAt,
      finished_at: at,
      truncated: false,
      max,
    },
  };
}

/** what the person whose turn `choice` is said */
export function humanMessage(rec: ConversationRecord, choice: NextChoice, said: Said): DialogMessage {
  const p = personaOf(rec.spec, rec.personas ?? [], choice.agent_id);
  const offered = choice.at ?? said.said_at;
  const b = base(rec, choice.seq, choice.agent_id, p?.name ?? choice.agent_id, p?.role ?? "person", offered, said.said_at);
  const { max, ...metadata } = b.metadata;
  const text = said.text.slice(0, max);
  return DialogMessageSchema.parse({
    ...b,
    content: { message: text, references: [], end_conversation: false },
    metadata: { ...metadata, truncated: said.text.length > max, source: "human", turn_choice: choiceOf(choice) },
  });
}

/**
 * a person's turn nobody answered: in time (limits.human_turn_seconds), or — `ended` — before the
 * run ended (its time ran out, it was stopped) with the turn still open
 */
export function skippedMessage(rec: ConversationRecord, choice: NextChoice, now: number, ended?: StopReason): DialogMessage {
  const p = personaOf(rec.spec, rec.personas ?? [], choice.agent_id);
  const offered = choice.at ?? now;
  const b = base(rec, choice.seq, choice.agent_id, p?.name ?? choice.agent_id, p?.role ?? "person", offered, now);
  const { max: _max, ...metadata } = b.metadata;
  return DialogMessageSchema.parse({
    ...b,
    content: { message: "", references: [], end_conversation: false },
    skipped: true,
    note: ended === undefined ? `no answer within ${rec.spec.limits.human_turn_seconds} s (limits.human_turn_seconds): the turn was skipped` : `${AT_END}${runEndText(rec, ended)}: the turn was skipped`,
    metadata: { ...metadata, source: "human", turn_choice: choiceOf(choice) },
  });
}

/** how the note of a person's turn skipped at the run's end begins */
const AT_END = "no answer before ";

/** the run's end that closed a person's turn, in words: "the run's time ran out (limits.duration_seconds, 120 s)" */
function runEndText(rec: ConversationRecord, reason: StopReason): string {
  if (reason === "duration") return `the run's time ran out (limits.duration_seconds, ${rec.spec.limits.duration_seconds} s)`;
  if (reason === "user_stop") return "the run was stopped (user_stop)";
  return `the run ended (${reason})`;
}

/** why a person's skipped turn `m` went unanswered: "unanswered after 120 s (limits.human_turn_seconds)", or "unanswered before the run was stopped (user_stop)" */
export function skippedCause(rec: ConversationRecord, m: DialogMessage): string {
  const note = m.note ?? "";
  return note.startsWith(AT_END)
    ? `unanswered before ${note.slice(AT_END.length).replace(/: the turn was skipped$/, "")}`
    : `unanswered after ${rec.spec.limits.human_turn_seconds} s (limits.human_turn_seconds)`;
}

/**
 * a model's turn that never came back before the run ended: its request went out, and no worker of
 * its pool returned it within the stop's grace (its worker was lost with no other to take the job
 * up, or the pool has none left). Recorded failed, by the manager, so the run does not end as if
 * every turn it asked for was answered; a late reply of the worker finds the turn taken.
 */
export function lostMessage(rec: ConversationRecord, choice: NextChoice, reason: string, at: number, taken: boolean | null = null): DialogMessage {
  const agent = rec.spec.agents.find((a) => a.id === choice.agent_id);
  const p = personaOf(rec.spec, rec.personas ?? [], choice.agent_id);
  const requested = choice.at ?? at;
  const b = base(rec, choice.seq, choice.agent_id, p?.name ?? choice.agent_id, p?.role ?? agent?.role ?? "agent", requested, at);
  const { max: _max, ...metadata } = b.metadata;
  const model = agent?.model ?? { provider: "simulated" as const, model: "unknown" };
  // `taken`: whether a worker ever took the request up (false: none did — the pool had no live
  // worker —, so no attempt was made; null: not known)
  const pool = agent?.pool ?? "?";
  const error =
    taken === false
      ? `the turn never came back before the run ended (${reason}): no worker of pool ${pool} took it up (the pool had no live worker)`
      : `the turn never came back before the run ended (${reason}): no worker of pool ${pool} returned it (${taken ? "the worker that took it up was lost" : "its worker was lost, or the pool has none left"})`;
  return DialogMessageSchema.parse({
    ...b,
    content: { message: "", references: [], end_conversation: false },
    // failed, not cut: nothing of it came back, so nothing is known to have been cut (one turn, counted once)
    cut: false,
    failed: true,
    error,
    note: "recorded by the manager: no worker returned this turn",
    metadata: {
      ...metadata,
      provider: model.provider,
      model: model.model,
      done_reason: "error",
      failed_attempts: taken === false ? [] : [{ attempt: 1, provider: model.provider, model: model.model, cause: "worker_lost", error, at, retry_after_ms: null, wait_ms: null }],
      source: "model",
      recorded_by: "manager",
      turn_choice: choiceOf(choice),
    },
  });
}

/** a narrator's remark as message `seq` */
export function narratorMessage(rec: ConversationRecord, seq: number, said: Said & { via: string }): DialogMessage {
  const b = base(rec, seq, NARRATOR_ID, "Narrator", "narrator", said.said_at, said.said_at);
  const { max, ...metadata } = b.metadata;
  return DialogMessageSchema.parse({
    ...b,
    content: { message: said.text.slice(0, max), references: [], end_conversation: false },
    note: `a narrator's remark (${said.via})`,
    metadata: { ...metadata, truncated: said.text.length > max, source: "narrator" },
  });
}

const choiceOf = (c: NextChoice) => ({ how: c.how, by: c.by, reason: c.reason, ...(c.round === undefined ? {} : { round: c.round }) });
