/**
 * The analysis document: what `dialogue analyze <id> --json` prints, what is stored with a run
 * (key analysis(ID)), and what exports and `compare` read. A stable, documented contract:
 * docs/analysis.schema.json is generated from this schema by `npm run build`, and
 * ANALYSIS_VERSION goes up whenever it changes (a stored analysis of another version is
 * recomputed). Times are milliseconds unless a name says `_s`; ratios are 0..1; a figure that
 * cannot be computed (no data) is null.
 *
 * A conversation has 2 to 8 agents; some may be people (kind "human"). A "turn" is an agent's
 * message in the log (a model's reply, a person's answer, a person's skipped turn, or a failed
 * turn); a turn "spoken" is neither skipped nor failed, and only those are measured (words,
 * speed, time to first token, generation time, repetition, echo, sentiment). A narrator's remark
 * is a message but not a turn: it is counted (run.remarks) and left out of every other figure.
 * Where a figure compares a message with "the previous speaker", that is the latest message by
 * another agent (with two agents, the partner's).
 *
 * Version 4: conversations imported from a file (run.source, speakers of kind "recorded" with no
 * model figures, times from the rows), runs that continue another conversation (its copied
 * history counted in run.history and left out of every other figure), the material each agent
 * drew on (agents[].material, material), and a model's notes per window (windows[].note, notes).
 *
 * Version 5: a failed turn is a turn the agent had, not one it spoke: left out of words per turn,
 * the shares, speed, first token, generation time, repetition, echo, sentiment and the flags'
 * streaks, as a skipped turn is; the time it took is agents[].failed_time_ms (with a retried
 * turn's time before the attempt that succeeded); a failed turn is no reply in turn_taking.
 *
 * Version 6: the flags' turns (turn, detected_turn, until_turn) are turn numbers, as every view
 * labels turns (a narrator's remarks and a copied history are not turns), no longer the messages'
 * sequence numbers.
 *
 * Version 7: a run with no turn has no duration (run.duration_s null, as `dialogue list` says it),
 * whatever ended it; it was the time from its start to its end.
 *
 * Version 8: a turn of which a worker lost an attempt (a crash or a kill) counts its time from the
 * request to the attempt that went on in agents[].failed_time_ms, and not in queue_wait_ms (it was
 * the other way round: "time in failed attempts 0.0 s", and a queue wait of the lock's length);
 * nor is it a handoff in orchestration.handoff_ms.
 */
import { z } from "zod";

export const ANALYSIS_VERSION = 8;

const num = z.number();
const maybe = num.nullable();

/** what each text figure measures, said once for the agent, window and whole-run fields */
const MATTR = "lexical diversity: moving-average type-token ratio over 50-word windows of the words (1 = no word repeated)";
const REPETITION = "per message, the share of its word 3-grams already in the same speaker's last 12 messages (1 = said before word for word)";
const ECHO = "per message, the share of its word 3-grams found in the previous speaker's last message (the latest message by another agent; with two agents, the partner's)";

export const FlagTypeSchema = z.enum(["looping", "echoing", "monologue", "short_replies", "failed_turn", "stalled_turn", "retried_turn"]);
export type FlagType = z.infer<typeof FlagTypeSchema>;

export const DistSchema = z
  .object({ n: z.number().int().nonnegative(), mean: maybe, p50: maybe, p95: maybe, p99: maybe, max: maybe })
  .strict()
  .describe("a distribution: count, mean, percentiles (linear interpolation) and maximum");

