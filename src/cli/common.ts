/**
 * What every command shares: the common options, loading the configuration (problems become a
 * ConfigError, exit 2), and opening Redis (a RedisUnavailableError, exit 1).
 */
import os from "node:os";
import path from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import type { Redis } from "ioredis";
import { load, type LoadOptions } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { ConfigError } from "../errors/index.js";
import { connect, describeRedis, resolveRedis, type ResolvedRedis } from "../redis/connect.js";
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
    .option("--redis-url <url>", "Redis to use (redis:// or rediss://); env REDIS_URL; default: localhost:6379 if it answers, else a managed local redis-server")
    .option("--prefix <prefix>", "prefix of every Redis key; env DIALOGUE_PREFIX", undefined)
    .option("--set <path=value>", "set any configuration value, e.g. --set limits.max_turns=6 (repeatable)", collect)
    .option("--log-level <level>", "fatal|error|warn|info|debug|trace|silent; env DIALOGUE_LOG_LEVEL");
}

export function positiveNumber(what: string) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive number, got "${raw}"`);
    return n;
  };
}

export function positiveInt(what: string) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive whole number, got "${raw}"`);
    return n;
  };
}

export function wholeNumber(what: string) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`${what} must be a whole number, got "${raw}"`);
    return n;
  };
}

export function loadConfig(opts: CommonOptions, extra: Partial<LoadOptions> = {}): Config {
  const overrides: Record<string, unknown> = { ...extra.overrides };
  if (opts.redisUrl !== undefined) overrides["redis.url"] = opts.redisUrl;
  if (opts.prefix !== undefined) overrides["redis.prefix"] = opts.prefix;
  if (opts.logLevel !== undefined) overrides["log.level"] = opts.logLevel;
  const { config, problems } = load({
    configFile: opts.config,
    scenario: extra.scenario,
    env: process.env,
    overrides,
    sets: opts.set ?? [],
  });
  if (!config) throw new ConfigError(problems);
  return config;
}

export interface OpenRedis {
  redis: Redis;
  resolved: ResolvedRedis;
}

/** resolve and connect; `say` hears where Redis is when it is not the one the user configured */
export async function openRedis(config: Config, say?: (s: string) => void): Promise<OpenRedis> {
  const resolved = await resolveRedis(config);
  if (say && resolved.source !== "configured") say(`Redis: ${describeRedis(resolved)}`);
  const redis = await connect(resolved.url, config.redis.connect_timeout_ms);
  redis.on("error", () => undefined);
  return { redis, resolved };
}

/** where `run` keeps its children's logs */
export function logDir(config: Config): string {
  const base = config.redis.managed.data_dir ? path.dirname(config.redis.managed.data_dir) : path.dirname(defaultDataDir());
  return path.join(base || os.tmpdir(), "logs");
}

export const stderr = (s: string): void => {
  process.stderr.write(s.endsWith("\n") ? s : `${s}\n`);
};
