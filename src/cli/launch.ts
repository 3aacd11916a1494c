/**
 * What `dialogue run` does before a conversation starts, for one conversation or a batch
 * (`--count N`): the configuration from the flags, "auto" resolved (and said), every model
 * checked, Redis opened, and the environment of the child processes (one manager, one worker per
 * pool) that serve the run.
 */
import type { Redis } from "ioredis";
import type { Config } from "../config/schema.js";
import { applyProviderFlag } from "../config/provider-flag.js";
import { preflight } from "../llm/preflight.js";
import { ServedModels } from "../llm/served.js";
import { resolveModels, specOf, type Resolution } from "../manager/resolve.js";
import type { ConversationSpec } from "../protocol/record.js";
import type { ProviderName } from "../protocol/schemas.js";
import { Queues } from "../queues/index.js";
import type { ResolvedRedis } from "../redis/connect.js";
import { Store } from "../redis/store.js";
import { loadConfig, openRedis, stderr, type CommonOptions } from "./common.js";
import type { Supervisor } from "./children.js";

export interface RunOptions extends CommonOptions {
  scenario?: string;
  provider?: string;
  model?: string;
  modelFile?: string;
  pull?: boolean;
  threads?: number;
  duration?: number;
  maxTurns?: number;
  maxTokens?: number;
  seed?: number;
  plain?: boolean;
  json?: boolean;
  tokens?: boolean;
  spawn: boolean;
  count?: number;
}

export interface Launch {
  config: Config;
  redis: Redis;
  resolved: ResolvedRedis;
  prefix: string;
  store: Store;
  queues: Queues;
  /**
   * A new conversation of this configuration (a fresh id each time). `nth` > 0 (the nth of a
   * batch) offsets the simulated provider's seed by n, so a batch's simulated conversations
   * differ while each stays reproducible (`--seed <seed + n>`).
   */
  newSpec(nth?: number): ConversationSpec;
  /** the pools the conversations' agents use */
  pools: string[];
}

/** the options that choose what a run uses (run's and doctor's) */
export type ModelChoiceOptions = Pick<RunOptions, keyof CommonOptions | "scenario" | "provider" | "model" | "modelFile" | "pull" | "threads">;

/** the configuration a run of these options uses: files, env, --set, then the flags; --provider and --model for every agent */
export function runConfig(opts: ModelChoiceOptions & Partial<RunOptions>): Config {
  const overrides: Record<string, unknown> = {};
  if (opts.provider) overrides.provider = opts.provider;
  if (opts.model) overrides.model = opts.model;
  if (opts.modelFile) overrides["embedded.model_file"] = opts.modelFile;
  if (opts.pull) overrides["ollama.pull"] = true;
  if (opts.threads) overrides["embedded.threads"] = opts.threads;
  if (opts.duration) overrides["limits.duration_seconds"] = opts.duration;
  if (opts.maxTurns) overrides["limits.max_turns"] = opts.maxTurns;
  if (opts.maxTokens) overrides["limits.max_total_tokens"] = opts.maxTokens;
  if (opts.seed !== undefined) overrides["simulated.seed"] = opts.seed;
  return applyProviderFlag(loadConfig(opts, { overrides, scenario: opts.scenario }), opts.provider as ProviderName | undefined, opts.model);
}

/** the "Provider: auto → …" line */
export function autoLine(r: Resolution): string | null {
  const a = r.auto;
  return a ? `Provider: auto → ${a.provider}${a.model ? ` (${a.model})` : ""} (${a.reason})` : null;
}

export async function prepareLaunch(opts: RunOptions): Promise<Launch> {
  const config = runConfig(opts);
  // what each agent and the manager use, said; then every model usable before anything starts:
  // the servers answer and have it (or --pull), the GGUF is there
  const served = new ServedModels(config);
  const resolution = await resolveModels(config, served);
  const line = autoLine(resolution);
  if (line) stderr(line);
  const problem = resolution.problems[0];
  if (problem) throw problem.error;
  for (const note of resolution.notes) stderr(note);
  const first = specOf(config, resolution);
  await preflight(config, [first.manager, ...first.agents.map((a) => a.model)], { say: stderr, served });

  const { redis, resolved } = await openRedis(config, stderr);
  const prefix = config.redis.prefix;
  let next: ConversationSpec | null = first;
  return {
    config,
    redis,
    resolved,
    prefix,
    store: new Store(redis, prefix),
    queues: new Queues(redis, prefix, config.queues),
    newSpec: (nth = 0) => {
      const spec = nth === 0 && next ? next : specOf(nth === 0 ? config : { ...config, simulated: { ...config.simulated, seed: config.simulated.seed + nth } }, resolution);
      next = null;
      return spec;
    },
    pools: [...new Set(first.agents.map((a) => a.pool))],
  };
}

/** the environment of the children: this Redis and configuration, logs to `logFile` */
export function childEnv(launch: Launch, logFile: string): NodeJS.ProcessEnv {
  const url = launch.resolved.url;
  return {
    ...process.env,
    REDIS_URL: url,
    DIALOGUE_CONFIG_JSON: JSON.stringify({ ...launch.config, redis: { ...launch.config.redis, url } }),
    DIALOGUE_LOG_FILE: logFile,
  };
}

/** the manager and one worker per pool, or (--no-spawn) a word on what the run waits for */
export function startChildren(supervisor: Supervisor, launch: Launch, spawn: boolean): void {
  const pools = launch.pools;
  if (spawn) {
    supervisor.start({ name: "manager", args: ["manager"] });
    for (const pool of pools) supervisor.start({ name: `worker ${pool}`, args: ["worker", "--pool", pool] });
  } else {
    stderr(`--no-spawn: waiting for a running manager and workers for pool${pools.length > 1 ? "s" : ""} ${pools.join(", ")}`);
  }
}
