/**
 * The conversation record: what a run is, how it is going, and how it ended.
 * Stored as a Redis hash (see redis/records.ts); each field below is one hash field,
 * objects JSON-encoded. Parsed on every read.
 */
import { z } from "zod";
import { turnsTaken } from "./turn-count.js";
import {
  ContextSettingsSchema,
  FailureCauseSchema,
  MAX_AGENTS,
  MIN_AGENTS,
  ModelSpecSchema,
  PersonaSchema,
  StopReasonSchema,
  StoryContentSchema,
  TurnChoiceSchema,
} from "./schemas.js";

export const StatusSchema = z.enum([
  "pending",
  "preparing",
  "running",
  "stopping",
  "completed",
  "stopped",
  "failed",
  /** a recorded conversation brought in with `dialogue import`: final from the start, like a finished run */
  "imported",
]);
export type Status = z.infer<typeof StatusSchema>;
export const FINAL_STATUSES: readonly Status[] = ["completed", "stopped", "failed", "imported"];
export const isFinal = (s: Status): boolean => FINAL_STATUSES.includes(s);

export { StopReasonSchema, type StopReason } from "./schemas.js";

/** "recorded": a speaker of an imported conversation (`dialogue import`); nothing here speaks for it */
export const AgentKindSchema = z.enum(["model", "human", "recorded"]);
export type AgentKind = z.infer<typeof AgentKindSchema>;

export const AgentSpecSchema = z
  .object({
    id: z.string().min(1),
    role: z.string().min(1),
    goal: z.string().optional(),
    /** a model speaks for this agent, or a person does (TUI input line, `dialogue say`) */
    kind: AgentKindSchema.default("model"),
    pool: z.string().min(1),
    /** for a person: the model the configuration would have given it, never used */
    model: ModelSpecSchema,
    /** the model used when `model` keeps failing */
    fallback: ModelSpecSchema.nullable().default(null),
  })
  .strict();
export type AgentSpec = z.infer<typeof AgentSpecSchema>;

/** the worker pools a run needs served: its model agents' (a person's turns are typed, a recorded speaker's were recorded) */
export const poolsOfSpec = (spec: { agents: readonly Pick<AgentSpec, "kind" | "pool">[] }): string[] => [...new Set(spec.agents.filter((a) => a.kind === "model").map((a) => a.pool))];

export const ScenarioSchema = z
  .object({
    title: z.string().min(1),
    premise: z.string().min(1),
    setting: z.string().optional(),
  })
  .strict();
export type Scenario = z.infer<typeof ScenarioSchema>;

export const LimitsSchema = z
  .object({
    duration_seconds: z.number().positive(),
    max_turns: z.number().int().positive(),
    max_total_tokens: z.number().int().positive().nullable(),
    max_message_chars: z.number().int().positive(),
    history_turns: z.number().int().positive(),
    /** end the conversation with stop reason "loop" when a speaker keeps repeating itself (analysis/repetition.ts) */
    stop_on_loop: z.boolean().default(true),
    /** a message is repetitive when at least this share of its word 3-grams were in the speaker's recent messages */
    loop_threshold: z.number().min(0).max(1).default(0.6),
    /** this many repetitive messages in a row from one speaker make a loop */
    loop_turns: z.number().int().min(2).default(3),
    /** a person's turn unanswered this long is skipped */
    human_turn_seconds: z.number().positive().default(120),
  })
  .strict();
export type Limits = z.infer<typeof LimitsSchema>;

/** the speaker chosen for turn `seq`, as the record keeps it until that turn is recorded */
export const NextChoiceSchema = TurnChoiceSchema.extend({
  seq: z.number().int().positive(),
  agent_id: z.string().min(1),
  /** epoch ms when it was chosen (a person's turn is offered then) */
  at: z.number().int().nonnegative().optional(),
  /** chosen ahead: written by the append of the turn before, its request sent with it (manager/ahead.ts) */
  ahead: z.literal(true).optional(),
}).strict();
export type NextChoice = z.infer<typeof NextChoiceSchema>;

/** who speaks next (manager/turn-order.ts) */
export const TurnOrderSchema = z.enum(["round_robin", "random", "addressed", "moderator"]);
export type TurnOrder = z.infer<typeof TurnOrderSchema>;

