/**
 * What the analysis reads of a message: the fields below, validated with the protocol's own
 * constraints, and nothing else. Reading a 100k-message log, checking and copying every field
 * of every message (the worker's host, the context usage, the raw reply of a failed turn …) took
 * about a third of the time; fields the analysis does not read are left out. A whole
 * DialogMessage is an AnalyzedMessage, so analyze() takes either. Runs recorded before conversations
 * had turn orders and people read the same: `source` defaults to "model", `skipped` to false, and
 * `turn_choice` and `next_speaker` are absent. Of a failed attempt it reads its cause, when it
 * failed and the wait after it (for the time a turn spent on attempts that failed), and whether the
 * manager recorded the message (a turn no worker returned: no wait for a worker to count).
 */
import { z } from "zod";
import { FAILURE_CAUSES, type FailureCause } from "../errors/index.js";
import { isSafeId } from "../protocol/keys.js";
import { ConversationContentSchema, DialogMessageSchema, FailedAttemptSchema, MAX_TEXT, MessageMetadataSchema } from "../protocol/schemas.js";

const AnalyzedMetadataSchema = MessageMetadataSchema.pick({
  sequence_number: true,
  agent_id: true,
  provider: true,
  model: true,
  tokens_generated: true,
  prompt_tokens: true,
  generation_time_ms: true,
  time_to_first_token_ms: true,
  tokens_per_second: true,
  load_time_ms: true,
  queue_wait_ms: true,
  requested_at: true,
  started_at: true,
  finished_at: true,
  source: true,
  turn_choice: true,
  copied_from: true,
  material: true,
  recorded_by: true,
})
  .extend({ failed_attempts: z.array(FailedAttemptSchema.pick({ cause: true, at: true, wait_ms: true }).strip()).default([]) })
  .strip();

export const AnalyzedMessageSchema = DialogMessageSchema.pick({ queue_timestamp: true, speaker: true, cut: true, failed: true, stalled: true, skipped: true })
  .extend({
    content: ConversationContentSchema.pick({ message: true, sentiment: true, next_speaker: true }).strip(),
    metadata: AnalyzedMetadataSchema,
  })
  .strip();
export type AnalyzedMessage = z.infer<typeof AnalyzedMessageSchema>;

/**
 * A log entry's message JSON, as the analysis reads it. Checked first by `readAnalyzed` (below),
 * which accepts only what the schema accepts and gives what it gives; anything it does not accept
 * outright — a malformed message, or a form it does not know — goes through the schema, which
 * rejects it (or reads it) as always.
 */
export const parseAnalyzed = (raw: string): AnalyzedMessage => {
  const v: unknown = JSON.parse(raw);
  return readAnalyzed(v) ?? AnalyzedMessageSchema.parse(v);
};

// The checks of AnalyzedMessageSchema written out, for the analysis of long logs: zod's
// general machinery cost about as much as JSON.parse itself on a 100k-message log. Each check is
// at least as strict as the schema's (test/unit/message-view.test.ts compares the two on valid and
// malformed messages); the result has the schema's keys in the schema's order, defaults filled.
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);
const nonNegInt = (v: unknown): v is number => isInt(v) && v >= 0;
const posInt = (v: unknown): v is number => isInt(v) && v > 0;
const nonNeg = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;
const str = (v: unknown, max: number, min = 0): v is string => typeof v === "string" && v.length >= min && v.length <= max;
const optBool = (v: unknown): boolean | null => (v === undefined ? false : typeof v === "boolean" ? v : null);
const PROVIDERS: ReadonlySet<unknown> = new Set(["simulated", "ollama", "openai", "embedded", "auto", "imported", "human"]);
const SOURCES: ReadonlySet<unknown> = new Set(["model", "human", "narrator", "imported"]);
const HOWS: ReadonlySet<unknown> = new Set(["first", "round_robin", "random", "addressed", "moderator"]);
const CAUSES: ReadonlySet<unknown> = new Set(FAILURE_CAUSES);
/** keys of a strict object: any other key, and the fast path gives way to the schema */
const onlyKeys = (o: Obj, keys: ReadonlySet<string>): boolean => {
  for (const k in o) if (!keys.has(k)) return false;
  return true;
};
const TURN_CHOICE_KEYS: ReadonlySet<string> = new Set(["how", "by", "reason", "round"]);
const COPIED_KEYS: ReadonlySet<string> = new Set(["conversation_id", "sequence_number"]);
const MATERIAL_KEYS: ReadonlySet<string> = new Set(["chunks", "tokens", "budget_tokens"]);

function readTurnChoice(v: unknown): AnalyzedMessage["metadata"]["turn_choice"] | null {
  if (!isObj(v) || !onlyKeys(v, TURN_CHOICE_KEYS)) return null;
  if (!HOWS.has(v.how) || !str(v.by, 300, 1) || !str(v.reason, 500)) return null;
  if (v.round !== undefined && !posInt(v.round)) return null;
  const out = { how: v.how, by: v.by, reason: v.reason } as NonNullable<AnalyzedMessage["metadata"]["turn_choice"]>;
  if (v.round !== undefined) out.round = v.round;
  return out;
}

