/**
 * Conversation fixtures (test/fixtures/*.json): a compact, hand-written record and messages,
 * expanded here into a valid ConversationRecord and DialogMessages (parsed with the protocol
 * schemas). Fields a fixture leaves out get plain defaults, listed in `expand`.
 *
 * Conversations of any shape: an agent may be a person (`"kind": "human"`: their messages have
 * provider "human", no tokens, no speed, no time to first token; `requested` is when the turn was
 * offered and `finished` when they answered), a message may be a skipped turn (`"skipped": true`)
 * or a narrator's remark (`"agent": "narrator"`), and carry the turn choice (`"choice": [how, by]`)
 * and the speaker it names next (`"next"`). The record's turn order is `"turn_order"`. A model's
 * message may be a failed turn (`"failed": true`, with its `"error"`), and carry the attempts that
 * failed before it (`"attempts"`: each its cause, when it failed in ms after the turn started, and
 * the wait after it).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { TranscriptEntry } from "../../src/analysis/analyzer.js";
import { ConversationRecordSchema, type ConversationRecord } from "../../src/protocol/record.js";
import { DialogMessageSchema, NARRATOR_ID, type DialogMessage } from "../../src/protocol/schemas.js";
import { ROOT } from "./cli.js";

interface FixtureMessage {
  agent: string;
  text: string;
  sentiment?: number;
  tokens?: number;
  prompt?: number | null;
  gen?: number;
  ttft?: number | null;
  tps?: number;
  load?: number;
  queue_wait?: number;
  requested?: number;
  started?: number;
  finished?: number;
  recorded?: number;
  cut?: boolean;
  /** how this turn's speaker was chosen, and by whom: metadata.turn_choice (reason made up) */
  choice?: [how: "first" | "round_robin" | "random" | "addressed" | "moderator", by: string];
  /** content.next_speaker */
  next?: string;
  /** a person's turn nobody answered */
  skipped?: boolean;
  /** a model's turn that failed (every attempt failed, or the reply was unusable twice) */
  failed?: boolean;
  error?: string;
  /** metadata.failed_attempts: `after` ms after the turn started, then `wait` ms before the next */
  attempts?: Array<{ cause: "rate_limited" | "server_error" | "stalled" | "invalid_reply"; after: number; wait?: number }>;
}

interface FixtureFile {
  record: {
    id: string;
    title: string;
    status: ConversationRecord["status"];
    stop_reason: ConversationRecord["stop_reason"];
    started_at: number;
    ended_at: number;
    turn_order?: "round_robin" | "random" | "addressed" | "moderator";
    agents: Array<{ id: string; name: string; role: string; kind?: "model" | "human" }>;
  };
  messages: FixtureMessage[];
}

export interface Fixture {
  record: ConversationRecord;
  messages: DialogMessage[];
  entries: Array<TranscriptEntry & { message: DialogMessage }>;
}

