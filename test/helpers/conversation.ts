/**
 * Conversations built in memory for renderer and replay tests: a record, messages with their
 * metadata, and the token chunks a worker would have streamed for them. Everything is parsed with
 * the real schemas, so a fixture that drifts from the protocol fails loudly.
 */
import { ConversationRecordSchema, type ConversationRecord } from "../../src/protocol/record.js";
import { DialogMessageSchema, type DialogMessage, type TokenChunk } from "../../src/protocol/schemas.js";

export const T0 = Date.UTC(2026, 10, 21, 14, 30, 5);
export const ID = "20261121-143005-k3f9a";

export const PERSONAS = [
  { name: "Elena Nakamura", role: "homeowner", traits: ["careful"], goals: ["lower the monthly payment"], speaking_style: "direct" },
  { name: "Arjun Mehta", role: "relationship manager", traits: ["patient"], goals: ["keep the customer"], speaking_style: "warm" },
];

export function makeRecord(over: Partial<ConversationRecord> = {}): ConversationRecord {
  return ConversationRecordSchema.parse({
    spec: {
      id: ID,
      created_at: T0 - 2000,
      scenario: { title: "Refinancing the mortgage", premise: "A homeowner asks the bank for a better rate." },
      agents: [
        { id: "customer", role: "homeowner", pool: "customer", model: { provider: "simulated", model: "simulated-1", options: {} } },
        { id: "advisor", role: "relationship manager", pool: "advisor", model: { provider: "ollama", model: "llama3.2:3b", options: {} } },
      ],
      manager: { provider: "simulated", model: "simulated-1", options: {} },
      limits: { duration_seconds: 120, max_turns: 12, max_total_tokens: null, max_message_chars: 4000, history_turns: 40 },
      token_stream_maxlen: 5000,
      config: {},
    },
    status: "running",
    phase: null,
    stop_reason: null,
    error: null,
    story: {
      title: "The rate review",
      setting: "A glass-walled meeting room at the bank, Tuesday morning.",
      characters: [
        { name: "Elena Nakamura", role: "homeowner" },
        { name: "Arjun Mehta", role: "relationship manager" },
      ],
      initial_situation: "Elena's fixed rate ends next month and she has a competing offer in her bag.",
    },
    personas: PERSONAS,
    started_at: T0,
    deadline_at: T0 + 120_000,
    ended_at: null,
    turns: 0,
    tokens_total: 0,
    pending_seq: null,
    ...over,
  });
}

/** message `seq` (odd: customer, even: advisor), generated from `start` for `ms` */
export function makeMessage(seq: number, text: string, opts: { start?: number; ms?: number; tokens?: number; tps?: number; ttft?: number; queue?: number; cut?: boolean; attempt?: number } = {}): DialogMessage {
  const customer = seq % 2 === 1;
  const start = opts.start ?? T0 + (seq - 1) * 4000;
  const ms = opts.ms ?? 3000;
  const tokens = opts.tokens ?? Math.max(1, text.split(/\s+/).length * 2);
  return DialogMessageSchema.parse({
    message_id: `${ID}.${seq}`,
    queue_timestamp: start + ms + 5,
    role: customer ? "homeowner" : "relationship manager",
    speaker: customer ? "Elena Nakamura" : "Arjun Mehta",
    content: { message: text },
    cut: opts.cut ?? false,
    metadata: {
      conversation_id: ID,
      sequence_number: seq,
      agent_id: customer ? "customer" : "advisor",
      provider: customer ? "simulated" : "ollama",
      model: customer ? "simulated-1" : "llama3.2:3b",
      tokens_generated: tokens,
      prompt_tokens: 300,
      generation_time_ms: ms,
      time_to_first_token_ms: opts.ttft ?? 250,
      tokens_per_second: opts.tps ?? 25,
      load_time_ms: 0,
      done_reason: opts.cut ? "cut" : "stop",
      worker: { host: "test", pid: 1 },
      attempt: opts.attempt ?? 1,
      queue_wait_ms: opts.queue ?? 12,
      requested_at: start - (opts.queue ?? 12),
      started_at: start,
      finished_at: start + ms,
    },
  });
}

/** the chunks a worker streams for `m`: its JSON in pieces of `size` characters, evenly over its generation */
export function chunksFor(m: DialogMessage, size = 8, attempt = m.metadata.attempt): TokenChunk[] {
  const raw = JSON.stringify({ message: m.content.message, references: [], end_conversation: false });
  const pieces: string[] = [];
  for (let i = 0; i < raw.length; i += size) pieces.push(raw.slice(i, i + size));
  const md = m.metadata;
  const step = md.generation_time_ms / pieces.length;
  return pieces.map((text, i) => ({
    seq: md.sequence_number,
    attempt,
    agent_id: md.agent_id,
    text,
    tokens: 1,
    t: Math.round(md.started_at + (i + 1) * step),
  }));
}
