/**
 * What processes say about themselves in Redis (redis/presence.ts writes and reads it), and the
 * model check `run --no-spawn` asks of the processes that will serve a run (spec/checks.ts):
 * parsed at both ends, like every payload that crosses a process boundary.
 */
import { z } from "zod";
import { ConfigSchema } from "../config/schema.js";
import { isSafeId } from "./keys.js";

const text = (max: number) => z.string().max(max);
const ms = z.number().int().nonnegative();

/** one model server as a process sees it from its host */
export const ServerViewSchema = z
  .object({
    /** where the process reaches it (OLLAMA_HOST, OPENAI_BASE_URL on that host) */
    where: text(500),
    ok: z.boolean(),
    /** the models it lists (the first 200) */
    models: z.array(text(200)).max(200),
    /** why it could not say, when not ok */
    error: text(500).nullable(),
  })
  .strict();
export type ServerView = z.infer<typeof ServerViewSchema>;

/** what a process can serve from its host: refreshed every minute, shown by `dialogue status` */
export const ServesSchema = z
  .object({
    ollama: ServerViewSchema,
    /** null: no OpenAI-compatible server configured on that host */
    openai: ServerViewSchema.nullable(),
    embedded: z
      .object({
        /** the configured GGUF file (embedded.model_file, DIALOGUE_MODEL_FILE), resolved on that host */
        model_file: text(1000).nullable(),
        model_file_present: z.boolean(),
        /** where the default model is kept on that host, and whether it is downloaded */
        default_model: text(1000),
        default_present: z.boolean(),
      })
      .strict(),
    /** epoch ms (Redis' clock) */
    checked_at: ms,
  })
  .strict();
export type Serves = z.infer<typeof ServesSchema>;

export const RoleSchema = z.enum(["manager", "worker"]);
export type Role = z.infer<typeof RoleSchema>;

/** a process's heartbeat: one field of P:presence, rewritten every presence.heartbeat_ms */
export const PresenceSchema = z
  .object({
    /** host/pid/role[/pool]: the field it is kept under */
    id: text(400),
    role: RoleSchema,
    host: text(200),
    pid: z.number().int(),
    /** workers: the pool served */
    pool: z.string().refine(isSafeId).nullable(),
    version: text(40),
    node: text(40),
    /** epoch ms (Redis' clock) */
    started_at: ms,
    /** when Redis last heard from it (TIME, set by the heartbeat script) */
    seen_at: ms,
    heartbeat_ms: z.number().int().positive(),
    /** "stopped": it said goodbye (a clean exit); a running one not seen for 3 heartbeats is gone */
    state: z.enum(["running", "stopped"]),
    /** Redis' clock minus its host's (ms), added to its times (redis/clock.ts): −200000 for a host 200 s ahead; null when not measured */
    clock_offset_ms: z.number().int().nullable(),
    load: z
      .object({
        /** jobs in hand now (turns for a worker; start, deadline and response jobs for a manager) */
        active: z.number().int().nonnegative(),
        /** how many it takes at once */
        concurrency: z.number().int().positive(),
        /** jobs done since it started, and of those failed */
        done: z.number().int().nonnegative(),
        failed: z.number().int().nonnegative(),
      })
      .strict(),
    serves: ServesSchema.nullable(),
  })
  .strict();
export type Presence = z.infer<typeof PresenceSchema>;

/** the part of a run's configuration that chooses models: what the checked process merges into its own */
export const ModelChoiceSchema = z
  .object({
    provider: ConfigSchema.shape.provider,
    model: ConfigSchema.shape.model,
    agents: ConfigSchema.shape.agents,
    manager: ConfigSchema.shape.manager,
    /** --model-file as given: a path on the serving hosts; null: each uses its own (embedded.model_file, or its default model) */
    model_file: text(1000).nullable(),
  })
  .strict();
export type ModelChoice = z.infer<typeof ModelChoiceSchema>;

/** published on P:checks by `run --no-spawn`: the processes of these pools (and managers) check, and answer */
export const CheckRequestSchema = z
  .object({
    check_id: z.string().refine(isSafeId),
    pools: z.array(z.string().refine(isSafeId)).max(64),
    manager: z.boolean(),
    choice: ModelChoiceSchema,
  })
  .strict();
export type CheckRequest = z.infer<typeof CheckRequestSchema>;

const CheckedModelSchema = z
  .object({
    /** "agent <id>", "agent <id> (fallback)" or "manager" */
    who: text(200),
    provider: text(40),
    model: text(1000),
    level: z.enum(["ok", "warn", "fail"]),
    what: text(2000),
    hint: text(2000).nullable(),
  })
  .strict();
export type CheckedModel = z.infer<typeof CheckedModelSchema>;

/** a process's answer: what it would use for its part of the run, and whether it can (one field of P:check:{CHECK}) */
export const CheckReplySchema = z
  .object({
    process: text(400),
    role: RoleSchema,
    host: text(200),
    pid: z.number().int(),
    pool: z.string().nullable(),
    /** "auto" resolved on that host, when the choice used it */
    auto: z.object({ provider: text(40), model: text(1000).nullable(), reason: text(2000) }).strict().nullable(),
    /** one line each: which served model it picked where none was named */
    notes: z.array(text(2000)).max(20),
    /** the models it would use, per agent of its pool (or the manager's), as concrete choices */
    uses: z.array(z.object({ who: text(200), agent_id: z.string().nullable(), fallback: z.boolean(), provider: text(40), model: text(1000) }).strict()).max(32),
    checks: z.array(CheckedModelSchema).max(32),
    /** what stopped it from choosing at all (a server that does not answer, several models and none named) */
    problems: z.array(z.object({ what: text(2000), hint: text(2000).nullable() }).strict()).max(8),
  })
  .strict();
export type CheckReply = z.infer<typeof CheckReplySchema>;
