/**
 * Every payload that crosses a process boundary: queue jobs, Redis records, stream entries.
 * Each schema is parsed at both ends (the producer before it writes, the consumer after it
 * reads). Types are inferred from the schemas, never written by hand.
 */
import { z } from "zod";

export const ProviderNameSchema = z.enum(["simulated", "ollama", "openai", "embedded", "auto"]);
export type ProviderName = z.infer<typeof ProviderNameSchema>;

/** Options a model call may carry; each provider uses the ones it understands. */
export const ModelOptionsSchema = z
  .object({
    temperature: z.number().min(0).max(2).optional(),
    seed: z.number().int().optional(),
    num_ctx: z.number().int().positive().optional(),
    num_predict: z.number().int().positive().optional(),
    top_p: z.number().min(0).max(1).optional(),
    /** simulated only: generation speed; 0 means as fast as possible. */
    tokens_per_second: z.number().min(0).optional(),
    /** simulated only: delay before the first token. */
    time_to_first_token_ms: z.number().min(0).optional(),
    /** simulated only: the agent raises end_conversation from this turn number on */
    end_after_turns: z.number().int().positive().optional(),
    /** simulated only: from this turn number on, the agent repeats its previous message word for word (a loop) */
    repeat_after_turns: z.number().int().positive().optional(),
  })
  .strict();
export type ModelOptions = z.infer<typeof ModelOptionsSchema>;

/** The model an agent (or the manager) talks through. */
export const ModelSpecSchema = z
  .object({
    provider: ProviderNameSchema,
    model: z.string().min(1),
    options: ModelOptionsSchema.default({}),
  })
  .strict();
export type ModelSpec = z.infer<typeof ModelSpecSchema>;

export const PersonaSchema = z
  .object({
    name: z.string().min(1).max(80),
    role: z.string().min(1).max(120),
    traits: z.array(z.string().min(1).max(60)).min(1).max(8),
    goals: z.array(z.string().min(1).max(240)).min(1).max(6),
    speaking_style: z.string().min(1).max(240),
  })
  .strict();
export type Persona = z.infer<typeof PersonaSchema>;

export const StoryContentSchema = z
  .object({
    title: z.string().min(1).max(160),
    setting: z.string().min(1).max(1200),
    characters: z
      .array(z.object({ name: z.string().min(1).max(80), role: z.string().min(1).max(120) }).strict())
      .min(2)
      .max(8),
    initial_situation: z.string().min(1).max(1200),
  })
  .strict();
export type StoryContent = z.infer<typeof StoryContentSchema>;

/** What the manager's model is asked for when it writes the personas. */
export const PersonaPairSchema = z.object({ personas: z.array(PersonaSchema).length(2) }).strict();
export type PersonaPair = z.infer<typeof PersonaPairSchema>;

/** What an agent's model returns for one turn (structured output). */
export const ConversationContentSchema = z
  .object({
    message: z.string(),
    sentiment: z.number().min(-1).max(1).optional(),
    references: z.array(z.string()).max(16).default([]),
    end_conversation: z.boolean().default(false),
  })
  .strict();
export type ConversationContent = z.infer<typeof ConversationContentSchema>;

export const DoneReasonSchema = z.enum(["stop", "length", "cut", "error"]);
export type DoneReason = z.infer<typeof DoneReasonSchema>;

export const MessageMetadataSchema = z
  .object({
    conversation_id: z.string().min(1),
    sequence_number: z.number().int().positive(),
    agent_id: z.string().min(1),
    provider: ProviderNameSchema,
    model: z.string(),
    tokens_generated: z.number().int().nonnegative(),
    prompt_tokens: z.number().int().nonnegative().nullable(),
    generation_time_ms: z.number().nonnegative(),
    time_to_first_token_ms: z.number().nonnegative().nullable(),
    tokens_per_second: z.number().nonnegative(),
    load_time_ms: z.number().nonnegative(),
    done_reason: DoneReasonSchema,
    worker: z.object({ host: z.string(), pid: z.number().int() }).strict(),
    attempt: z.number().int().positive(),
    queue_wait_ms: z.number().nonnegative(),
    /** epoch ms when the manager enqueued the request */
    requested_at: z.number().int().nonnegative(),
    /** epoch ms when the worker started generating */
    started_at: z.number().int().nonnegative(),
    /** epoch ms when the worker finished (or was cut) */
    finished_at: z.number().int().nonnegative(),
    /** the text was cut to `limits.max_message_chars` */
    truncated: z.boolean().default(false),
  })
  .strict();
