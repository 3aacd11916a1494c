/**
 * What every command shares: the common options, loading the configuration (problems become a
 * ConfigError, exit 2), and opening Redis (a RedisUnavailableError, exit 1).
 */
import os from "node:os";
import path from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import type { RedisClient } from "../redis/cluster.js";
import { load, type LoadOptions } from "../config/load.js";
import { parseDecimal, type DecimalForm } from "../config/numbers.js";
import type { Config } from "../config/schema.js";
import { ConfigError } from "../errors/index.js";
import { connect, describeRedis, resolveRedis, withTopology, type ResolvedRedis, type ResolveOptions } from "../redis/connect.js";
import { startClock } from "../redis/clock.js";
import { defaultDataDir } from "../redis/managed.js";

export interface CommonOptions {
  config?: string;
  redisUrl?: string;
  prefix?: string;
  set?: string[];
  logLevel?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function addCommonOptions(cmd: Command): Command {
  return cmd
    .option("-c, --config <file>", "configuration file (layered over config/default.json); env DIALOGUE_CONFIG")
    .option("--redis-url <url>", "Redis to use (redis:// or rediss://; a Redis Cluster: several nodes, redis://:pw@h1:7000,h2:7000); env REDIS_URL; default: localhost:6379 if it answers, else a managed local redis-server")
    .option("--prefix <prefix>", "prefix of every Redis key; env DIALOGUE_PREFIX", undefined)
    .option("--set <path=value>", "set any configuration value, e.g. --set limits.max_turns=6 (repeatable)", collect)
    .option("--log-level <level>", "fatal|error|warn|info|debug|trace|silent; env DIALOGUE_LOG_LEVEL");
}

/**
 * A commander argument parser for a number flag, strict about its form (src/config/numbers.ts):
 * `0x10`, `1e3`, `Infinity`, `010`, ` 5` or `5s` are refused in one line naming the flag and the
 * form it takes.
 */
function numberFlag(flag: string, form: DecimalForm, ok: (n: number) => boolean, what: string) {
  return (raw: string): number => {
    const n = parseDecimal(raw, form);
    if (n === null || !ok(n)) throw new InvalidArgumentError(`${flag} must be ${what}; got ${JSON.stringify(raw)}`);
    return n;
  };
}

/** > 0, with a decimal part allowed: --duration */
export const positiveNumber = (flag: string) =>
  numberFlag(flag, {}, (n) => n > 0, "a positive number like 30 or 2.5 (digits, with one optional decimal point)");
/** ≥ 0, with a decimal part allowed: --speed */
export const nonNegativeNumber = (flag: string) =>
  numberFlag(flag, {}, (n) => n >= 0, "a number ≥ 0 like 10 or 0.5 (digits, with one optional decimal point)");
/** a whole number > 0: counts */
export const positiveInt = (flag: string) => numberFlag(flag, { whole: true }, (n) => n > 0, "a positive whole number like 12 (digits only)");
/** any whole number, negative ones too: --seed */
export const wholeNumber = (flag: string) =>
  numberFlag(flag, { whole: true, negative: true }, () => true, "a whole number like 42 (digits only, optionally after -)");

export function loadConfig(opts: CommonOptions, extra: Partial<LoadOptions> = {}): Config {
  return loadConfigOwned(opts, extra).config;
}

/** loadConfig, with the ids of the agents whose goal the user wrote (LoadResult.ownGoals) */
export function loadConfigOwned(opts: CommonOptions, extra: Partial<LoadOptions> = {}): { config: Config; ownGoals: ReadonlySet<string> } {
  const overrides: Record<string, unknown> = { ...extra.overrides };
  if (opts.redisUrl !== undefined) overrides["redis.url"] = opts.redisUrl;
  if (opts.prefix !== undefined) overrides["redis.prefix"] = opts.prefix;
  if (opts.logLevel !== undefined) overrides["log.level"] = opts.logLevel;
  const { config, problems, ownGoals } = load({
    configFile: opts.config,
    scenario: extra.scenario,
    handed: extra.handed,
    env: process.env,
    overrides,
    sets: opts.set ?? [],
  });
  if (!config) throw new ConfigError(problems);
  return { config, ownGoals: ownGoals ?? new Set() };
}

export interface OpenRedis {
  redis: RedisClient;
  resolved: ResolvedRedis;
}

/**
 * Resolve and connect (a cluster client for a Redis Cluster), and set this process's clock by
 * Redis' (redis/clock.ts); `say` hears where Redis is when it is not the one the user configured.
 */
export async function openRedis(config: Config, say?: (s: string) => void, opts: ResolveOptions = {}): Promise<OpenRedis> {
  const found = await resolveRedis(config, opts);
  if (say && found.source !== "configured") say(`Redis: ${describeRedis(found)}`);
  const redis = await connect(found.url, config.redis.connect_timeout_ms, {}, config.redis.cluster, config.redis.unavailable_timeout_ms);
  redis.on("error", () => undefined);
  await startClock(redis);
  return { redis, resolved: withTopology(found, redis) };
}

/** where `run` keeps its children's logs */
export function logDir(config: Config): string {
  const base = config.redis.managed.data_dir ? path.dirname(config.redis.managed.data_dir) : path.dirname(defaultDataDir());
  return path.join(base || os.tmpdir(), "logs");
}

export const stderr = (s: string): void => {
  process.stderr.write(s.endsWith("\n") ? s : `${s}\n`);
};