export const ModelRefSchema = z
  .object({
    role: z.string().describe('"manager" or an agent id'),
    provider: z.string().describe('"human" for an agent that is a person (no model)'),
    model: z.string().describe('"person" for an agent that is a person'),
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
    duration_s: maybe.describe("first turn to the end (or to now, for a live run), seconds; null with no turn"),
    turns: z.number().int().nonnegative().describe("the agents' turns: models' replies, people's answers, people's skipped turns and failed turns (a narrator's remark is not a turn)"),
    remarks: z.number().int().nonnegative().describe("a narrator's remarks (dialogue say --as narrator): messages in the log, left out of every other figure"),
    skipped_turns: z.number().int().nonnegative().describe("people's turns left unanswered: within limits.human_turn_seconds, or before the run ended with the turn open"),
    cut_turns: z.number().int().nonnegative(),
    failed_turns: z.number().int().nonnegative().describe("turns that failed: every attempt failed, or the reply was unusable twice (turns taken, not spoken)"),
    stalled_turns: z.number().int().nonnegative().describe("turns cut while the model had gone silent mid-reply"),
    retried_turns: z.number().int().nonnegative().describe("turns that succeeded after one or more failed attempts"),
    failed_attempts: z.number().int().nonnegative().describe("attempts that failed, over all turns (a retried or failed turn has one or more)"),
    failure_causes: z.record(z.string(), z.number().int().nonnegative()).describe("failed attempts by cause: rate_limited, server_error, unreachable, no_first_token, stalled, invalid_reply, …"),
    tokens_generated: z.number().int().nonnegative(),
    prompt_tokens: z.number().int().nonnegative(),
    providers: z.array(z.string()).describe("the providers of the models (the agents' and the manager's); a person or a recorded speaker is not one"),
    models: z.array(ModelRefSchema),
    history: z
      .number()
      .int()
      .nonnegative()
      .describe("messages copied from another conversation as this run's history (dialogue run --continue): in the log, left out of every other figure"),
    source: z
      .object({
        kind: z.enum(["import", "continue"]),
        file: z.string().nullable().describe("import: the file's name"),
        session_id: z.string().nullable().describe("import: the session's id in the file"),
        conversation_id: z.string().nullable().describe("continue: the conversation this run carries on"),
      })
      .strict()
      .nullable()
      .describe("where the conversation came from: imported from a file, or continuing another; null for a run of its own configuration"),
  })
  .strict();

export const SentimentSchema = z
  .object({
    lexicon_mean: maybe.describe("mean lexicon score of the turns the agent spoke, -1..1; null when it spoke none"),
    self_reported_mean: maybe.describe("mean of the sentiment the agent reported itself, where it did (null: never)"),
    self_reported_n: z.number().int().nonnegative(),
  })
  .strict();

const personNote = "; null (or 0) for a person or a recorded speaker, whose messages no model generated here";

export const AgentMaterialSchema = z
  .object({
    turns: z.number().int().nonnegative().describe("the agent's turns whose prompt held material chunks"),
    content_words: z.number().int().nonnegative().describe("content words (not stop words, at least 3 letters) in those turns' messages"),
    from_material: z.number().int().nonnegative().describe("of those, the ones found in the chunks that turn's prompt held"),
    share: maybe.describe("from_material / content_words: how much of what the agent said came from the material it was shown (null: no turn had material)"),
  })
  .strict();

