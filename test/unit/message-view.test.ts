/**
 * What the analysis reads of a log entry: parseAnalyzed reads the common forms without zod
 * (readAnalyzed) and must give exactly what AnalyzedMessageSchema gives — the same keys in the
 * same order, defaults filled — and reject every message the schema rejects, with the schema's
 * error.
 */
import { describe, expect, it } from "vitest";
import { AnalyzedMessageSchema, parseAnalyzed, readAnalyzed } from "../../src/analysis/message-view.js";
import { DialogMessageSchema } from "../../src/protocol/schemas.js";

/** a message as a worker records it, every optional field the analysis reads filled */
const full = (): Record<string, any> => ({
  message_id: "run-1.7",
  queue_timestamp: 1_700_000_001_000,
  role: "buyer",
  speaker: "Ann Lee",
  content: { message: "Why does the timeline worry you, Ben?", sentiment: -0.25, references: ["r1"], end_conversation: false, next_speaker: "b" },
  cut: false,
  stalled: false,
  skipped: false,
  failed: false,
  metadata: {
    conversation_id: "run-1",
    sequence_number: 7,
    agent_id: "a",
    provider: "ollama",
    model: "llama3.2",
    tokens_generated: 12,
    prompt_tokens: 300,
    generation_time_ms: 812.5,
    time_to_first_token_ms: 95,
    tokens_per_second: 14.7,
    load_time_ms: 0,
    done_reason: "stop",
    worker: { host: "h", pid: 42 },
    attempt: 2,
    queue_wait_ms: 3,
    requested_at: 1_700_000_000_000,
    started_at: 1_700_000_000_003,
    finished_at: 1_700_000_000_815,
    truncated: false,
    context: { window_tokens: 4096, budget_tokens: 3000, prompt_tokens: 300, counted: "estimate", history_sent: 6, history_dropped: 0, summarized: false },
    failed_attempts: [{ attempt: 1, provider: "ollama", model: "llama3.2", cause: "rate_limited", error: "429: wait", at: 1_700_000_000_100, retry_after_ms: 200, wait_ms: 200 }],
    source: "model",
    turn_choice: { how: "addressed", by: "b", reason: "named in the last reply", round: 2 },
    copied_from: { conversation_id: "run-0", sequence_number: 3 },
    material: { chunks: ["doc.md#1", "doc.md#4"], tokens: 120, budget_tokens: 400 },
  },
});

/** an older run's message: no optional field, no default written */
const bare = (): Record<string, any> => {
  const m = full();
  for (const k of ["cut", "stalled", "skipped", "failed"]) delete m[k];
  delete m.content.sentiment;
  delete m.content.next_speaker;
  for (const k of ["failed_attempts", "source", "turn_choice", "copied_from", "material", "context", "truncated"]) delete m.metadata[k];
  return m;
};

type Change = [string, (m: Record<string, any>) => void];

