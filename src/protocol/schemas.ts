/**
 * Every payload that crosses a process boundary: queue jobs, Redis records, stream entries.
 * Each schema is parsed at both ends (the producer before it writes, the consumer after it
 * reads). Types are inferred from the schemas, never written by hand.
 */
import { z } from "zod";
import { FAILURE_CAUSES } from "../errors/index.js";
import { isSafeId } from "./keys.js";

/** size caps: a payload past them is rejected, never stored or sent to a model */
export const MAX_TEXT = 200_000;
const id = z.string().refine(isSafeId, "must be 1-120 letters, digits, '_', '.' or '-'");
const shortText = z.string().max(500);

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
    /** ollama only: how long the server keeps the model loaded after a request ("5m", 0, -1) */
    keep_alive: z.union([z.string().min(1), z.number()]).optional(),
    /** simulated only: generation speed; 0 means as fast as possible. */
    tokens_per_second: z.number().min(0).optional(),
    /** simulated only: delay before the first token. */
    time_to_first_token_ms: z.number().min(0).optional(),
    /** simulated only: the agent raises end_conversation from this turn number on */
    end_after_turns: z.number().int().positive().optional(),
    /** simulated only: from this turn number on, the agent repeats its previous message word for word (a loop) */
    repeat_after_turns: z.number().int().positive().optional(),
    /** simulated only, turn order "addressed": the agent always names this agent id as the next speaker */
    address: z.string().min(1).max(120).optional(),
  })
  .strict();
export type ModelOptions = z.infer<typeof ModelOptionsSchema>;

/** a generation's stall timeouts, resolved (config `timeouts`, per provider and agent) */
export const StallTimeoutsSchema = z
  .object({
    /** request to first token */
    first_token_ms: z.number().int().positive(),
    /** between two tokens once the reply has started */
    between_tokens_ms: z.number().int().positive(),
  })
  .strict();
export type StallTimeouts = z.infer<typeof StallTimeoutsSchema>;

/**
 * "imported": the speakers of a recorded conversation brought in with `dialogue import` (and the
 * manager of one): no model ever ran for them here. Never a configuration's provider.
 */
export const IMPORTED = "imported";
export const ModelProviderSchema = z.union([ProviderNameSchema, z.literal(IMPORTED)]);
export type ModelProvider = z.infer<typeof ModelProviderSchema>;

/** The model an agent (or the manager) talks through. */
export const ModelSpecSchema = z
  .object({
    provider: ModelProviderSchema,
    model: z.string().min(1).max(200),
    options: ModelOptionsSchema.default({}),
    /** absent in runs recorded before timeouts were settings (the defaults then apply) */
    timeouts: StallTimeoutsSchema.optional(),
  })
  .strict();
export type ModelSpec = z.infer<typeof ModelSpecSchema>;