function readCopied(v: unknown): AnalyzedMessage["metadata"]["copied_from"] | null {
  if (!isObj(v) || !onlyKeys(v, COPIED_KEYS)) return null;
  if (typeof v.conversation_id !== "string" || !isSafeId(v.conversation_id) || !posInt(v.sequence_number)) return null;
  return { conversation_id: v.conversation_id, sequence_number: v.sequence_number };
}

function readMaterial(v: unknown): AnalyzedMessage["metadata"]["material"] | null {
  if (!isObj(v) || !onlyKeys(v, MATERIAL_KEYS)) return null;
  const chunks = v.chunks;
  if (!Array.isArray(chunks) || chunks.length > 200 || !nonNegInt(v.tokens) || !nonNegInt(v.budget_tokens)) return null;
  for (const c of chunks) if (!str(c, 200)) return null;
  return { chunks: [...(chunks as string[])], tokens: v.tokens, budget_tokens: v.budget_tokens };
}

function readAttempts(v: unknown): AnalyzedMessage["metadata"]["failed_attempts"] | null {
  if (v === undefined) return [];
  if (!Array.isArray(v)) return null;
  const out: AnalyzedMessage["metadata"]["failed_attempts"] = [];
  for (const a of v) {
    if (!isObj(a) || !CAUSES.has(a.cause) || !nonNegInt(a.at)) return null;
    const wait = a.wait_ms === undefined ? null : a.wait_ms;
    if (wait !== null && !nonNegInt(wait)) return null;
    out.push({ cause: a.cause as FailureCause, at: a.at, wait_ms: wait });
  }
  return out;
}

/** `v` as AnalyzedMessageSchema gives it, or null when the schema has to say (malformed, or a form not checked here) */
export function readAnalyzed(v: unknown): AnalyzedMessage | null {
  if (!isObj(v)) return null;
  const c = v.content;
  const md = v.metadata;
  if (!isObj(c) || !isObj(md)) return null;
  if (!nonNegInt(v.queue_timestamp) || !str(v.speaker, 500, 1)) return null;
  const cut = optBool(v.cut);
  const failed = optBool(v.failed);
  const stalled = optBool(v.stalled);
  const skipped = optBool(v.skipped);
  if (cut === null || failed === null || stalled === null || skipped === null) return null;
  if (!str(c.message, MAX_TEXT)) return null;
  if (c.sentiment !== undefined && !(typeof c.sentiment === "number" && c.sentiment >= -1 && c.sentiment <= 1)) return null;
  if (c.next_speaker !== undefined && !str(c.next_speaker, 120)) return null;
  if (!posInt(md.sequence_number) || typeof md.agent_id !== "string" || !isSafeId(md.agent_id)) return null;
  if (!PROVIDERS.has(md.provider) || !str(md.model, 200)) return null;
  if (!nonNegInt(md.tokens_generated) || !(md.prompt_tokens === null || nonNegInt(md.prompt_tokens))) return null;
  if (!nonNeg(md.generation_time_ms) || !(md.time_to_first_token_ms === null || nonNeg(md.time_to_first_token_ms))) return null;
  if (!nonNeg(md.tokens_per_second) || !nonNeg(md.load_time_ms) || !nonNeg(md.queue_wait_ms)) return null;
  if (!nonNegInt(md.requested_at) || !nonNegInt(md.started_at) || !nonNegInt(md.finished_at)) return null;
  const source = md.source === undefined ? "model" : md.source;
  if (!SOURCES.has(source)) return null;
  const turnChoice = md.turn_choice === undefined ? undefined : readTurnChoice(md.turn_choice);
  const copied = md.copied_from === undefined ? undefined : readCopied(md.copied_from);
  const material = md.material === undefined ? undefined : readMaterial(md.material);
  const attempts = readAttempts(md.failed_attempts);
  if (turnChoice === null || copied === null || material === null || attempts === null) return null;
  if (md.recorded_by !== undefined && md.recorded_by !== "manager") return null;

  const content: AnalyzedMessage["content"] = { message: c.message };
  if (c.sentiment !== undefined) content.sentiment = c.sentiment as number;
  if (c.next_speaker !== undefined) content.next_speaker = c.next_speaker as string;
  const metadata: AnalyzedMessage["metadata"] = {
    sequence_number: md.sequence_number,
    agent_id: md.agent_id,
    provider: md.provider as AnalyzedMessage["metadata"]["provider"],
    model: md.model,
    tokens_generated: md.tokens_generated,
    prompt_tokens: md.prompt_tokens as number | null,
    generation_time_ms: md.generation_time_ms,
    time_to_first_token_ms: md.time_to_first_token_ms as number | null,
    tokens_per_second: md.tokens_per_second,
    load_time_ms: md.load_time_ms,
    queue_wait_ms: md.queue_wait_ms,
    requested_at: md.requested_at,
    started_at: md.started_at,
    finished_at: md.finished_at,
    source: source as AnalyzedMessage["metadata"]["source"],
  } as AnalyzedMessage["metadata"];
  if (turnChoice !== undefined) metadata.turn_choice = turnChoice;
  if (copied !== undefined) metadata.copied_from = copied;
  if (material !== undefined) metadata.material = material;
  metadata.failed_attempts = attempts;
  if (md.recorded_by === "manager") metadata.recorded_by = "manager";
  return { queue_timestamp: v.queue_timestamp, speaker: v.speaker, cut, failed, stalled, skipped, content, metadata };
}