export function loadFixture(name: string, limits: Partial<ConversationRecord["spec"]["limits"]> = {}): Fixture {
  const raw = JSON.parse(readFileSync(path.join(ROOT, "test", "fixtures", `${name}.json`), "utf8")) as FixtureFile;
  const r = raw.record;
  const isModel = (m: FixtureMessage): boolean => m.agent !== NARRATOR_ID && r.agents.find((a) => a.id === m.agent)?.kind !== "human";
  // a model's tokens (default 10); a person and a narrator generate none
  const tokensOf = (m: FixtureMessage): number => (isModel(m) ? (m.tokens ?? 10) : 0);
  const model = { provider: "simulated" as const, model: "simulated-1", options: {} };
  const record = ConversationRecordSchema.parse({
    spec: {
      id: r.id,
      created_at: r.started_at - 5000,
      scenario: { title: r.title, premise: r.title },
      agents: r.agents.map((a) => ({ id: a.id, role: a.role, kind: a.kind ?? "model", pool: a.id, model })),
      turn_order: r.turn_order ?? "round_robin",
      manager: model,
      limits: { duration_seconds: 600, max_turns: 100, max_total_tokens: null, max_message_chars: 4000, history_turns: 40, ...limits },
      token_stream_maxlen: 0,
      config: {},
    },
    status: r.status,
    phase: null,
    stop_reason: r.stop_reason,
    error: null,
    story: null,
    personas: r.agents.map((a) => ({ agent_id: a.id, name: a.name, role: a.role, traits: ["calm"], goals: ["talk"], speaking_style: "plain" })),
    started_at: r.started_at,
    deadline_at: r.started_at + 600_000,
    ended_at: r.ended_at,
    turns: raw.messages.length,
    remarks: raw.messages.filter((m) => m.agent === NARRATOR_ID).length,
    tokens_total: raw.messages.reduce((n, m) => n + tokensOf(m), 0),
    pending_seq: null,
  });
  const entries = raw.messages.map((m, i): TranscriptEntry & { message: DialogMessage } => {
    const seq = i + 1;
    const agent = r.agents.find((a) => a.id === m.agent);
    const source = m.agent === NARRATOR_ID ? "narrator" : isModel(m) ? "model" : "human";
    const model = source === "model";
    // defaults: one message a second, 10 tokens at 10 tok/s (a person's and a narrator's: none)
    const requested = m.requested ?? r.started_at + i * 1000;
    const started = m.started ?? (model ? requested + 5 : requested);
    const finished = m.finished ?? started + 900;
    const message = DialogMessageSchema.parse({
      message_id: `${r.id}.${seq}`,
      queue_timestamp: finished + 2,
      role: source === "narrator" ? "narrator" : (agent?.role ?? "?"),
      speaker: source === "narrator" ? "Narrator" : (agent?.name ?? m.agent),
      content: {
        message: m.skipped ? "" : m.text,
        ...(m.sentiment === undefined ? {} : { sentiment: m.sentiment }),
        references: [],
        end_conversation: false,
        ...(m.next === undefined ? {} : { next_speaker: m.next }),
      },
      cut: m.cut ?? false,
      ...(m.skipped ? { skipped: true, note: "no answer within 120 s (limits.human_turn_seconds): the turn was skipped" } : {}),
      ...(m.failed ? { failed: true, error: m.error ?? "failed (fixture)" } : {}),
      metadata: {
        conversation_id: r.id,
        sequence_number: seq,
        agent_id: m.agent,
        provider: model ? "simulated" : "human",
        model: model ? "simulated-1" : "person",
        tokens_generated: tokensOf(m),
        prompt_tokens: !model ? null : m.prompt === undefined ? 50 : m.prompt,
        generation_time_ms: model ? (m.gen ?? 900) : finished - started,
        time_to_first_token_ms: !model ? null : m.ttft === undefined ? 100 : m.ttft,
        tokens_per_second: model ? (m.tps ?? 10) : 0,
        load_time_ms: model ? (m.load ?? 0) : 0,
        // a turn whose attempts all failed generated nothing ("error"); an unusable reply was generated to its end
        done_reason: m.cut ? "cut" : m.failed && m.attempts?.length ? "error" : "stop",
        worker: { host: "fixture", pid: 1 },
        // a turn whose attempts all failed was its last attempt's; otherwise the one after them
        attempt: Math.max(1, (m.attempts?.length ?? 0) + (m.failed && m.attempts?.length ? 0 : 1)),
        queue_wait_ms: model ? (m.queue_wait ?? 5) : 0,
        requested_at: requested,
        started_at: started,
        finished_at: finished,
        truncated: false,
        source,
        failed_attempts: (m.attempts ?? []).map((f, k) => ({
          attempt: k + 1,
          provider: "simulated",
          model: "simulated-1",
          cause: f.cause,
          error: `${f.cause} (fixture)`,
          at: started + f.after,
          retry_after_ms: null,
          wait_ms: f.wait ?? null,
        })),
        ...(m.choice ? { turn_choice: { how: m.choice[0], by: m.choice[1], reason: `${m.choice[0]} (fixture)` } } : {}),
      },
    });
    return { message, recorded_at: m.recorded ?? finished + 5 };
  });
  return { record, messages: entries.map((e) => e.message), entries };
}