export const PersonaSchema = z
  .object({
    /** the agent this persona is for (absent in runs recorded before conversations had 2 to 8 agents: the personas then follow the agents' order) */
    agent_id: id.optional(),
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

/** the agents a conversation may have */
export const MIN_AGENTS = 2;
export const MAX_AGENTS = 8;

/**
 * What the manager's model is asked for when it writes the personas of the agents `ids`: one
 * persona each, naming its agent; the schema given to the model lists them in the agents' order
 * (`prefixItems`, see llm/json-schema.ts) and enumerates the ids, and the check afterwards wants
 * every id exactly once, in any order (a miss gets the usual repair attempt).
 */
export function personasSchemaFor(ids: readonly string[]) {
  const agentId = z.enum(ids as [string, ...string[]]);
  // for engines that constrain generation with the schema: the personas in the agents' order, each
  // with its own id (a small model can no longer name one agent twice); any order is still accepted
  const tuple = ids.map((id) => {
    const { $schema: _, ...json } = z.toJSONSchema(PersonaSchema.extend({ agent_id: z.literal(id) }));
    return json;
  });
  return z
    .object({ personas: z.array(PersonaSchema.extend({ agent_id: agentId })).length(ids.length).meta({ prefixItems: tuple }) })
    .strict()
    .refine((v) => new Set(v.personas.map((p) => p.agent_id)).size === ids.length, {
      message: `one persona for each of ${ids.join(", ")}, each named by its agent_id`,
      path: ["personas"],
    });
}
export type Personas = { personas: Array<Persona & { agent_id: string }> };

/**
 * What the manager's model answers when it reads a recorded transcript to carry it on (run
 * --continue): a story and one persona per speaker, each naming its agent id.
 */
export function transcriptCastSchemaFor(ids: readonly string[]) {
  const personas = personasSchemaFor(ids);
  return z.object({ story: StoryContentSchema, personas: personas.shape.personas }).strict().refine((v) => new Set(v.personas.map((p) => p.agent_id)).size === ids.length, {
    message: `one persona for each of ${ids.join(", ")}, each named by its agent_id`,
    path: ["personas"],
  });
}

/** who speaks next: recorded on the turn (and, before it is generated, on the record) */
export const TurnChoiceSchema = z
  .object({
    /** the turn order that chose, or "first" for the opening turn */
    how: z.enum(["first", "round_robin", "random", "addressed", "moderator"]),
    /** who chose: "manager", the agent that named the next speaker, or the moderator model ("manager (ollama/llama3.2)") */
    by: z.string().min(1).max(300),
    /** why, in one line */
    reason: z.string().max(500),
    /** the random order's round this turn belongs to (1, 2, …): each agent speaks once a round */
    round: z.number().int().positive().optional(),
  })
  .strict();
export type TurnChoice = z.infer<typeof TurnChoiceSchema>;

/** what the manager's model answers when it moderates (turn order "moderator") */
export function moderatorSchemaFor(candidates: readonly string[]) {
  return z
    .object({
      next_speaker: z.enum(candidates as [string, ...string[]]),
      reason: z.string().min(1).max(300),
    })
    .strict();
}

/** What an agent's model returns for one turn (structured output). */
export const ConversationContentSchema = z
  .object({
    message: z.string().max(MAX_TEXT),
    sentiment: z.number().min(-1).max(1).optional(),
    references: z.array(z.string().max(1000)).max(16).default([]),
    end_conversation: z.boolean().default(false),
    /** turn order "addressed": the id of the agent who should answer (validated by the manager) */
    next_speaker: z.string().max(120).optional(),
  })
  .strict();
export type ConversationContent = z.infer<typeof ConversationContentSchema>;

/**
 * who wrote a message: an agent's model, a person (an agent of kind "human"), a narrator's remark
 * (`dialogue say --as narrator`), or a row of a recorded conversation (`dialogue import`)
 */
export const MessageSourceSchema = z.enum(["model", "human", "narrator", "imported"]);
export type MessageSource = z.infer<typeof MessageSourceSchema>;
/** the agent id of a narrator's remarks (no agent may take it) */
export const NARRATOR_ID = "narrator";

/** …, "unserved": `run --no-spawn` found no live manager or worker for a pool to serve it in time */
export const StopReasonSchema = z.enum(["duration", "max_turns", "agent_ended", "user_stop", "token_budget", "loop", "error", "abandoned", "unserved"]);
export type StopReason = z.infer<typeof StopReasonSchema>;

export const DoneReasonSchema = z.enum(["stop", "length", "cut", "error"]);
export type DoneReason = z.infer<typeof DoneReasonSchema>;

/** how the history of one turn was fitted into the model's context window */
export const ContextUsageSchema = z
  .object({
    /** the model's context window, in tokens */
    window_tokens: z.number().int().positive(),
    /** what the prompt may use: the window less the room kept for the reply */
    budget_tokens: z.number().int().nonnegative(),
    /** the prompt's size as counted (the provider's tokenizer) or estimated (about 3 characters a token) */
    prompt_tokens: z.number().int().nonnegative(),
    counted: z.enum(["tokenizer", "estimate"]),
    history_sent: z.number().int().nonnegative(),
    history_dropped: z.number().int().nonnegative(),
    /** the dropped turns were replaced by a short summary */
    summarized: z.boolean(),
  })
  .strict();
export type ContextUsage = z.infer<typeof ContextUsageSchema>;

export const FailureCauseSchema = z.enum(FAILURE_CAUSES);

/** an attempt at a turn that failed before the one that produced the message (or before the turn failed for good) */
export const FailedAttemptSchema = z
  .object({
    attempt: z.number().int().positive(),
    provider: ModelProviderSchema,
    model: z.string().max(200),
    cause: FailureCauseSchema,
    /** one line: what went wrong, and what to do about it */
    error: z.string().max(2000),
    /** epoch ms when it failed */
    at: z.number().int().nonnegative(),
    /** what the server asked for (Retry-After), when it did */
    retry_after_ms: z.number().int().nonnegative().nullable().default(null),
    /** the wait before the next attempt; null when none followed with this model */
    wait_ms: z.number().int().nonnegative().nullable().default(null),
  })
  .strict();
export type FailedAttempt = z.infer<typeof FailedAttemptSchema>;
export const MAX_FAILED_ATTEMPTS = 200;

/** where an imported message was in its file */
export const ImportedRowSchema = z
  .object({
    /** the line it starts on (JSONL, CSV) */
    line: z.number().int().positive().nullable(),
    /** its place in a JSON array, from 1 */
    item: z.number().int().positive().nullable(),
    /** the time the row gave, as written */
    time: z.string().max(100),
  })
  .strict();

/** the material chunks a turn's prompt held (material/retrieve.ts) */
export const MaterialUseSchema = z
  .object({
    chunks: z.array(z.string().max(200)).max(200),
    /** their estimated size in tokens (about 3 characters a token) */
    tokens: z.number().int().nonnegative(),
    /** the budget they had (materials.budget_tokens) */
    budget_tokens: z.number().int().nonnegative(),
  })
  .strict();
export type MaterialUse = z.infer<typeof MaterialUseSchema>;

export const MessageMetadataSchema = z
  .object({
    conversation_id: id,
    sequence_number: z.number().int().positive(),
    agent_id: id,
    /** "human" for what a person typed (an agent of kind human, or a narrator's remark), "imported" for a row of a recorded conversation: no model, no tokens */
    provider: z.union([ModelProviderSchema, z.literal("human")]),
    model: z.string().max(200),
    tokens_generated: z.number().int().nonnegative(),
    prompt_tokens: z.number().int().nonnegative().nullable(),
    generation_time_ms: z.number().nonnegative(),
    time_to_first_token_ms: z.number().nonnegative().nullable(),
    tokens_per_second: z.number().nonnegative(),
    load_time_ms: z.number().nonnegative(),
    done_reason: DoneReasonSchema,
    /** the process that recorded the message (its host, by redis/host.ts, and pid): the worker that generated it, or the manager when `recorded_by` says so */
    worker: z.object({ host: shortText, pid: z.number().int() }).strict(),
    /**
     * "manager": the manager recorded this turn itself (a model's turn no worker returned before
     * the run ended, manager/people.ts lostMessage): `worker` is then the manager's host and pid, not
     * a worker's. Absent when a worker recorded it (and in runs recorded before)
     */
    recorded_by: z.literal("manager").optional(),
    attempt: z.number().int().positive(),
    /** requested_at → started_at */
    queue_wait_ms: z.number().nonnegative(),
    /**
     * the worker's clock offset to Redis' (ms; positive: its host's clock is behind), by which its
     * times here were corrected: every epoch ms in a message is Redis' clock (redis/clock.ts).
     * Absent in runs recorded before; null when the worker could not measure it
     */
    clock_offset_ms: z.number().int().nullable().optional(),
    /** epoch ms when the manager enqueued the request */
    requested_at: z.number().int().nonnegative(),
    /** epoch ms when the worker started generating */
    started_at: z.number().int().nonnegative(),
    /** epoch ms when the worker finished (or was cut) */
    finished_at: z.number().int().nonnegative(),
    /** the text was cut to `limits.max_message_chars` */
    truncated: z.boolean().default(false),
    /** "provider/model" that failed when this message came from the agent's fallback */
    fallback_from: z.string().max(300).optional(),
    context: ContextUsageSchema.optional(),
    /** the attempts that failed before this message (each with its cause), oldest first */
    failed_attempts: z.array(FailedAttemptSchema).max(MAX_FAILED_ATTEMPTS).default([]),
    /** a model, a person, or a narrator */
    source: MessageSourceSchema.default("model"),
    /** why this agent spoke now (absent in runs recorded before turn orders) */
    turn_choice: TurnChoiceSchema.optional(),
    /**
     * which earlier messages the prompt held whole (first and last sequence number; null when
     * none), as read from the log (absent in runs recorded before requests referred to the log)
     */
    prompt_turns: z.object({ first: z.number().int().positive().nullable(), last: z.number().int().positive().nullable(), count: z.number().int().nonnegative() }).strict().optional(),
    /** source "imported": where the message came from in the imported file (its line; for a JSON array, its item) */
    imported: ImportedRowSchema.optional(),
    /** a message copied from another conversation as the history of this one (`dialogue run --continue`) */
    copied_from: z.object({ conversation_id: id, sequence_number: z.number().int().positive() }).strict().optional(),
    /** the run's material the prompt held (chunk ids, most relevant first) and what they took of the budget */
    material: MaterialUseSchema.optional(),
  })
  .strict();
export type MessageMetadata = z.infer<typeof MessageMetadataSchema>;


export const DialogMessageSchema = z
  .object({
    message_id: z.string().min(1).max(200),
    /** epoch ms when the worker put the message on the response queue */
    queue_timestamp: z.number().int().nonnegative(),
    /** the speaker's role in the story, e.g. "Relationship manager" */
    role: z.string().min(1).max(500),
    /** the speaker's persona name */
    speaker: z.string().min(1).max(500),
    content: ConversationContentSchema,
    /** the generation was aborted (deadline or user stop); content is what was produced */
    cut: z.boolean().default(false),
    /** cut while the model had gone silent mid-reply (a stall the deadline or stop overtook) */
    stalled: z.boolean().default(false),
    /** a person's turn that went unanswered (limits.human_turn_seconds): nothing was said; `note` says why */
    skipped: z.boolean().default(false),
    note: z.string().max(500).optional(),
    /**
     * the turn failed: the model's reply was unusable twice (not JSON, truncated, or not matching
     * the schema; `raw` keeps it and `content.message` is what could be read of it), or every
     * attempt failed (metadata.failed_attempts says why; done_reason "error", nothing generated)
     */
    failed: z.boolean().default(false),
    error: z.string().max(10_000).optional(),
    raw: z.string().max(1_000_000).optional(),
    metadata: MessageMetadataSchema,
  })
  .strict();
export type DialogMessage = z.infer<typeof DialogMessageSchema>;

export const HistoryEntrySchema = z
  .object({
    agent_id: id,
    speaker: shortText,
    text: z.string().max(MAX_TEXT),
    /** the message's sequence number in the log */
    seq: z.number().int().positive().optional(),
    /** a narrator's remark rather than a speaker's turn */
    narrator: z.boolean().optional(),
    /**
     * a turn its speaker had but did not speak (no text): a person who did not answer in time
     * ("skipped") or a model whose every attempt failed ("failed"). Only the moderator is shown
     * these (next-turn.ts), so it knows who was absent.
     */
    missed: z.enum(["skipped", "failed"]).optional(),
  })
  .strict();
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;

/** how a worker fits the history into the model's context window */
export const ContextSettingsSchema = z
  .object({
    /** older turns past the budget are dropped, or dropped and replaced by a short summary */
    strategy: z.enum(["summarize", "drop"]),
    /** tokens kept free for the reply (an agent's num_predict, when set, is used instead) */
    reserve_tokens: z.number().int().nonnegative(),
    /** the context window when the agent's options set no num_ctx; null = the provider's default */
    window_tokens: z.number().int().positive().nullable(),
  })
  .strict();
export type ContextSettings = z.infer<typeof ContextSettingsSchema>;

/**
 * manager -> worker, on `requests.<pool>`: which turn of which conversation, who speaks and why,
 * and where the log stands. The worker reads the spec, story, personas and the history it needs
 * from Redis (worker/context-read.ts), so a retained request stays small however long the
 * conversation grows.
 */
export const TurnRequestSchema = z
  .object({
    conversation_id: id,
    sequence_number: z.number().int().positive(),
    agent_id: id,
    pool: id,
    /** the last log entry the prompt may hold (the turn before this one, remarks included) */
    log_position: z.number().int().nonnegative(),
    /**
     * the turn it is, as the prompt says "turn n of max": a narrator's remarks and a copied history
     * are not turns (absent from managers before it was sent: the worker counts the history only)
     */
    turn: z.number().int().positive().optional(),
    /** who chose this speaker, how and why (copied to the message's metadata) */
    turn_choice: TurnChoiceSchema,
    /**
     * sent ahead, with the append of the turn before and before the manager knew what it did
     * (manager/ahead.ts): the worker goes on only if the record chose this turn ahead
     * (next_seq = sequence_number, next_job "ahead"), else skips it
     */
    ahead: z.literal(true).optional(),
    /**
     * the manager writes the turn's last token chunk with its message: the worker sends it with
     * the response (TurnResponseSchema's `tail`) rather than writing it (absent from managers
     * before they did: the worker writes it, as a manager that does not know `tail` expects)
     */
    tail: z.literal(true).optional(),
    /** set by the worker when it switches this turn to the fallback */
    use_fallback: z.boolean().default(false),
    /** the attempts that failed so far (kept on the job by the worker, so a retry after a crash knows them) */
    failed_attempts: z.array(FailedAttemptSchema).max(MAX_FAILED_ATTEMPTS).default([]),
    /** how long a model is retried while its server is rate limiting, failing, unreachable or stalling */
    retry_budget_ms: z.number().int().nonnegative().default(60_000),
    /** attempts of one model for failures a retry may mend (a bad reply) */
    max_attempts: z.number().int().positive().default(3),
    backoff_ms: z.number().int().nonnegative().default(1000),
    backoff_max_ms: z.number().int().nonnegative().default(15_000),
    /** epoch ms; the worker aborts generation at this moment and returns what it has, marked cut */
    deadline_at: z.number().int().nonnegative(),
    requested_at: z.number().int().nonnegative(),
  })
  .strict();
export type TurnRequest = z.infer<typeof TurnRequestSchema>;

/**
 * the tokens of a turn not yet in the token stream when its reply was in: its last chunk, which
 * the response carries and the manager writes with the message (Store.appendNext, appendAhead), so
 * it costs the turn no write of its own. Its seq, attempt and agent are the message's.
 */
export const TokenTailSchema = z
  .object({
    text: z.string().max(MAX_TEXT),
    tokens: z.number().int().nonnegative(),
    /** epoch ms, when the worker had them */
    t: z.number().int().nonnegative(),
  })
  .strict();
export type TokenTail = z.infer<typeof TokenTailSchema>;

/** worker -> manager, on `responses.<pool>` */
export const TurnResponseSchema = z.discriminatedUnion("ok", [
  /** `tail`: the turn's last token chunk, for the manager to write with the message (absent: none, or written by the worker) */
  z.object({ ok: z.literal(true), message: DialogMessageSchema, tail: TokenTailSchema.optional() }).strict(),
  z
    .object({
      ok: z.literal(false),
      conversation_id: id,
      sequence_number: z.number().int().positive(),
      agent_id: id,
      error: z.string().max(10_000),
      raw: z.string().max(1_000_000).optional(),
      /** the failed turn as a message, for the log (absent from workers before it was sent) */
      message: DialogMessageSchema.optional(),
    })
    .strict(),
]);
export type TurnResponse = z.infer<typeof TurnResponseSchema>;

/** jobs on the manager's control queue */
export const ControlJobSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("start"), conversation_id: id }).strict(),
  z.object({ type: z.literal("deadline"), conversation_id: id }).strict(),
  z.object({ type: z.literal("finalize"), conversation_id: id, reason: StopReasonSchema }).strict(),
  /**
   * what a person says (`dialogue say`, the TUI's input line, the web): as the agent of kind human
   * whose turn it is, or as the narrator (a remark any speaker after it sees)
   */
  z
    .object({
      type: z.literal("say"),
      conversation_id: id,
      as: id,
      text: z.string().min(1).max(MAX_TEXT),
      /** epoch ms when it was typed */
      said_at: z.number().int().nonnegative(),
      /** where it came from, for the record ("dialogue say", "the TUI", "the web") */
      via: shortText,
      /**
       * a person's say: the turn it answers (its sequence number), so a say that comes too late
       * for it is told from one for a later turn of the same person; absent for a remark (and in
       * says queued before it was carried)
       */
      seq: z.number().int().positive().optional(),
    })
    .strict(),
  /** a person's turn `seq` that is still unanswered at this moment is skipped */
  z.object({ type: z.literal("human_timeout"), conversation_id: id, seq: z.number().int().positive() }).strict(),
]);
export type ControlJob = z.infer<typeof ControlJobSchema>;

