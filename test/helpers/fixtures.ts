/**
 * Conversation fixtures (test/fixtures/*.json): a compact, hand-written record and messages,
 * expanded here into a valid ConversationRecord and DialogMessages (parsed with the protocol
 * schemas). Fields a fixture leaves out get plain defaults, listed in `expand`.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { TranscriptEntry } from "../../src/analysis/analyzer.js";
import { ConversationRecordSchema, type ConversationRecord } from "../../src/protocol/record.js";
import { DialogMessageSchema, type DialogMessage } from "../../src/protocol/schemas.js";
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
}

interface FixtureFile {
  record: {
    id: string;
    title: string;
    status: ConversationRecord["status"];
    stop_reason: ConversationRecord["stop_reason"];
    started_at: number;
    ended_at: number;
    agents: Array<{ id: string; name: string; role: string }>;
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
  const model = { provider: "simulated" as const, model: "simulated-1", options: {} };
  const record = ConversationRecordSchema.parse({
    spec: {
      id: r.id,
      created_at: r.started_at - 5000,
      scenario: { title: r.title, premise: r.title },
      agents: r.agents.map((a) => ({ id: a.id, role: a.role, pool: a.id, model })),
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
    personas: r.agents.map((a) => ({ name: a.name, role: a.role, traits: ["calm"], goals: ["talk"], speaking_style: "plain" })),
    started_at: r.started_at,
    deadline_at: r.started_at + 600_000,
    ended_at: r.ended_at,
    turns: raw.messages.length,
    tokens_total: raw.messages.reduce((n, m) => n + (m.tokens ?? 10), 0),
    pending_seq: null,
  });
  const entries = raw.messages.map((m, i): TranscriptEntry & { message: DialogMessage } => {
    const seq = i + 1;
    const agent = r.agents.find((a) => a.id === m.agent);
    // defaults: one message a second, 10 tokens at 10 tok/s
    const requested = m.requested ?? r.started_at + i * 1000;
    const started = m.started ?? requested + 5;
    const finished = m.finished ?? started + 900;
    const message = DialogMessageSchema.parse({
      message_id: `${r.id}.${seq}`,
      queue_timestamp: finished + 2,
      role: agent?.role ?? "?",
      speaker: agent?.name ?? m.agent,
      content: { message: m.text, ...(m.sentiment === undefined ? {} : { sentiment: m.sentiment }), references: [], end_conversation: false },
      cut: m.cut ?? false,
      metadata: {
        conversation_id: r.id,
        sequence_number: seq,
        agent_id: m.agent,
        provider: "simulated",
        model: "simulated-1",
        tokens_generated: m.tokens ?? 10,
        prompt_tokens: m.prompt === undefined ? 50 : m.prompt,
        generation_time_ms: m.gen ?? 900,
        time_to_first_token_ms: m.ttft === undefined ? 100 : m.ttft,
        tokens_per_second: m.tps ?? 10,
        load_time_ms: m.load ?? 0,
        done_reason: m.cut ? "cut" : "stop",
        worker: { host: "fixture", pid: 1 },
        attempt: 1,
        queue_wait_ms: m.queue_wait ?? 5,
        requested_at: requested,
        started_at: started,
        finished_at: finished,
        truncated: false,
      },
    });
    return { message, recorded_at: m.recorded ?? finished + 5 };
  });
  return { record, messages: entries.map((e) => e.message), entries };
}
