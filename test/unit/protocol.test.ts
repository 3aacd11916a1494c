import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { ConversationRecordSchema, type ConversationRecord } from "../../src/protocol/record.js";
import {
  AbortNoticeSchema,
  ControlJobSchema,
  DialogMessageSchema,
  PersonaSchema,
  StoryContentSchema,
  TokenChunkSchema,
  TurnRequestSchema,
  TurnResponseSchema,
  type ControlJob,
  type DialogMessage,
  type Persona,
  type StoryContent,
  type TurnRequest,
  type TurnResponse,
} from "../../src/protocol/schemas.js";

const story: StoryContent = {
  title: "Refinancing the mortgage",
  setting: "A quiet meeting room at a regional bank, mid-morning.",
  characters: [
    { name: "Maya Lindqvist", role: "homeowner" },
    { name: "Tomas Berg", role: "relationship manager" },
  ],
  initial_situation: "Maya's fixed rate ends in three months and she wants a lower payment.",
};

const maya: Persona = {
  name: "Maya Lindqvist",
  role: "homeowner",
  traits: ["careful", "direct"],
  goals: ["lower the monthly payment", "avoid risks she does not understand"],
  speaking_style: "short questions, asks for numbers",
};
const tomas: Persona = {
  name: "Tomas Berg",
  role: "relationship manager",
  traits: ["patient"],
  goals: ["keep the customer"],
  speaking_style: "calm, explains with examples",
};

const message: DialogMessage = {
  message_id: "conv-1.3",
  queue_timestamp: 1_763_700_000_123,
  role: "homeowner",
  speaker: "Maya Lindqvist",
  content: {
    message: "What would the variable rate be today? Ünïcødé \"quoted\"\nnew line",
    sentiment: -0.25,
    references: ["fixed rate", "monthly payment"],
    end_conversation: false,
  },
  cut: false,
  stalled: false,
  skipped: false,
  failed: false,
  metadata: {
    failed_attempts: [],
    source: "model",
    conversation_id: "conv-1",
    sequence_number: 3,
    agent_id: "customer",
    provider: "ollama",
    model: "llama3.2:3b",
    tokens_generated: 42,
    prompt_tokens: 512,
    generation_time_ms: 1830.5,
    time_to_first_token_ms: 210,
    tokens_per_second: 22.9,
    load_time_ms: 0,
    done_reason: "stop",
    worker: { host: "box-1", pid: 4242 },
    attempt: 1,
    queue_wait_ms: 12,
    requested_at: 1_763_700_000_000,
    started_at: 1_763_700_000_010,
    finished_at: 1_763_700_000_120,
    truncated: false,
  },
};

const request: TurnRequest = {
  conversation_id: "conv-1",
  sequence_number: 3,
  agent_id: "customer",
  pool: "customer",
  log_position: 2,
  turn_choice: { how: "round_robin", by: "manager", reason: "after Tomas Berg, in the agents' order" },
  use_fallback: false,
  failed_attempts: [],
  retry_budget_ms: 60_000,
  max_attempts: 3,
  backoff_ms: 1000,
  backoff_max_ms: 15_000,
  deadline_at: 1_763_700_120_000,
  requested_at: 1_763_700_000_000,
};

const okResponse: TurnResponse = { ok: true, message };
const failedResponse: TurnResponse = {
  ok: false,
  conversation_id: "conv-1",
  sequence_number: 3,
  agent_id: "customer",
  error: "model returned invalid JSON",
  raw: '{"message": "half',
};