/** where a conversation came from, when not from its own configuration alone */
export const SourceSchema = z.discriminatedUnion("kind", [
  z
    .object({
      /** a session of a recorded conversation, brought in with `dialogue import` */
      kind: z.literal("import"),
      /** the file's name (not its path) and its SHA-256 */
      file: z.string().min(1).max(500),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      format: z.enum(["jsonl", "json", "csv"]),
      /** the session's id in the file */
      session_id: z.string().min(1).max(500),
      /** the rows it had, and the fields read */
      rows: z.number().int().positive(),
      fields: z.object({ session: z.string(), speaker: z.string(), text: z.string(), time: z.string(), role: z.string().nullable() }).strict(),
      /** epoch ms when it was imported */
      imported_at: z.number().int().nonnegative(),
    })
    .strict(),
  z
    .object({
      /** a new run whose history is another conversation (`dialogue run --continue <id>`) */
      kind: z.literal("continue"),
      conversation_id: z.string().min(1).max(200),
      /** its status and scenario then */
      status: z.string().max(50),
      title: z.string().max(500),
      /** the messages copied into this run's log as its history (sequence numbers 1..history) */
      history: z.number().int().nonnegative(),
    })
    .strict(),
]);
export type Source = z.infer<typeof SourceSchema>;

/** a file of material given to the run (material/load.ts); its chunks are in material(ID) */
export const MaterialFileSchema = z
  .object({
    /** the file's name as given (its path's last part) and its SHA-256 */
    name: z.string().min(1).max(500),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    kind: z.enum(["text", "markdown", "csv", "json"]),
    bytes: z.number().int().nonnegative(),
    chunks: z.number().int().nonnegative(),
  })
  .strict();
export type MaterialFile = z.infer<typeof MaterialFileSchema>;

export const MaterialsSpecSchema = z
  .object({
    files: z.array(MaterialFileSchema).min(1),
    /** tokens of material each turn's prompt may carry */
    budget_tokens: z.number().int().positive(),
  })
  .strict();
export type MaterialsSpec = z.infer<typeof MaterialsSpecSchema>;

/** The immutable part, written once when the run is created. */
export const ConversationSpecSchema = z
  .object({
    id: z.string().min(1),
    created_at: z.number().int(),
    scenario: ScenarioSchema,
    agents: z.array(AgentSpecSchema).min(MIN_AGENTS).max(MAX_AGENTS),
    /** absent in runs recorded before there were turn orders: round robin */
    turn_order: TurnOrderSchema.default("round_robin"),
    manager: ModelSpecSchema,
    limits: LimitsSchema,
    token_stream_maxlen: z.number().int().nonnegative(),
    /** the run's seed, given to every engine that takes one (absent in runs recorded before it was kept) */
    seed: z.number().int().optional(),
    /** how workers fit the history into each model's context window */
    context: ContextSettingsSchema.default({ strategy: "summarize", reserve_tokens: 512, window_tokens: null }),
    /** the effective configuration, secrets removed */
    config: z.record(z.string(), z.unknown()),
    /** imported from a file, or continuing another conversation (absent: a run of its configuration) */
    source: SourceSchema.optional(),
    /** the material its agents were given (absent: none) */
    materials: MaterialsSpecSchema.optional(),
  })
  .strict();
export type ConversationSpec = z.infer<typeof ConversationSpecSchema>;

/** the manager's latest failed attempt at the story or personas, while it retries (the record's manager_retry) */
export const ManagerRetrySchema = z
  .object({
    /** what it was writing: "story" or "personas" */
    phase: z.string().max(40),
    attempt: z.number().int().positive(),
    cause: FailureCauseSchema,
    error: z.string().max(2000),
    /** the wait before the next attempt, null when it gave up */
    wait_ms: z.number().int().nonnegative().nullable(),
    /** epoch ms when it failed */
    at: z.number().int().nonnegative(),
    /** the manager that made the attempt (absent in runs recorded before it was kept): with several, which one's model or settings failed */
    by: z.object({ host: z.string().max(200), pid: z.number().int() }).strict().optional(),
  })
  .strict();