/** published on the abort channel: workers abort matching in-flight generations */
export const AbortNoticeSchema = z
  .object({ conversation_id: id, reason: shortText })
  .strict();
export type AbortNotice = z.infer<typeof AbortNoticeSchema>;

/**
 * An attempt at a turn failed and the turn goes on: the worker says so in the token stream (a
 * chunk with no text, `failed` set) while it waits to retry or turns to the fallback, so the views
 * can show it live (the message, once recorded, lists every failed attempt).
 */
export const AttemptNoticeSchema = z
  .object({
    cause: FailureCauseSchema,
    /** one line: what went wrong */
    error: z.string().max(2000),
    /** the wait before the next attempt, null when the fallback is tried at once */
    wait_ms: z.number().int().nonnegative().nullable(),
    /** "provider/model" of the fallback the next attempt uses, when it turns to it */
    fallback: z.string().max(200).optional(),
  })
  .strict();
export type AttemptNotice = z.infer<typeof AttemptNoticeSchema>;

/** one entry of a conversation's token stream */
export const TokenChunkSchema = z
  .object({
    seq: z.number().int().positive(),
    attempt: z.number().int().positive(),
    agent_id: id,
    text: z.string().max(MAX_TEXT),
    tokens: z.number().int().nonnegative(),
    t: z.number().int().nonnegative(),
    /** this attempt failed and the turn goes on (no text): see AttemptNoticeSchema */
    failed: AttemptNoticeSchema.optional(),
  })
  .strict();
export type TokenChunk = z.infer<typeof TokenChunkSchema>;