const record: ConversationRecord = {
  spec: {
    id: "conv-1",
    created_at: 1_763_699_999_000,
    scenario: { title: "Refinancing", premise: "A homeowner meets the bank.", setting: "A bank" },
    agents: [
      { id: "customer", role: "homeowner", goal: "lower payment", kind: "model", pool: "customer", model: { provider: "ollama", model: "llama3.2:3b", options: {} }, fallback: { provider: "simulated", model: "sim", options: {} } },
      { id: "advisor", role: "relationship manager", kind: "model", pool: "advisor", model: { provider: "simulated", model: "sim", options: { tokens_per_second: 0 } }, fallback: null },
    ],
    turn_order: "round_robin",
    manager: { provider: "simulated", model: "sim", options: {} },
    limits: { duration_seconds: 180, max_turns: 14, max_total_tokens: null, max_message_chars: 4000, history_turns: 40, stop_on_loop: true, loop_threshold: 0.6, loop_turns: 3, human_turn_seconds: 120 },
    token_stream_maxlen: 5000,
    context: { strategy: "drop", reserve_tokens: 256, window_tokens: 2048 },
    config: { provider: "auto", limits: { max_turns: 14 }, nested: [1, "two", null] },
  },
  status: "running",
  phase: "dialogue",
  stop_reason: null,
  error: null,
  story,
  personas: [maya, tomas],
  started_at: 1_763_700_000_000,
  deadline_at: 1_763_700_180_000,
  ended_at: null,
  turns: 2,
  tokens_total: 81,
  pending_seq: 3,
  failed_turns: 0,
  cut_turns: 0,
  stalled_turns: 0,
  retried_turns: 0,
  ok_turns: 2,
  lease_until: 1_763_700_030_000,
  remarks: 0,
  next_choice: { seq: 3, agent_id: "customer", how: "round_robin", by: "manager", reason: "after Tomas Berg, in the agents' order", at: 1_763_700_100_000 },
  history: null,
  ahead_declined: null,
  manager_retry: null,
};

const controlJobs: ControlJob[] = [
  { type: "start", conversation_id: "conv-1" },
  { type: "deadline", conversation_id: "conv-1" },
  { type: "finalize", conversation_id: "conv-1", reason: "max_turns" },
];

const viaJson = (x: unknown): unknown => JSON.parse(JSON.stringify(x));

describe("round trips through JSON", () => {
  const cases: Array<[string, z.ZodType, unknown]> = [
    ["DialogMessage", DialogMessageSchema, message],
    ["TurnRequest", TurnRequestSchema, request],
    ["TurnResponse ok", TurnResponseSchema, okResponse],
    ["TurnResponse failure", TurnResponseSchema, failedResponse],
    ...controlJobs.map((j): [string, z.ZodType, unknown] => [`ControlJob ${j.type}`, ControlJobSchema, j]),
    ["ConversationRecord", ConversationRecordSchema, record],
    ["ConversationRecord, finished", ConversationRecordSchema, { ...record, status: "completed", stop_reason: "max_turns", ended_at: 1_763_700_100_000, pending_seq: null }],
    ["ConversationRecord, before the story", ConversationRecordSchema, { ...record, status: "pending", phase: null, story: null, personas: null, started_at: null, deadline_at: null, turns: 0, tokens_total: 0, pending_seq: null }],
    ["StoryContent", StoryContentSchema, story],
    ["Persona", PersonaSchema, maya],
    ["AbortNotice", AbortNoticeSchema, { conversation_id: "conv-1", reason: "user_stop" }],
    ["TokenChunk", TokenChunkSchema, { seq: 3, attempt: 1, agent_id: "customer", text: " the", tokens: 1, t: 1_763_700_000_050 }],
  ];

  it.each(cases)("%s", (_name, schema, value) => {
    expect(schema.parse(viaJson(value))).toEqual(value);
  });

  it("fills defaults the sender may leave out", () => {
    const { cut: _cut, ...noCut } = message;
    const { truncated: _t, ...meta } = message.metadata;
    const parsed = DialogMessageSchema.parse(
      viaJson({ ...noCut, content: { message: "hi" }, metadata: meta }),
    );
    expect(parsed.cut).toBe(false);
    expect(parsed.metadata.truncated).toBe(false);
    expect(parsed.content).toEqual({ message: "hi", references: [], end_conversation: false });
    expect(parsed.content.sentiment).toBeUndefined();
  });

  it("the ok field tells the two TurnResponse shapes apart", () => {
    const ok = TurnResponseSchema.parse(viaJson(okResponse));
    const failed = TurnResponseSchema.parse(viaJson(failedResponse));
    expect(ok.ok && ok.message.metadata.sequence_number).toBe(3);
    expect(!failed.ok && failed.error).toBe("model returned invalid JSON");
  });
});

/** the paths of every issue, dotted */
function issuePaths(schema: z.ZodType, value: unknown): string[] {
  const r = schema.safeParse(value);
  expect(r.success).toBe(false);
  return r.success ? [] : r.error.issues.map((i) => i.path.map(String).join("."));
}