export type ManagerRetry = z.infer<typeof ManagerRetrySchema>;

export const ConversationRecordSchema = z
  .object({
    spec: ConversationSpecSchema,
    status: StatusSchema,
    phase: z.string().nullable(),
    stop_reason: StopReasonSchema.nullable(),
    error: z.string().nullable(),
    story: StoryContentSchema.nullable(),
    personas: z.array(PersonaSchema).nullable(),
    /** epoch ms: the dialogue itself started (story and personas done) */
    started_at: z.number().int().nullable(),
    deadline_at: z.number().int().nullable(),
    ended_at: z.number().int().nullable(),
    /** messages recorded so far */
    turns: z.number().int().nonnegative().describe("messages recorded so far: the agents' turns, and a narrator's remarks (remarks) and a copied history (history), which are not turns"),
    tokens_total: z.number().int().nonnegative(),
    /** the sequence number of the request in flight, if any */
    pending_seq: z.number().int().nullable(),
    /**
     * turns by outcome (null in runs recorded before they were counted): failed (every attempt
     * failed, or the reply was unusable twice), cut (by the deadline or a stop), stalled (cut while
     * the model had gone silent), retried (succeeded after failed attempts), ok (said something, and
     * neither failed nor stalled)
     */
    failed_turns: z.number().int().nonnegative().nullable().default(null),
    cut_turns: z.number().int().nonnegative().nullable().default(null),
    stalled_turns: z.number().int().nonnegative().nullable().default(null),
    retried_turns: z.number().int().nonnegative().nullable().default(null),
    ok_turns: z.number().int().nonnegative().nullable().default(null),
    /** epoch ms (Redis' clock) until which a live manager has vouched for the run; past it, the run is abandoned */
    lease_until: z.number().int().nullable().default(null),
    /** narrator's remarks recorded (they are messages, not turns: max_turns does not count them) */
    remarks: z.number().int().nonnegative().nullable().default(null),
    /** the speaker chosen for turn `seq` (written before the turn is requested, so a replacement manager reuses it) */
    next_choice: NextChoiceSchema.nullable().default(null),
    /** messages copied from another conversation as this one's history (`run --continue`): in the log, not turns of this run */
    history: z.number().int().nonnegative().nullable().default(null),
    /** a turn whose request went out ahead and was refused (its worker skips it): requested again under another job id */
    ahead_declined: z.number().int().positive().nullable().default(null),
    /** the manager's latest failed attempt at the story or personas while it retries; null once it has them (or never failed) */
    manager_retry: ManagerRetrySchema.nullable().default(null),
  })
  .strict();
export type ConversationRecord = z.infer<typeof ConversationRecordSchema>;

/**
 * Epoch ms a conversation's age is counted from (`purge --older-than`, `list --since`): when it was
 * imported, for an imported one (its created_at is its first row's time, which may be weeks
 * before it came here); else when it was created.
 */
export function addedAt(spec: ConversationSpec): number {
  return spec.source?.kind === "import" ? spec.source.imported_at : spec.created_at;
}

// (in a module of its own, free of the schemas, so the web page's script can use it: observer/who.ts)
export { personaOf } from "./persona-of.js";

// (in a module of its own, free of the schemas, so the web page's script can count turns too)
export { nonTurns, turnOf, turnsTaken } from "./turn-count.js";

/**
 * How long the dialogue went on, seconds, as `list` and `show` say it: from its start (its first
 * turn asked for, once the story and personas were written) to its end; for a run going on, to
 * `lastSeen` (Store.lastSeen: its latest sign of life, where it would end were it found abandoned,
 * so the figure never shrinks when it is). Null for a run with no turn, whatever ended it.
 */
export function dialogueSeconds(rec: ConversationRecord, lastSeen: number | null): number | null {
  return spanSeconds(rec.started_at, rec.ended_at ?? lastSeen, turnsTaken(rec));
}

/** dialogueSeconds from its parts (`turns`: the agents' turns, as turnsTaken counts them): null with no start, no end or no turn */
export function spanSeconds(startedAt: number | null, endedAt: number | null, turns: number): number | null {
  if (startedAt === null || endedAt === null || turns === 0) return null;
  return Math.max(0, endedAt - startedAt) / 1000;
}
