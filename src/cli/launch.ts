/**
 * What `dialogue run` does before a conversation starts, for one conversation or a batch
 * (`--count N`): the configuration from the flags, "auto" resolved (and said), every model
 * checked, Redis opened, and the environment of the child processes (one manager, one worker per
 * pool) that serve the run.
 */
import type { Redis } from "ioredis";
import type { Config } from "../config/schema.js";
import { applyProviderFlag } from "../config/provider-flag.js";
import { resolveAuto } from "../llm/auto.js";
import { preflight } from "../llm/preflight.js";
import { buildSpec, needsAuto, runSeed, type AutoResolved } from "../manager/spec.js";
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
  /** a new conversation of this configuration (a fresh id each time); the n-th of a batch gets seed + n when the seed is set */
  newSpec(n?: number): ConversationSpec;
  /** the pools the conversations' agents use */
  pools: string[];
}

export async function prepareLaunch(opts: RunOptions): Promise<Launch> {
  const overrides: Record<string, unknown> = {};
  if (opts.provider) overrides.provider = opts.provider;
  if (opts.model) overrides.model = opts.model;
  if (opts.modelFile) overrides["embedded.model_file"] = opts.modelFile;
  if (opts.pull) overrides["ollama.pull"] = true;
  if (opts.threads) overrides["embedded.threads"] = opts.threads;
  if (opts.duration) overrides["limits.duration_seconds"] = opts.duration;
  if (opts.maxTurns) overrides["limits.max_turns"] = opts.maxTurns;
  if (opts.maxTokens) overrides["limits.max_total_tokens"] = opts.maxTokens;
  if (opts.seed !== undefined) overrides.seed = opts.seed;
  const config = applyProviderFlag(
    loadConfig(opts, { overrides, scenario: opts.scenario }),
    opts.provider as ProviderName | undefined,
    opts.model,
  );

  let auto: AutoResolved = { provider: "simulated" };
  if (needsAuto(config)) {
    const choice = await resolveAuto(config);
    auto = choice;
    stderr(`Provider: auto → ${choice.provider}${choice.model ? ` (${choice.model})` : ""} (${choice.reason})`);
  }
  const seedOf = (n: number): number => (config.seed === null && config.simulated.seed === undefined ? runSeed(config) : runSeed(config) + n);
  const first = buildSpec(config, auto, undefined, seedOf(0));
  // every model usable before anything starts: Ollama answers and has it (or --pull), the GGUF is there
  await preflight(config, [first.manager, ...first.agents.map((a) => a.model)], { say: stderr });

  const { redis, resolved } = await openRedis(config, stderr);
  const prefix = config.redis.prefix;
  let next: ConversationSpec | null = first;
  return {
    config,
    redis,
    resolved,
    prefix,
    store: new Store(redis, prefix, { leaseMs: config.queues.lock_duration_ms }),
    queues: new Queues(redis, prefix, config.queues),
    newSpec: (n = 0) => {
      const spec = next ?? buildSpec(config, auto, undefined, seedOf(n));
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
