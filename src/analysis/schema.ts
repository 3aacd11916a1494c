/**
 * The analysis document: what `dialogue analyze <id> --json` prints, what is stored with a run
 * (key analysis(ID)), and what exports and `compare` read. A stable, documented contract:
 * docs/analysis.schema.json is generated from this schema by `npm run build`, and
 * ANALYSIS_VERSION goes up whenever it changes (a stored analysis of another version is
 * recomputed). Times are milliseconds unless a name says `_s`; ratios are 0..1; a figure that
 * cannot be computed (no data) is null.
 */
import { z } from "zod";

export const ANALYSIS_VERSION = 2;

const num = z.number();
const maybe = num.nullable();

/** what each text figure measures, said once for the agent, window and whole-run fields */
const MATTR = "lexical diversity: moving-average type-token ratio over 50-word windows of the words (1 = no word repeated)";
const REPETITION = "per message, the share of its word 3-grams already in the same speaker's last 12 messages (1 = said before word for word)";
const ECHO = "per message, the share of its word 3-grams found in the other speaker's last message";

export const FlagTypeSchema = z.enum(["looping", "echoing", "monologue", "short_replies", "failed_turn", "stalled_turn", "retried_turn"]);
export type FlagType = z.infer<typeof FlagTypeSchema>;

export const DistSchema = z
  .object({ n: z.number().int().nonnegative(), mean: maybe, p50: maybe, p95: maybe, p99: maybe, max: maybe })
  .strict()
  .describe("a distribution: count, mean, percentiles (linear interpolation) and maximum");

export const ModelRefSchema = z
  .object({
    role: z.string().describe('"manager" or an agent id'),
    provider: z.string(),
    model: z.string(),
    simulated: z.boolean(),
  })
  .strict();

export const RunMetricsSchema = z
  .object({
    scenario: z.string(),
    status: z.string(),
    stop_reason: z.string().nullable(),
    created_at: num,
    started_at: maybe,
    ended_at: maybe,
    duration_s: maybe.describe("first turn to the end (or to now, for a live run), seconds"),
    turns: z.number().int().nonnegative(),
    cut_turns: z.number().int().nonnegative(),
    failed_turns: z.number().int().nonnegative().describe("turns that failed: every attempt failed, or the reply was unusable twice"),
    stalled_turns: z.number().int().nonnegative().describe("turns cut while the model had gone silent mid-reply"),
    retried_turns: z.number().int().nonnegative().describe("turns that succeeded after one or more failed attempts"),
    failed_attempts: z.number().int().nonnegative().describe("attempts that failed, over all turns (a retried or failed turn has one or more)"),
    failure_causes: z.record(z.string(), z.number().int().nonnegative()).describe("failed attempts by cause: rate_limited, server_error, unreachable, no_first_token, stalled, invalid_reply, …"),
    tokens_generated: z.number().int().nonnegative(),
    prompt_tokens: z.number().int().nonnegative(),
    providers: z.array(z.string()),
    models: z.array(ModelRefSchema),
  })
  .strict();

export const SentimentSchema = z
  .object({
    lexicon_mean: maybe.describe("mean lexicon score of the agent's messages, -1..1"),
    self_reported_mean: maybe.describe("mean of the sentiment the agent reported itself, where it did"),
    self_reported_n: z.number().int().nonnegative(),
  })
  .strict();

export const AgentMetricsSchema = z
  .object({
    agent_id: z.string(),
    name: z.string().nullable(),
    role: z.string(),
    provider: z.string(),
    model: z.string(),
    simulated: z.boolean(),
    turns: z.number().int().nonnegative(),
    cut_turns: z.number().int().nonnegative(),
    failed_turns: z.number().int().nonnegative(),
    stalled_turns: z.number().int().nonnegative(),
    retried_turns: z.number().int().nonnegative(),
    failed_attempts: z.number().int().nonnegative(),
    failure_causes: z.record(z.string(), z.number().int().nonnegative()),
    tokens_generated: z.number().int().nonnegative(),
    prompt_tokens: z.number().int().nonnegative(),
    generation_time_ms: num,
    tokens_per_second: z
      .object({ mean: maybe, p50: maybe, p95: maybe })
      .strict()
      .describe("generation speed as the engine reports it, over the agent's messages that produced tokens"),
    time_to_first_token_ms: z
      .object({ mean: maybe, p50: maybe, p95: maybe })
      .strict()
      .describe("request sent to first text, measured at the worker"),
    load_time_ms: z.object({ total: num, max: maybe }).strict().describe("time the engine spent loading the model"),
    queue_wait_ms: z
      .object({ mean: maybe, p50: maybe, p95: maybe })
      .strict()
      .describe("request queued to generation started: the wait for a worker"),
    words: z.number().int().nonnegative(),
    words_per_turn: maybe,
    share_of_talk: maybe.describe("the agent's share of all words"),
    share_of_turns: maybe.describe("the agent's share of all turns"),
    mattr: maybe.describe(MATTR),
    repetition: z.object({ mean: maybe, max: maybe }).strict().describe(`${REPETITION}: mean and max over the agent's messages`),
    echo: z.object({ mean: maybe, max: maybe }).strict().describe(`${ECHO}: mean and max over the agent's messages`),
    questions: z.number().int().nonnegative().describe("question marks in the agent's messages (a run of ?! counts once)"),
    sentiment: SentimentSchema,
  })
  .strict();
