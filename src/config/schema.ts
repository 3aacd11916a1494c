/**
 * The configuration: one zod schema with its defaults. `config/default.json` and scenario files
 * are partial versions of it; `config/config.schema.json` is generated from it for editors.
 */
import { z } from "zod";
import { ModelOptionsSchema, ProviderNameSchema } from "../protocol/schemas.js";
import { isSafeId, isSafePrefix } from "../protocol/keys.js";

const safeName = z.string().refine(isSafeId, "use 1-120 letters, digits, '_', '.' or '-'");

export const AgentConfigSchema = z
  .object({
    /** short id used in keys and metadata, e.g. "customer" */
    id: safeName,
    /** the role the manager writes a persona for */
    role: z.string().min(1),
    /** what this agent wants out of the conversation (guides the persona) */
    goal: z.string().min(1).optional(),
    /** worker pool serving this agent; @defaultValue the agent id */
    pool: safeName.optional(),
    /** @defaultValue the top-level `provider` */
    provider: ProviderNameSchema.optional(),
    /** @defaultValue the top-level `model` */
    model: z.string().min(1).optional(),
    options: ModelOptionsSchema.default({}),
  })
  .strict();
export type AgentConfig = z.infer<typeof AgentConfigSchema>;

export const ConfigSchema = z
  .object({
    $schema: z.string().optional(),
    scenario: z
      .object({
        title: z.string().min(1),
        premise: z.string().min(1),
        setting: z.string().min(1).optional(),
      })
      .strict()
      .default({
        title: "A chance meeting",
        premise: "Two strangers share a table in a busy cafe and talk.",
      }),
    agents: z
      .array(AgentConfigSchema)
      .length(2, "a conversation has exactly two agents")
      .refine((a) => a[0]?.id !== a[1]?.id, "the two agents need different ids")
      .default([
        { id: "a", role: "curious traveller", options: {} },
        { id: "b", role: "local resident", options: {} },
      ]),
    /** provider for agents and manager that do not name their own; "auto" picks the first that can serve */
    provider: ProviderNameSchema.default("auto"),
    /** model for agents and manager that do not name their own; empty = the provider's default */
    model: z.string().default(""),
    manager: z
      .object({
        provider: ProviderNameSchema.optional(),
        model: z.string().min(1).optional(),
        options: ModelOptionsSchema.default({}),
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
        max_message_chars: z.number().int().positive().max(1_000_000).default(4000),
        /** how many earlier turns each request carries */
        history_turns: z.number().int().positive().default(40),
        /** end a conversation that is looping (stop reason "loop"): a speaker keeps repeating its recent messages */
        stop_on_loop: z.boolean().default(true),
        /** share (0-1) of a message's word 3-grams found in the same speaker's last 12 messages that makes it repetitive */
        loop_threshold: z.number().min(0).max(1).default(0.6),
        /** repetitive messages in a row from one speaker that make a loop */
        loop_turns: z.number().int().min(2).max(100).default(3),
      })
      .strict()
      .default({
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
        url: z.string().nullable().default(null),
        prefix: z.string().refine(isSafePrefix, "use letters, digits, '_', '.', '-' or ':'").default("dialogue"),
        connect_timeout_ms: z.number().int().positive().default(5000),
        /** token chunks kept per conversation (XADD MAXLEN ~) */
        token_stream_maxlen: z.number().int().nonnegative().default(5000),
        managed: z
          .object({
            port: z.number().int().min(1).max(65535).default(6479),
            /** null = $XDG_DATA_HOME/dialogue-llm/redis (or ~/.local/share/...) */
            data_dir: z.string().nullable().default(null),
          })
          .strict()
          .default({ port: 6479, data_dir: null }),
      })
      .strict()
      .default({
        url: null,
        prefix: "dialogue",
        connect_timeout_ms: 5000,
        token_stream_maxlen: 5000,
        managed: { port: 6479, data_dir: null },
      }),
    queues: z
      .object({
        /** how long a worker holds a job before it counts as stalled (BullMQ lockDuration) */
        lock_duration_ms: z.number().int().positive().default(30_000),
        /** how often workers look for stalled jobs (BullMQ stalledInterval) */
        stalled_interval_ms: z.number().int().positive().default(15_000),
        /** stalls before a job fails (BullMQ maxStalledCount) */
        max_stalled_count: z.number().int().nonnegative().default(3),
        /** attempts for a turn whose generation throws */
        attempts: z.number().int().positive().default(3),
        backoff_ms: z.number().int().nonnegative().default(1000),
        /** turns one worker process generates at once */
        worker_concurrency: z.number().int().positive().default(1),
        /** conversations one manager process drives at once */
        manager_concurrency: z.number().int().positive().default(50),
      })
      .strict()
      .default({
        lock_duration_ms: 30_000,
        stalled_interval_ms: 15_000,
        max_stalled_count: 3,
        attempts: 3,
        backoff_ms: 1000,
        worker_concurrency: 1,
        manager_concurrency: 50,
      }),
    simulated: z
      .object({
        seed: z.number().int().default(7),
        tokens_per_second: z.number().min(0).default(25),
        time_to_first_token_ms: z.number().min(0).default(250),
      })
      .strict()
      .default({ seed: 7, tokens_per_second: 25, time_to_first_token_ms: 250 }),
    ollama: z
      .object({ host: z.string().default("http://127.0.0.1:11434") })
      .strict()
      .default({ host: "http://127.0.0.1:11434" }),
    openai: z
      .object({ base_url: z.string().nullable().default(null), api_key: z.string().nullable().default(null) })
      .strict()
      .default({ base_url: null, api_key: null }),
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
