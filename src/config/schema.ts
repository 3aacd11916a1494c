/**
 * The configuration: one zod schema with its defaults. `config/default.json` and scenario files
 * are partial versions of it; `config/config.schema.json` is generated from it for editors.
 */
import { z } from "zod";
import { MAX_AGENTS, MIN_AGENTS, ModelOptionsSchema, NARRATOR_ID, ProviderNameSchema } from "../protocol/schemas.js";
import { DEFAULT_PREFIX, isSafeId, isSafePrefix } from "../protocol/keys.js";

/** a small instruct model (Qwen2.5 0.5B Instruct, Q4_K_M, about 0.5 GB) */
export const DEFAULT_EMBEDDED_MODEL = "hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf";

const safeName = z.string().refine(isSafeId, "use 1-120 letters, digits, '_', '.' or '-'");
const agentId = safeName.refine((s) => s !== NARRATOR_ID, `"${NARRATOR_ID}" is the narrator's (dialogue say --as narrator): choose another id`);

/**
 * How long a generation may stay silent before it counts as stalled: it is then aborted, recorded
 * on the turn, and retried (or passed to the fallback model). Set at the top level, per provider
 * (`ollama.timeouts`, ...) and per agent (`agents[].timeouts`); the most specific wins.
 */
export const TimeoutsSchema = z
  .object({
    /** from the request to the first token: room for the server to load the model (Ollama loads on first use) */
    first_token_ms: z.number().int().positive().max(3_600_000).optional(),
    /** between two tokens once the reply has started */
    between_tokens_ms: z.number().int().positive().max(3_600_000).optional(),
  })
  .strict();
export const DEFAULT_TIMEOUTS = { first_token_ms: 120_000, between_tokens_ms: 30_000 } as const;

export const AgentConfigSchema = z
  .object({
    /** short id used in keys and metadata, e.g. "customer" */
    id: agentId,
    /** the role the manager writes a persona for */
    role: z.string().min(1),
    /** "model" (the default) or "human": a person, who answers in the TUI's input line or with `dialogue say` */
    kind: z.enum(["model", "human"]).default("model"),
    /** what this agent wants out of the conversation (guides the persona) */
    goal: z.string().min(1).optional(),
    /** worker pool serving this agent; @defaultValue the agent id */
    pool: safeName.optional(),
    /** @defaultValue the top-level `provider` */
    provider: ProviderNameSchema.optional(),
    /** @defaultValue the top-level `model` */
    model: z.string().min(1).optional(),
    options: ModelOptionsSchema.default({}),
    /** this agent's stall timeouts (see `timeouts`); @defaultValue its provider's, else the top-level ones */
    timeouts: TimeoutsSchema.optional(),
    /** used when this agent's model keeps failing (its retries are spent) or cannot serve at all */
    fallback: z
      .object({
        provider: ProviderNameSchema.exclude(["auto"]),
        /** @defaultValue the provider's default model */
        model: z.string().min(1).optional(),
        options: ModelOptionsSchema.default({}),
      })
      .strict()
      .optional(),
  })
  .strict();
export type AgentConfig = z.infer<typeof AgentConfigSchema>;