export type AgentMetrics = z.infer<typeof AgentMetricsSchema>;

export const ContentMetricsSchema = z
  .object({
    words: z.number().int().nonnegative(),
    mattr: maybe.describe(MATTR),
    repetition_mean: maybe.describe(`${REPETITION}; mean over every message`),
    echo_mean: maybe.describe(`${ECHO}; mean over every message`),
    word_overlap_mean: maybe.describe(
      "mean of the windows' word_overlap: how much vocabulary consecutive windows share (TF-IDF cosine of their content words); it measures words, not topic",
    ),
    questions: z.number().int().nonnegative(),
    turn_balance: maybe.describe("1 - |difference of the two agents' shares of words|; 1 = balanced"),
  })
  .strict();

export const FlagSchema = z
  .object({
    type: FlagTypeSchema,
    agent_id: z.string().nullable(),
    turn: z.number().int().positive().describe("where it starts"),
    detected_turn: z.number().int().positive(),
    until_turn: z.number().int().positive(),
  })
  .strict();

export const WindowAgentSchema = z
  .object({
    agent_id: z.string(),
    turns: z.number().int().nonnegative(),
    tokens: z.number().int().nonnegative(),
    words: z.number().int().nonnegative(),
    tokens_per_second_mean: maybe,
    sentiment_lexicon: maybe,
    sentiment_self: maybe,
    repetition_mean: maybe,
  })
  .strict();

export const WindowSchema = z
  .object({
    index: z.number().int().nonnegative(),
    from_turn: z.number().int().positive().nullable(),
    to_turn: z.number().int().positive().nullable(),
    start_s: maybe.describe("seconds after the dialogue started: the window's start (time windows) or its first message"),
    end_s: maybe,
    turns: z.number().int().nonnegative(),
    tokens: z.number().int().nonnegative(),
    words: z.number().int().nonnegative(),
    mattr: maybe.describe(MATTR),
    repetition_mean: maybe.describe(`${REPETITION}; mean over the window's messages`),
    echo_mean: maybe.describe(`${ECHO}; mean over the window's messages`),
    word_overlap: maybe.describe(
      "TF-IDF cosine similarity of this window's content words with the previous window's: 1 = the same words in the same proportions, 0 = none in common; null for the first window or an empty one",
    ),
    questions: z.number().int().nonnegative(),
    agents: z.array(WindowAgentSchema),
  })
  .strict();
export type Window = z.infer<typeof WindowSchema>;

export const JudgeScoreSchema = z
  .object({ score: z.number().int().min(1).max(10), reason: z.string().min(1).max(300) })
  .strict();

/** what the judge model is asked for (structured output) */
export const JudgeVerdictSchema = z
  .object({
    summary: z.string().min(1).max(1200),
    persona_adherence: JudgeScoreSchema,
    coherence: JudgeScoreSchema,
    engagement: JudgeScoreSchema,
  })
  .strict();
export type JudgeVerdict = z.infer<typeof JudgeVerdictSchema>;

export const JudgeSchema = JudgeVerdictSchema.extend({
  provider: z.string(),
  model: z.string(),
  simulated: z.boolean(),
  judged_at: num,
  turns_seen: z.number().int().nonnegative(),
}).strict();
export type Judge = z.infer<typeof JudgeSchema>;

export const AnalysisSchema = z
  .object({
    schema: z.literal("dialogue-llm/analysis"),
    version: z.literal(ANALYSIS_VERSION),
    conversation_id: z.string(),
    computed_at: num,
    window: z.object({ kind: z.enum(["turns", "time"]), size: num, label: z.string(), auto: z.boolean() }).strict(),
    rules: z
      .object({
        loop_threshold: num,
        loop_turns: z.number().int(),
        repetition_memory: z.number().int(),
        mattr_window: z.number().int(),
        echo_threshold: num,
        echo_turns: z.number().int(),
        monologue_ratio: num,
        monologue_turns: z.number().int(),
        short_words: z.number().int(),
        short_turns: z.number().int(),
      })
      .strict(),
    run: RunMetricsSchema,
    agents: z.array(AgentMetricsSchema),
    orchestration: z
      .object({ handoff_ms: DistSchema.describe("previous message recorded -> next generation started") })
      .strict(),
    content: ContentMetricsSchema,
    flags: z.array(FlagSchema),
    flag_counts: z
      .object({
        looping: z.number().int(),
        echoing: z.number().int(),
        monologue: z.number().int(),
        short_replies: z.number().int(),
        failed_turn: z.number().int(),
        stalled_turn: z.number().int(),
        retried_turn: z.number().int(),
      })
      .strict(),
    windows: z.array(WindowSchema),
    judge: JudgeSchema.nullable(),
  })
  .strict();
export type Analysis = z.infer<typeof AnalysisSchema>;