/** each a message the schema rejects (or reads otherwise than the plain case) */
const changes: Change[] = [
  ["an empty object", (m) => Object.keys(m).forEach((k) => delete m[k])],
  ["no content", (m) => delete m.content],
  ["no metadata", (m) => delete m.metadata],
  ["metadata an array", (m) => (m.metadata = [])],
  ["negative queue_timestamp", (m) => (m.queue_timestamp = -1)],
  ["fractional queue_timestamp", (m) => (m.queue_timestamp = 1.5)],
  ["empty speaker", (m) => (m.speaker = "")],
  ["speaker too long", (m) => (m.speaker = "x".repeat(501))],
  ["cut a string", (m) => (m.cut = "no")],
  ["failed null", (m) => (m.failed = null)],
  ["message a number", (m) => (m.content.message = 3)],
  ["message too long", (m) => (m.content.message = "x".repeat(200_001))],
  ["sentiment past 1", (m) => (m.content.sentiment = 1.01)],
  ["sentiment null", (m) => (m.content.sentiment = null)],
  ["next_speaker too long", (m) => (m.content.next_speaker = "b".repeat(121))],
  ["sequence_number 0", (m) => (m.metadata.sequence_number = 0)],
  ["agent id unsafe", (m) => (m.metadata.agent_id = "a b")],
  ["agent id empty", (m) => (m.metadata.agent_id = "")],
  ["provider unknown", (m) => (m.metadata.provider = "gpt")],
  ["provider human", (m) => (m.metadata.provider = "human")],
  ["model too long", (m) => (m.metadata.model = "m".repeat(201))],
  ["tokens negative", (m) => (m.metadata.tokens_generated = -1)],
  ["tokens fractional", (m) => (m.metadata.tokens_generated = 1.5)],
  ["tokens past safe integers", (m) => (m.metadata.tokens_generated = 2 ** 60)],
  ["prompt_tokens null", (m) => (m.metadata.prompt_tokens = null)],
  ["prompt_tokens missing", (m) => delete m.metadata.prompt_tokens],
  ["generation time negative", (m) => (m.metadata.generation_time_ms = -0.5)],
  ["first token null", (m) => (m.metadata.time_to_first_token_ms = null)],
  ["first token a string", (m) => (m.metadata.time_to_first_token_ms = "95")],
  ["tokens/s missing", (m) => delete m.metadata.tokens_per_second],
  ["queue wait negative", (m) => (m.metadata.queue_wait_ms = -3)],
  ["requested_at fractional", (m) => (m.metadata.requested_at = 1.25)],
  ["finished_at missing", (m) => delete m.metadata.finished_at],
  ["source narrator", (m) => (m.metadata.source = "narrator")],
  ["source unknown", (m) => (m.metadata.source = "robot")],
  ["turn choice without reason", (m) => delete m.metadata.turn_choice.reason],
  ["turn choice with another key", (m) => (m.metadata.turn_choice.extra = 1)],
  ["turn choice how unknown", (m) => (m.metadata.turn_choice.how = "lottery")],
  ["turn choice by empty", (m) => (m.metadata.turn_choice.by = "")],
  ["turn choice round 0", (m) => (m.metadata.turn_choice.round = 0)],
  ["turn choice without round", (m) => delete m.metadata.turn_choice.round],
  ["copied_from unsafe id", (m) => (m.metadata.copied_from.conversation_id = "../x")],
  ["copied_from with another key", (m) => (m.metadata.copied_from.at = 1)],
  ["material chunk too long", (m) => (m.metadata.material.chunks = ["c".repeat(201)])],
  ["material too many chunks", (m) => (m.metadata.material.chunks = Array.from({ length: 201 }, (_, i) => `c${i}`))],
  ["material tokens negative", (m) => (m.metadata.material.tokens = -1)],
  ["failed attempts an object", (m) => (m.metadata.failed_attempts = {})],
  ["failed attempt cause unknown", (m) => (m.metadata.failed_attempts[0].cause = "gremlins")],
  ["failed attempt without at", (m) => delete m.metadata.failed_attempts[0].at],
  ["failed attempt wait null", (m) => (m.metadata.failed_attempts[0].wait_ms = null)],
  ["failed attempt without wait", (m) => delete m.metadata.failed_attempts[0].wait_ms],
  ["failed attempt wait negative", (m) => (m.metadata.failed_attempts[0].wait_ms = -1)],
  ["failed attempt bad error (not read)", (m) => (m.metadata.failed_attempts[0].error = 5)],
  ["unknown top-level key (stripped)", (m) => (m.whatever = { deep: true })],
  ["worker missing (not read)", (m) => delete m.metadata.worker],
];

/** what parseAnalyzed does with `m`: its JSON (key order included), or the error's message */
const viaParse = (m: unknown): string => {
  try {
    return JSON.stringify(parseAnalyzed(JSON.stringify(m)));
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
};
const viaSchema = (m: unknown): string => {
  try {
    return JSON.stringify(AnalyzedMessageSchema.parse(m));
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
};

describe("parseAnalyzed reads a log entry as AnalyzedMessageSchema does", () => {
  it("a full message and an older run's bare one are read without the schema, to the same value", () => {
    for (const m of [full(), bare()]) {
      expect(DialogMessageSchema.safeParse(m).success).toBe(true);
      expect(readAnalyzed(m)).not.toBeNull();
      expect(viaParse(m)).toBe(viaSchema(m));
    }
  });

  it("the bare message gets the schema's defaults", () => {
    const a = parseAnalyzed(JSON.stringify(bare()));
    expect([a.cut, a.failed, a.stalled, a.skipped, a.metadata.source, a.metadata.failed_attempts]).toEqual([false, false, false, false, "model", []]);
  });

  it("a log entry that is not a message object: the schema's error", () => {
    for (const v of [null, [], 5, "text"]) {
      expect(readAnalyzed(v)).toBeNull();
      expect(viaParse(v)).toBe(viaSchema(v));
      expect(viaParse(v)).toMatch(/^error/);
    }
  });

  it.each(changes)("%s: the same value or the same error", (_, change) => {
    for (const base of [full(), bare()]) {
      const m = base;
      try {
        change(m);
      } catch {
        continue; // the change needs a field the bare message lacks
      }
      const want = viaSchema(m);
      expect(viaParse(m)).toBe(want);
      // what the schema rejects, the fast path never accepts on its own
      if (want.startsWith("error")) expect(readAnalyzed(m)).toBeNull();
    }
  });
});