/** a deep copy with `mutate` applied */
function changed<T>(value: T, mutate: (copy: any) => void): unknown {
  const copy = viaJson(value);
  mutate(copy);
  return copy;
}

describe("rejections say where", () => {
  it.each([
    ["queue_timestamp", (m: any) => (m.queue_timestamp = "1763700000123")],
    ["content.message", (m: any) => (m.content.message = 42)],
    ["metadata.tokens_generated", (m: any) => (m.metadata.tokens_generated = "42")],
    ["metadata.worker.pid", (m: any) => (m.metadata.worker.pid = "4242")],
    ["metadata.provider", (m: any) => (m.metadata.provider = "gpt")],
    ["metadata.done_reason", (m: any) => (m.metadata.done_reason = "finished")],
    ["content.end_conversation", (m: any) => (m.content.end_conversation = "yes")],
    ["cut", (m: any) => (m.cut = 0)],
  ])("DialogMessage with a wrong type at %s", (where, mutate) => {
    expect(issuePaths(DialogMessageSchema, changed(message, mutate))).toEqual([where]);
  });

  it.each([1.01, -1.5, 2, Number.MAX_VALUE])("sentiment %d is outside [-1, 1]", (sentiment) => {
    expect(issuePaths(DialogMessageSchema, changed(message, (m) => (m.content.sentiment = sentiment)))).toEqual(["content.sentiment"]);
  });

  it.each([-1, 0, 1])("sentiment %d at the edges of [-1, 1] is accepted", (sentiment) => {
    expect(DialogMessageSchema.parse(changed(message, (m) => (m.content.sentiment = sentiment))).content.sentiment).toBe(sentiment);
  });

  it.each([
    ["DialogMessage", DialogMessageSchema, changed(message, (m) => (m.extra = 1)), "", "extra"],
    ["DialogMessage metadata", DialogMessageSchema, changed(message, (m) => (m.metadata.gpu = "a100")), "metadata", "gpu"],
    ["DialogMessage content", DialogMessageSchema, changed(message, (m) => (m.content.mood = "happy")), "content", "mood"],
    ["TurnRequest", TurnRequestSchema, changed(request, (r) => (r.priority = 1)), "", "priority"],
    ["TurnRequest turn_choice", TurnRequestSchema, changed(request, (r) => (r.turn_choice.mood = "kind")), "turn_choice", "mood"],
    ["TurnResponse failure", TurnResponseSchema, changed(failedResponse, (r) => (r.stack = "at x")), "", "stack"],
    ["ControlJob", ControlJobSchema, { type: "start", conversation_id: "c", reason: "x" }, "", "reason"],
    ["ConversationRecord", ConversationRecordSchema, changed(record, (r) => (r.owner = "me")), "", "owner"],
    ["ConversationRecord spec.limits", ConversationRecordSchema, changed(record, (r) => (r.spec.limits.speed = 2)), "spec.limits", "speed"],
    ["StoryContent character", StoryContentSchema, changed(story, (s) => (s.characters[1].age = 3)), "characters.1", "age"],
    ["Persona", PersonaSchema, { ...maya, age: 40 }, "", "age"],
  ])("%s rejects an unknown key", (_name, schema, value, where, key) => {
    const r = (schema as z.ZodType).safeParse(value);
    expect(r.success).toBe(false);
    if (r.success) return;
    expect(r.error.issues).toHaveLength(1);
    const issue = r.error.issues[0]!;
    expect(issue.path.map(String).join(".")).toBe(where);
    expect(issue.code).toBe("unrecognized_keys");
    expect(issue.message).toContain(key);
  });

  it.each([
    "conversation_id",
    "sequence_number",
    "agent_id",
    "provider",
    "model",
    "tokens_generated",
    "prompt_tokens",
    "generation_time_ms",
    "time_to_first_token_ms",
    "tokens_per_second",
    "load_time_ms",
    "done_reason",
    "worker",
    "attempt",
    "queue_wait_ms",
    "requested_at",
    "started_at",
    "finished_at",
  ])("a message without metadata.%s is rejected at that path", (field) => {
    expect(issuePaths(DialogMessageSchema, changed(message, (m) => delete m.metadata[field]))).toEqual([`metadata.${field}`]);
  });

  it("a message without metadata at all is rejected at metadata", () => {
    expect(issuePaths(DialogMessageSchema, changed(message, (m) => delete m.metadata))).toEqual(["metadata"]);
  });

  it("nullable metadata fields accept null but not absence", () => {
    const m = DialogMessageSchema.parse(changed(message, (x) => ((x.metadata.prompt_tokens = null), (x.metadata.time_to_first_token_ms = null))));
    expect(m.metadata.prompt_tokens).toBeNull();
    expect(m.metadata.time_to_first_token_ms).toBeNull();
  });

  it.each([-1, 0, 1.5])("sequence number %d is rejected everywhere it appears", (seq) => {
    expect(issuePaths(DialogMessageSchema, changed(message, (m) => (m.metadata.sequence_number = seq)))).toEqual(["metadata.sequence_number"]);
    expect(issuePaths(TurnRequestSchema, changed(request, (r) => (r.sequence_number = seq)))).toEqual(["sequence_number"]);
    expect(issuePaths(TurnResponseSchema, changed(failedResponse, (r) => (r.sequence_number = seq)))).toEqual(["sequence_number"]);
    expect(issuePaths(TurnResponseSchema, changed(okResponse, (r) => (r.message.metadata.sequence_number = seq)))).toEqual([
      "message.metadata.sequence_number",
    ]);
    expect(issuePaths(TokenChunkSchema, { seq, attempt: 1, agent_id: "a", text: "x", tokens: 1, t: 0 })).toEqual(["seq"]);
  });

  it("negative counters and timings are rejected", () => {
    expect(issuePaths(DialogMessageSchema, changed(message, (m) => (m.metadata.tokens_generated = -1)))).toEqual(["metadata.tokens_generated"]);
    expect(issuePaths(DialogMessageSchema, changed(message, (m) => (m.metadata.generation_time_ms = -0.5)))).toEqual(["metadata.generation_time_ms"]);
    expect(issuePaths(DialogMessageSchema, changed(message, (m) => (m.metadata.attempt = 0)))).toEqual(["metadata.attempt"]);
    expect(issuePaths(ConversationRecordSchema, changed(record, (r) => (r.turns = -1)))).toEqual(["turns"]);
  });

  it("a TurnRequest with a bad nested value names the nested path", () => {
    expect(issuePaths(TurnRequestSchema, changed(request, (r) => (r.turn_choice.how = "whoever")))).toEqual(["turn_choice.how"]);
    expect(issuePaths(TurnRequestSchema, changed(request, (r) => (r.log_position = -1)))).toEqual(["log_position"]);
    expect(issuePaths(TurnRequestSchema, changed(request, (r) => (r.failed_attempts = [{ attempt: 1 }])))).toEqual(expect.arrayContaining(["failed_attempts.0.cause"]));
  });

  it("a ControlJob of an unknown type, or a finalize without a reason, is rejected", () => {
    expect(issuePaths(ControlJobSchema, { type: "pause", conversation_id: "c" })).toEqual(["type"]);
    expect(issuePaths(ControlJobSchema, { type: "finalize", conversation_id: "c" })).toEqual(["reason"]);
    expect(issuePaths(ControlJobSchema, { type: "start", conversation_id: "" })).toEqual(["conversation_id"]);
  });

  it("a TurnResponse whose ok is not a boolean is rejected at ok", () => {
    expect(issuePaths(TurnResponseSchema, changed(failedResponse, (r) => (r.ok = "false")))).toEqual(["ok"]);
  });

  it("a ConversationRecord with an unknown status or stop reason is rejected at that field", () => {
    expect(issuePaths(ConversationRecordSchema, changed(record, (r) => (r.status = "paused")))).toEqual(["status"]);
    expect(issuePaths(ConversationRecordSchema, changed(record, (r) => (r.stop_reason = "bored")))).toEqual(["stop_reason"]);
    expect(issuePaths(ConversationRecordSchema, changed(record, (r) => r.spec.agents.pop()))).toEqual(["spec.agents"]);
  });

  it("a story needs at least two characters and a persona at least one trait and goal", () => {
    expect(issuePaths(StoryContentSchema, { ...story, characters: [story.characters[0]] })).toEqual(["characters"]);
    expect(issuePaths(PersonaSchema, { ...maya, goals: [] })).toEqual(["goals"]);
    expect(issuePaths(PersonaSchema, { ...maya, name: "" })).toEqual(["name"]);
  });
});
