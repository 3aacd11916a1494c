/**
 * What the analysis reads of a message: the fields below, validated with the protocol's own
 * constraints, and nothing else. Reading a 100k-message log, checking and copying every field
 * of every message (the worker's host, the context usage, the raw reply of a failed turn …) took
 * about a third of the time; fields the analysis does not read are left out. A whole
 * DialogMessage is an AnalyzedMessage, so analyze() takes either. Runs recorded before conversations
 * had turn orders and people read the same: `source` defaults to "model", `skipped` to false, and
 * `turn_choice` and `next_speaker` are absent. Of a failed attempt it reads its cause, when it
 * failed and the wait after it (for the time a turn spent on attempts that failed).
 */
import { z } from "zod";
import { ConversationContentSchema, DialogMessageSchema, FailedAttemptSchema, MessageMetadataSchema } from "../protocol/schemas.js";

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

/** a log entry's message JSON, as the analysis reads it */
export const parseAnalyzed = (raw: string): AnalyzedMessage => AnalyzedMessageSchema.parse(JSON.parse(raw));