export const AgentMetricsSchema = z
  .object({
    agent_id: z.string(),
    name: z.string().nullable(),
    role: z.string(),
    kind: z
      .enum(["model", "human", "recorded"])
      .describe('"human": a person took this agent\'s turns (the TUI\'s input line, dialogue say); "recorded": a speaker of an imported conversation. Neither has tokens, speed or time to first token'),
    provider: z.string().describe('"human" for a person'),
    model: z.string().describe('"person" for a person'),
    simulated: z.boolean(),
    turns: z.number().int().nonnegative().describe("turns the agent was given, skipped and failed ones included"),
    skipped_turns: z.number().int().nonnegative().describe("a person's turns left unanswered: within limits.human_turn_seconds, or before the run ended with the turn open"),
    cut_turns: z.number().int().nonnegative(),
    failed_turns: z
      .number()
      .int()
      .nonnegative()
      .describe("turns that failed (every attempt failed, or the reply was unusable twice): turns the agent had, not turns it spoke"),
    stalled_turns: z.number().int().nonnegative(),
    retried_turns: z.number().int().nonnegative(),
    failed_attempts: z.number().int().nonnegative(),
    failure_causes: z.record(z.string(), z.number().int().nonnegative()),
    tokens_generated: z.number().int().nonnegative(),
    prompt_tokens: z.number().int().nonnegative(),
    generation_time_ms: num.describe(`time the agent's model spent generating the turns it spoke (a retried turn: the attempt that succeeded)${personNote}`),
    failed_time_ms: num.describe(
      `time the agent's turns spent on attempts that failed: a failed turn's whole time, started to finished (its attempts and the waits between them), and a retried turn's time before the attempt that succeeded, as the worker measured it; and a turn of which a worker lost an attempt (a crash or a kill; the queue gave the turn to a worker again), its time from the request to the attempt that went on${personNote}`,
    ),
    tokens_per_second: z
      .object({ mean: maybe, p50: maybe, p95: maybe })
      .strict()
      .describe(`generation speed as the engine reports it, over the turns the agent spoke that produced tokens${personNote}`),
    time_to_first_token_ms: z
      .object({ mean: maybe, p50: maybe, p95: maybe })
      .strict()
      .describe(`request sent to first text, measured at the worker, over the turns the agent spoke${personNote}`),
    load_time_ms: z.object({ total: num, max: maybe }).strict().describe(`time the engine spent loading the model${personNote}`),
    queue_wait_ms: z
      .object({ mean: maybe, p50: maybe, p95: maybe })
      .strict()
      .describe(`request queued to generation started: the wait for a worker, over the turns no worker lost an attempt of (that time is in failed_time_ms) and the manager did not record for want of a worker${personNote}`),
    answer_time_ms: z
      .object({ mean: maybe, p50: maybe, p95: maybe })
      .strict()
      .describe("a person's time to answer: turn offered to answer recorded, over the turns they answered; null for a model"),
    words: z.number().int().nonnegative(),
    words_per_turn: maybe.describe("words per turn spoken (skipped and failed turns left out); null when it spoke none"),
    share_of_talk: maybe.describe("the agent's share of all the agents' words"),
    share_of_turns: maybe.describe("the agent's share of the turns spoken (skipped and failed turns left out)"),
    mattr: maybe.describe(MATTR),
    repetition: z.object({ mean: maybe, max: maybe }).strict().describe(`${REPETITION}: mean and max over the agent's messages`),
    echo: z.object({ mean: maybe, max: maybe }).strict().describe(`${ECHO}: mean and max over the agent's messages`),
    questions: z.number().int().nonnegative().describe("question marks in the agent's messages (a run of ?! counts once)"),
    sentiment: SentimentSchema,
    material: AgentMaterialSchema.nullable().describe("how much the agent drew on the run's material; null when the run had none"),
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
    turn_balance: maybe.describe(
      "1 - (the largest agent's share of words - the smallest's), over every agent of the conversation (one who never spoke has 0); with two agents, 1 - |difference of their shares|; 1 = balanced",
    ),
  })
  .strict();

export const FlagSchema = z
  .object({
    type: FlagTypeSchema,
    agent_id: z.string().nullable(),
    turn: z.number().int().positive().describe("the turn where it starts (a turn number: a narrator's remarks and a copied history are not turns)"),
    detected_turn: z.number().int().positive(),
    until_turn: z.number().int().positive(),
  })
  .strict();

export const WindowAgentSchema = z
  .object({
    agent_id: z.string(),
    turns: z.number().int().nonnegative().describe("its turns in the window, skipped and failed ones included (the other figures are over the turns it spoke)"),
    tokens: z.number().int().nonnegative(),
    words: z.number().int().nonnegative(),
    tokens_per_second_mean: maybe,
    sentiment_lexicon: maybe,
    sentiment_self: maybe,
    repetition_mean: maybe,
  })
  .strict();

/** what the manager's model writes about one window (analyze --notes), as structured output */
export const WindowNoteVerdictSchema = z
  .object({
    summary: z.string().min(1).max(800),
    open_questions: z.array(z.string().min(1).max(300)).max(6),
    sentiment: z.number().min(-1).max(1).describe("the window's mood, -1 (hostile, upset) .. 1 (warm, pleased)"),
  })
  .strict();
export type WindowNoteVerdict = z.infer<typeof WindowNoteVerdictSchema>;

export const WindowNoteSchema = WindowNoteVerdictSchema.extend({
  simulated: z.boolean().describe("written by the offline simulated provider, not a model"),
}).strict();
export type WindowNote = z.infer<typeof WindowNoteSchema>;

/** who wrote the windows' notes, and for which windows */
export const NotesSchema = z
  .object({
    provider: z.string(),
    model: z.string(),
    simulated: z.boolean(),
    window: z.string().describe("the window size the notes were written for, e.g. 30s"),
    written_at: num,
    notes: z.number().int().nonnegative().describe("windows with a note (empty windows get none)"),
  })
  .strict();