export type MessageMetadata = z.infer<typeof MessageMetadataSchema>;

export const DialogMessageSchema = z
  .object({
    message_id: z.string().min(1),
    /** epoch ms when the worker put the message on the response queue */
    queue_timestamp: z.number().int().nonnegative(),
    /** the speaker's role in the story, e.g. "Relationship manager" */
    role: z.string().min(1),
    /** the speaker's persona name */
    speaker: z.string().min(1),
    content: ConversationContentSchema,
    /** the generation was aborted (deadline or user stop); content is what was produced */
    cut: z.boolean().default(false),
    metadata: MessageMetadataSchema,
  })
  .strict();
export type DialogMessage = z.infer<typeof DialogMessageSchema>;

export const HistoryEntrySchema = z
  .object({
    agent_id: z.string(),
    speaker: z.string(),
    text: z.string(),
  })
  .strict();
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;

/** manager -> worker, on `requests.<pool>` */
export const TurnRequestSchema = z
  .object({
    conversation_id: z.string().min(1).max(120),
    sequence_number: z.number().int().positive(),
    agent_id: z.string().min(1),
    pool: z.string().min(1),
    model: ModelSpecSchema,
    story: StoryContentSchema,
    persona: PersonaSchema,
    partner: PersonaSchema,
    history: z.array(HistoryEntrySchema),
    turn: z.object({ number: z.number().int().positive(), max: z.number().int().positive() }).strict(),
    /** epoch ms; the worker aborts generation at this moment and returns what it has, marked cut */
    deadline_at: z.number().int().nonnegative(),
    max_message_chars: z.number().int().positive(),
    token_stream_maxlen: z.number().int().nonnegative(),
    requested_at: z.number().int().nonnegative(),
  })
  .strict();
export type TurnRequest = z.infer<typeof TurnRequestSchema>;

/** worker -> manager, on `responses.<pool>` */
export const TurnResponseSchema = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true), message: DialogMessageSchema }).strict(),
  z
    .object({
      ok: z.literal(false),
      conversation_id: z.string(),
      sequence_number: z.number().int().positive(),
      agent_id: z.string(),
      error: z.string(),
      raw: z.string().optional(),
    })
    .strict(),
]);
export type TurnResponse = z.infer<typeof TurnResponseSchema>;

/** jobs on the manager's control queue */
export const ControlJobSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("start"), conversation_id: z.string().min(1) }).strict(),
  z.object({ type: z.literal("deadline"), conversation_id: z.string().min(1) }).strict(),
  z.object({ type: z.literal("finalize"), conversation_id: z.string().min(1), reason: z.string() }).strict(),
]);
export type ControlJob = z.infer<typeof ControlJobSchema>;

/** published on the abort channel: workers abort matching in-flight generations */
export const AbortNoticeSchema = z
  .object({ conversation_id: z.string().min(1), reason: z.string() })
  .strict();
export type AbortNotice = z.infer<typeof AbortNoticeSchema>;

/** one entry of a conversation's token stream */
export const TokenChunkSchema = z
  .object({
    seq: z.number().int().positive(),
    attempt: z.number().int().positive(),
    agent_id: z.string(),
    text: z.string(),
    tokens: z.number().int().nonnegative(),
    t: z.number().int().nonnegative(),
  })
  .strict();
export type TokenChunk = z.infer<typeof TokenChunkSchema>;