export const ConfigSchema = z
  .object({
    $schema: z.string().optional(),
    scenario: z
      .object({
        title: z.string().min(1),
        /**
         * what happens, as a sentence; `{count}` / `{Count}` in the title, premise or setting is the
         * number of agents taking part, in words ("{Count} strangers share…": "Four strangers
         * share…" with --agents 4)
         */
        premise: z.string().min(1),
        setting: z.string().min(1).optional(),
        /**
         * files the agents may draw on (text, Markdown, CSV, JSON; paths relative to the current
         * directory): chunked and stored with the run; each turn's prompt carries the chunks most
         * relevant to the conversation so far (see `materials`). `--material <file>` adds more.
         */
        materials: z.array(z.string().min(1)).max(50).optional(),
      })
      .strict()
      .default({
        title: "A chance meeting",
        premise: "{Count} strangers share a table in a busy cafe and talk.",
      }),
    /** 2 to 8 agents, each with an id of its own; who speaks next is `conversation.turn_order` */
    agents: z
      .array(AgentConfigSchema)
      .min(MIN_AGENTS, `a conversation has ${MIN_AGENTS} to ${MAX_AGENTS} agents (add one: id, role)`)
      .max(MAX_AGENTS, `a conversation has ${MIN_AGENTS} to ${MAX_AGENTS} agents (remove some)`)
      .superRefine((agents, ctx) => {
        const seen = new Set<string>();
        agents.forEach((a, i) => {
          if (seen.has(a.id)) ctx.addIssue({ code: "custom", path: [i, "id"], message: `"${a.id}" is taken by an earlier agent: every agent needs an id of its own` });
          seen.add(a.id);
        });
        if (agents.length > 0 && agents.every((a) => a.kind === "human")) {
          ctx.addIssue({ code: "custom", message: "every agent is a person: at least one must be a model" });
        }
      })
      .default([
        { id: "a", role: "curious traveller", kind: "model", options: {} },
        { id: "b", role: "local resident", kind: "model", options: {} },
      ]),
    /** more agents the scenario can bring in, in order: `--agents N` takes the agents, then these, up to N */
    cast: z.array(AgentConfigSchema).max(MAX_AGENTS).default([]),
    /** provider for agents and manager that do not name their own; "auto" picks the first that can serve */
    provider: ProviderNameSchema.default("auto"),
    /** model for agents and manager that do not name their own; empty = the provider's default */
    model: z.string().default(""),
    /**
     * the run's seed, recorded with it and given to every engine that takes one (Ollama and
     * OpenAI-compatible `seed`, embedded sampling, the simulated provider): the same seed and
     * configuration give the same simulated dialogue; null = a fresh seed per run (still recorded).
     * `--count N` runs use seed, seed+1, …
     */
    seed: z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1).nullable().default(null),
    /** stall timeouts of every generation (providers and agents may set their own); @defaultValue first_token_ms 120000, between_tokens_ms 30000 */
    timeouts: TimeoutsSchema.default({}),
    /** how the conversation goes */
    conversation: z
      .object({
        /**
         * who speaks next: "round_robin" (in the agents' order; with two, they alternate), "random"
         * (seeded rounds: each agent once a round, nobody twice in a row), "addressed" (an agent's reply may name the next speaker in
         * `next_speaker`; otherwise round robin), "moderator" (the manager's model chooses, with a reason)
         */
        turn_order: z.enum(["round_robin", "random", "addressed", "moderator"], {
          error: (i) => `"${String(i.input)}" is not a turn order: use round_robin, random, addressed or moderator`,
        }).default("round_robin"),
      })
      .strict()
      .default({ turn_order: "round_robin" }),
    manager: z
      .object({
        /** the manager writes the story and chooses speakers: it is always a model */
        kind: z
          .literal("model", { error: 'the manager writes the story and chooses who speaks: it must be a model; a person takes part as an agent with "kind": "human"' })
          .optional(),
        provider: ProviderNameSchema.optional(),
        model: z.string().min(1).optional(),
        options: ModelOptionsSchema.default({}),
        timeouts: TimeoutsSchema.optional(),
      })
      .strict()
      .default({ options: {} }),
    limits: z
      .object({
        /** wall-clock length of the dialogue, from the first turn */
        duration_seconds: z.number().positive().max(7 * 24 * 3600).default(120),
        max_turns: z.number().int().positive().max(100_000).default(12),
        /** stop once the agents have generated this many tokens in all; null = no budget */
        max_total_tokens: z.number().int().positive().nullable().default(null),
        /** longer messages are cut to this many characters and marked truncated */
        max_message_chars: z.number().int().positive().max(200_000).default(4000),
        /** how many earlier turns each request carries */
        history_turns: z.number().int().positive().default(40),
        /** end a conversation that is looping (stop reason "loop"): a speaker keeps repeating its recent messages */
        stop_on_loop: z.boolean().default(true),
        /** share (0-1) of a message's word 3-grams found in the same speaker's last 12 messages that makes it repetitive */
        loop_threshold: z.number().min(0).max(1).default(0.6),
        /** repetitive messages in a row from one speaker that make a loop */
        loop_turns: z.number().int().min(2).max(100).default(3),
        /** a person's turn (an agent of kind "human") unanswered this long is skipped, and the reason recorded */
        human_turn_seconds: z.number().positive().max(24 * 3600).default(120),
      })
      .strict()
      .default({
        human_turn_seconds: 120,
        duration_seconds: 120,
        max_turns: 12,
        max_total_tokens: null,
        max_message_chars: 4000,
        history_turns: 40,
        stop_on_loop: true,
        loop_threshold: 0.6,
        loop_turns: 3,
      }),
    redis: z
      .object({
        /** redis:// or rediss:// URL; null = localhost:6379 if it answers, else a managed redis-server */
        url: z
          .string()
          .refine((u) => /^rediss?:\/\/[^\s]+$/.test(u), "must be a redis:// or rediss:// URL, e.g. redis://:password@host:6379/0")
          .nullable()
          .default(null),
        prefix: z.string().refine(isSafePrefix, "use letters, digits, '_', '.', '-' or ':'").default(DEFAULT_PREFIX),
        connect_timeout_ms: z.number().int().positive().default(5000),
        /** `dialogue run` gives up (exit 1) when Redis stays unreachable this long mid-run */
        unavailable_timeout_ms: z.number().int().positive().default(30_000),
        /** token chunks kept per conversation (XADD MAXLEN ~) */
        token_stream_maxlen: z.number().int().nonnegative().default(5000),
        /**
         * a Redis Cluster? "auto": when the URL names several nodes (redis://:pw@h1:7000,h2:7000,h3:7000),
         * or one node that has cluster mode on; "yes": always; "no": never. Env DIALOGUE_REDIS_CLUSTER
         */
        cluster: z.enum(["auto", "yes", "no"]).default("auto"),
        managed: z
          .object({
            port: z.number().int().min(1).max(65535).default(6479),
            /** null = $XDG_DATA_HOME/dialogue-llm/redis (or ~/.local/share/...) */
            data_dir: z.string().nullable().default(null),
            /**
             * start the managed redis-server when no Redis is configured or found; null = yes for the
             * commands you run yourself, no for `dialogue manager` and `dialogue worker` (they use
             * one that already runs, else fail: a process meant to join others must not serve an
             * empty Redis of its own; their flag --managed-redis sets this to true)
             */
            autostart: z.boolean().nullable().default(null),
          })
          .strict()
          .default({ port: 6479, data_dir: null, autostart: null }),
      })
      .strict()
      .default({
        url: null,
        prefix: DEFAULT_PREFIX,
        connect_timeout_ms: 5000,
        unavailable_timeout_ms: 30_000,
        token_stream_maxlen: 5000,
        cluster: "auto",
        managed: { port: 6479, data_dir: null, autostart: null },
      }),
    presence: z
      .object({
        /** how often every manager and worker writes its heartbeat (host, pid, pool, what it serves, load); one not seen for 3 of them is gone */
        heartbeat_ms: z.number().int().min(100).max(600_000).default(2000),
        /** `run --no-spawn`: how long to wait for a live manager and a live worker for each pool before giving up (flag --wait) */
        wait_seconds: z.number().positive().max(24 * 3600).default(60),
        /** `run --no-spawn`: how long the processes that will serve get to check their provider and model */
        check_timeout_ms: z.number().int().positive().max(600_000).default(10_000),
      })
      .strict()
      .default({ heartbeat_ms: 2000, wait_seconds: 60, check_timeout_ms: 10_000 }),
    queues: z
      .object({
        /** how long a worker holds a job before it counts as stalled (BullMQ lockDuration) */
        lock_duration_ms: z.number().int().positive().default(30_000),
        /** how often workers look for stalled jobs (BullMQ stalledInterval) */
        stalled_interval_ms: z.number().int().positive().default(15_000),
        /** stalls before a job fails (BullMQ maxStalledCount) */
        max_stalled_count: z.number().int().nonnegative().default(5),
        /** attempts of one model for a turn that fails in a way a retry may mend (a bad reply, an error in the stream) */
        attempts: z.number().int().positive().default(3),
        /** the first retry's delay; each next one doubles it (with jitter), up to backoff_max_ms */
        backoff_ms: z.number().int().nonnegative().default(1000),
        backoff_max_ms: z.number().int().nonnegative().default(15_000),
        /**
         * how long one model keeps being retried while its server is rate limiting (429), failing
         * (5xx), unreachable (restarting) or stalling — never past the run's deadline; then the
         * fallback model takes the turn, or the turn fails
         */
        retry_budget_ms: z.number().int().nonnegative().default(60_000),
        /** replaced by `timeouts.between_tokens_ms`; still read when set */
        idle_timeout_ms: z.number().int().positive().optional(),
        /** turns one worker process generates at once */
        worker_concurrency: z.number().int().positive().default(1),
        /** conversations one manager process drives at once */
        manager_concurrency: z.number().int().positive().default(50),
        /**
         * keep each turn's response job once its message is recorded (the log holds the same
         * message): off, a turn keeps its request job (with who served it and what it returned)
         * and responses that failed; on, bull-board and `show --failed` see every response too
         */
        keep_responses: z.boolean().default(false),
      })
      .strict()
      .default({
        lock_duration_ms: 30_000,
        stalled_interval_ms: 15_000,
        max_stalled_count: 5,
        attempts: 3,
        backoff_ms: 1000,
        backoff_max_ms: 15_000,
        retry_budget_ms: 60_000,
        worker_concurrency: 1,
        manager_concurrency: 50,
        keep_responses: false,
      }),
    simulated: z
      .object({
        /** replaced by the top-level `seed`; still read when that is null */
        seed: z.number().int().optional(),
        tokens_per_second: z.number().min(0).default(25),
        time_to_first_token_ms: z.number().min(0).default(250),
      })
      .strict()
      .default({ tokens_per_second: 25, time_to_first_token_ms: 250 }),
    ollama: z
      .object({
        /** where Ollama listens (env OLLAMA_HOST) */
        host: z
          .string()
          .refine((u) => /^https?:\/\/[^\s]+$/.test(u), "must be an http:// or https:// URL, e.g. http://127.0.0.1:11434")
          .default("http://127.0.0.1:11434"),
        /** how long Ollama keeps a model loaded after a request ("5m", 0 = unload at once, -1 = forever); an agent's options.keep_alive wins */
        keep_alive: z.union([z.string().min(1), z.number()]).nullable().default(null),
        /** pull a model the server does not have (with a progress bar) instead of failing; flag --pull */
        pull: z.boolean().default(false),
        /** stall timeouts for Ollama models (see the top-level `timeouts`) */
        timeouts: TimeoutsSchema.optional(),
      })
      .strict()
      .default({ host: "http://127.0.0.1:11434", keep_alive: null, pull: false }),
    openai: z
      .object({
        /** an OpenAI-compatible server, e.g. http://127.0.0.1:1234/v1 (LM Studio); env OPENAI_BASE_URL. null = api.openai.com when a key is set */
        base_url: z.string().nullable().default(null),
        /** env OPENAI_API_KEY; local servers usually need none */
        api_key: z.string().nullable().default(null),
        /** retries inside the openai client (not recorded on the turn); the worker's own retries (queues.retry_budget_ms) are usually what you want */
        max_retries: z.number().int().nonnegative().max(10).default(0),
        /** per request, in ms */
        timeout_ms: z.number().int().positive().default(600_000),
        /** stall timeouts for this server's models (see the top-level `timeouts`) */
        timeouts: TimeoutsSchema.optional(),
      })
      .strict()
      .default({ base_url: null, api_key: null, max_retries: 0, timeout_ms: 600_000 }),
    embedded: z
      .object({
        /** a GGUF model file; flag --model-file, env DIALOGUE_MODEL_FILE. null = the default model (downloaded on first use) */
        model_file: z.string().nullable().default(null),
        /** where the default model is downloaded (null = $XDG_CACHE_HOME/dialogue-llm/models or ~/.cache/...) */
        cache_dir: z.string().nullable().default(null),
        /** the default model: a URL or hf:<user>/<repo>/<file>.gguf */
        default_model: z.string().default(DEFAULT_EMBEDDED_MODEL),
        /** CPU threads per generation; null = half the cores (1 on a 2-core machine), so workers do not starve each other; env DIALOGUE_THREADS */
        threads: z.number().int().positive().nullable().default(null),
        /** context window in tokens when an agent's options set no num_ctx (capped at the model's own) */
        context_size: z.number().int().positive().default(4096),
        /** reply length limit when an agent's options set no num_predict */
        max_tokens: z.number().int().positive().default(1024),
        /** stall timeouts for embedded models (see the top-level `timeouts`) */
        timeouts: TimeoutsSchema.optional(),
      })
      .strict()
      .default({
        model_file: null,
        cache_dir: null,
        default_model: DEFAULT_EMBEDDED_MODEL,
        threads: null,
        context_size: 4096,
        max_tokens: 1024,
      }),
    /** how the material (scenario.materials, --material) is cut and given to the agents */
    materials: z
      .object({
        /** tokens of material each turn's prompt may carry (about 3 characters a token) */
        budget_tokens: z.number().int().positive().max(100_000).default(600),
        /** a chunk's size in tokens, about */
        chunk_tokens: z.number().int().positive().max(10_000).default(150),
        /** larger files are refused (one line, exit 2, nothing started) */
        max_file_bytes: z.number().int().positive().default(2_000_000),
      })
      .strict()
      .default({ budget_tokens: 600, chunk_tokens: 150, max_file_bytes: 2_000_000 }),
    context: z
      .object({
        /** when the history outgrows the context window: "summarize" older turns into a few lines, or "drop" them */
        strategy: z.enum(["summarize", "drop"]).default("summarize"),
        /** tokens kept free for the reply when an agent sets no num_predict */
        reserve_tokens: z.number().int().nonnegative().default(512),
        /** the context window of models whose size is not known (agent options.num_ctx wins); null = the provider's default */
        window_tokens: z.number().int().positive().nullable().default(null),
      })
      .strict()
      .default({ strategy: "summarize", reserve_tokens: 512, window_tokens: null }),
    log: z
      .object({
        level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
        /** null = stderr for manager/worker; `dialogue run` writes its children's logs to a file in the data dir */
        file: z.string().nullable().default(null),
      })
      .strict()
      .default({ level: "info", file: null }),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
