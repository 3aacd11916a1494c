/**
 * Conversations of more than two for renderer tests: a town-hall cast of up to eight agents (any
 * of them a person), their turns (a model's, a person's, a skipped one), a narrator's remark, and
 * the record as the manager leaves it when it has chosen the next speaker. Parsed with the real
 * schemas, so a fixture that drifts from the protocol fails loudly.
 */
import { ConversationRecordSchema, type ConversationRecord, type NextChoice } from "../../src/protocol/record.js";
import { DialogMessageSchema, type DialogMessage, type TurnChoice } from "../../src/protocol/schemas.js";
import { ID, T0 } from "./conversation.js";

export const CAST = [
  { id: "chair", role: "deputy mayor chairing the meeting", name: "Margaret Oyelaran-Whitfield" },
  { id: "officer", role: "council transport officer", name: "Tomasz Wiśniewski" },
  { id: "shopkeeper", role: "bakery owner on the high street", name: "Aiko Tanaka" },
  { id: "commuter", role: "nurse who commutes by bus", name: "Bongani Dlamini" },
  { id: "resident", role: "pensioner on the high street", name: "Ines Carvalho" },
  { id: "student", role: "exchange student", name: "Léa Fontaine" },
  { id: "driver", role: "taxi driver", name: "Rahul Iyer" },
  { id: "teacher", role: "retired history teacher", name: "Gwen Morgan" },
] as const;

export function makeCastRecord(n: number, opts: { people?: string[]; turnOrder?: "round_robin" | "random" | "addressed" | "moderator"; over?: Partial<ConversationRecord> } = {}): ConversationRecord {
  const cast = CAST.slice(0, n);
  return ConversationRecordSchema.parse({
    spec: {
      id: ID,
      created_at: T0 - 2000,
      scenario: { title: "Town hall: a tram line down the high street", premise: "The council proposes a tram line." },
      agents: cast.map((a, i) => ({
        id: a.id,
        role: a.role,
        pool: a.id,
        kind: opts.people?.includes(a.id) ? "human" : "model",
        model: i % 2 === 0 ? { provider: "simulated", model: "simulated-1", options: {} } : { provider: "ollama", model: "llama3.2:3b", options: {} },
      })),
      turn_order: opts.turnOrder ?? "round_robin",
      manager: { provider: "simulated", model: "simulated-1", options: {} },
      limits: { duration_seconds: 300, max_turns: 15, max_total_tokens: null, max_message_chars: 4000, history_turns: 40, human_turn_seconds: 60 },
      token_stream_maxlen: 5000,
      config: {},
    },
    status: "running",
    phase: null,
    stop_reason: null,
    error: null,
    story: {
      title: "The tram question",
      setting: "The town hall's main room on a weekday evening.",
      characters: cast.map((a) => ({ name: a.name, role: a.role })),
      initial_situation: "The deputy mayor opens the meeting; the route map is on the projector.",
    },
    personas: cast.map((a) => ({ agent_id: a.id, name: a.name, role: a.role, traits: ["direct"], goals: ["be heard"], speaking_style: "plain" })),
    started_at: T0,
    deadline_at: T0 + 300_000,
    ended_at: null,
    turns: 0,
    tokens_total: 0,
    pending_seq: null,
    ...opts.over,
  });
}

const agentOf = (r: ConversationRecord, id: string) => {
  const a = r.spec.agents.find((x) => x.id === id);
  if (!a) throw new Error(`no agent ${id}`);
  return a;
};
const nameOf = (id: string): string => CAST.find((c) => c.id === id)?.name ?? id;

/** turn `seq` by agent `id`: a model's (with figures), or — when the agent is a person — what they typed (`text` "" and `skipped`: unanswered) */
export function makeTurn(r: ConversationRecord, seq: number, id: string, text: string, opts: { choice?: TurnChoice; skipped?: boolean; tokens?: number; tps?: number } = {}): DialogMessage {
  const a = agentOf(r, id);
  const start = T0 + (seq - 1) * 4000;
  const person = a.kind === "human";
  const tokens = person ? 0 : (opts.tokens ?? Math.max(1, text.split(/\s+/).length * 2));
  return DialogMessageSchema.parse({
    message_id: `${ID}.${seq}`,
    queue_timestamp: start + 3005,
    role: a.role,
    speaker: nameOf(id),
    content: { message: text },
    skipped: opts.skipped ?? false,
    ...(opts.skipped ? { note: `no answer within ${r.spec.limits.human_turn_seconds} s (limits.human_turn_seconds): the turn was skipped` } : {}),
    metadata: {
      conversation_id: ID,
      sequence_number: seq,
      agent_id: id,
      provider: person ? "human" : a.model.provider,
      model: person ? "person" : a.model.model,
      tokens_generated: tokens,
      prompt_tokens: person ? null : 400,
      generation_time_ms: 3000,
      time_to_first_token_ms: person ? null : 240,
      tokens_per_second: person ? 0 : (opts.tps ?? 25),
      load_time_ms: 0,
      done_reason: "stop",
      worker: { host: "test", pid: 1 },
      attempt: 1,
      queue_wait_ms: person ? 0 : 11,
      requested_at: start - 11,
      started_at: start,
      finished_at: start + 3000,
      source: person ? "human" : "model",
      ...(opts.choice ? { turn_choice: opts.choice } : {}),
    },
  });
}

/** a narrator's remark recorded as message `seq` */
export function makeRemark(seq: number, text: string, saidAt = T0 + (seq - 1) * 4000 - 500): DialogMessage {
  return DialogMessageSchema.parse({
    message_id: `${ID}.${seq}`,
    queue_timestamp: saidAt + 5,
    role: "narrator",
    speaker: "Narrator",
    content: { message: text },
    note: "a narrator's remark (dialogue say)",
    metadata: {
      conversation_id: ID,
      sequence_number: seq,
      agent_id: "narrator",
      provider: "human",
      model: "person",
      tokens_generated: 0,
      prompt_tokens: null,
      generation_time_ms: 0,
      time_to_first_token_ms: null,
      tokens_per_second: 0,
      load_time_ms: 0,
      done_reason: "stop",
      worker: { host: "test", pid: 1 },
      attempt: 1,
      queue_wait_ms: 0,
      requested_at: saidAt,
      started_at: saidAt,
      finished_at: saidAt,
      source: "narrator",
    },
  });
}

/** the record after `turns` messages with turn `turns + 1` given to `id` (as the manager writes it before requesting the turn) */
export function chosen(r: ConversationRecord, turns: number, id: string, choice: Omit<TurnChoice, never> = { how: "round_robin", by: "manager", reason: "in the agents' order" }, at = T0 + turns * 4000): ConversationRecord {
  const next_choice: NextChoice = { ...choice, seq: turns + 1, agent_id: id, at };
  return { ...r, turns, pending_seq: turns + 1, next_choice };
}