export type Notes = z.infer<typeof NotesSchema>;

export const WindowSchema = z
  .object({
    index: z.number().int().nonnegative(),
    from_turn: z.number().int().positive().nullable().describe("its first turn, counted among the agents' turns (a narrator's remark takes none)"),
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
    note: WindowNoteSchema.nullable().describe("a model's note on the window (analyze --notes; see `notes` for who wrote them); null when none was written, or the window is empty"),
  })
  .strict();
export type Window = z.infer<typeof WindowSchema>;

const count = z.number().int().nonnegative();

export const TurnTakingSchema = z
  .object({
    turn_order: z
      .enum(["round_robin", "random", "addressed", "moderator"])
      .describe("the run's turn order (runs recorded before there were turn orders: round_robin)"),
    agent_ids: z.array(z.string()).describe("the agents, in the order of `agents` (the rows and columns of who_answered_whom)"),
    who_answered_whom: z
      .array(z.array(count))
      .describe(
        "who spoke right after whom: [i][j] counts the times agent_ids[j]'s message came right after agent_ids[i]'s, over consecutive pairs of messages the agents spoke (a narrator's remark between them, skipped turns and failed turns are passed over)",
      ),
    pairs: count.describe("the consecutive pairs counted in who_answered_whom"),
    chosen: z
      .object({
        first: count.describe("the opening turn"),
        round_robin: count.describe("chosen in the agents' order (also the fallback of addressed and moderator)"),
        random: count,
        addressed: count.describe("the speaker the previous reply named in next_speaker"),
        moderator: count.describe("chosen by the manager's model"),
        not_recorded: count.describe("turns recorded before turn choices were (older runs)"),
      })
      .strict()
      .describe("how each turn's speaker was chosen, from each message's metadata.turn_choice.how"),
    addressed: z
      .object({
        replies: count.describe("the models' replies (a failed turn is none)"),
        named: count.describe("replies whose next_speaker named another agent of the conversation"),
        absent: count.describe("replies that named no one"),
        invalid: count.describe("replies that named the speaker or an id that is no agent's"),
        named_followed: count.describe("named replies another turn followed (the last reply of a run has none)"),
        named_spoke_next: count.describe(
          "named replies after which the named agent spoke the next turn: given it and spoke it (a turn of theirs that was skipped or failed counts in named_followed only)",
        ),
      })
      .strict()
      .nullable()
      .describe('turn order "addressed": how the agents named who should answer, and whether that agent spoke next; null for other turn orders'),
    moderator: z
      .object({
        chosen: z.array(count).describe("turns the moderator gave each agent, in the order of agent_ids"),
        fallbacks: count.describe("turns after the first chosen some other way (round robin when the moderator could not choose or named someone who may not speak)"),
      })
      .strict()
      .nullable()
      .describe('turn order "moderator": the moderator\'s choices per agent; null for other turn orders'),
  })
  .strict()
  .describe("who spoke when, and how they came to speak (each agent's share of the talk is in agents[].share_of_talk and share_of_turns)");
export type TurnTaking = z.infer<typeof TurnTakingSchema>;

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
    agents: z.array(AgentMetricsSchema).describe("one per agent of the conversation, in its order (people included; not the narrator)"),
    orchestration: z
      .object({ handoff_ms: DistSchema.describe("previous message recorded -> next generation started (a turn of which a worker lost an attempt is left out: when that attempt began is not known; so is one the manager recorded because no worker returned it)") })
      .strict(),
    content: ContentMetricsSchema,
    turn_taking: TurnTakingSchema,
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
    notes: NotesSchema.nullable().describe("the model that wrote windows[].note (analyze --notes), or null"),
    material: z
      .object({
        files: z.array(z.object({ name: z.string(), kind: z.string(), chunks: z.number().int().nonnegative() }).strict()),
        budget_tokens: z.number().int().nonnegative(),
        turns_with_material: z.number().int().nonnegative().describe("turns whose prompt held material chunks"),
      })
      .strict()
      .nullable()
      .describe("the material the run's agents were given (scenario.materials, --material), or null"),
    judge: JudgeSchema.nullable(),
  })
  .strict();
export type Analysis = z.infer<typeof AnalysisSchema>;
