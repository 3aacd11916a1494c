/**
 * Following a run while Redis may go away (`run`, `watch`): the connection is watched for
 * redis.unavailable_timeout_ms (redis/connect.ts watchConnection); each time Redis goes away or
 * answers again, the view is told (a feed event: the TUI says it in the live area, plain text and
 * JSON lines on stderr); past the timeout, the one-line error and its hint.
 */
import type { Config } from "../config/schema.js";
import { redactUrl } from "../logger.js";
import type { FeedEvent } from "../observer/feed.js";
import { awayLeftMs, redisHostPort, type RedisAway } from "../observer/redis-away.js";
import type { RedisClient } from "../redis/cluster.js";
import { now } from "../redis/clock.js";
import { watchConnection, type ConnectionWatch } from "../redis/connect.js";
import { stderr } from "./common.js";

export type RedisEvent = Extract<FeedEvent, { type: "redis" }>;

export interface RedisWatch extends ConnectionWatch {
  /** since when Redis is unreachable, or null while it answers */
  away(): RedisAway | null;
}

/**
 * Watches `redis` (reached at `url`): `tell` hears each change, `onLost` is called once it has
 * been away for config.redis.unavailable_timeout_ms. Call the result to stop watching.
 */
export function watchRedis(redis: RedisClient, url: string, config: Config, tell: (e: RedisEvent) => void, onLost: () => void): RedisWatch {
  const timeout_ms = config.redis.unavailable_timeout_ms;
  let away: RedisAway | null = null;
  const watch = watchConnection(redis, timeout_ms, onLost, (since) => {
    // on the TUI's clock (Redis', as last measured), as every time it shows
    const at = now();
    away = since === null ? null : { where: redisHostPort(url), since: at - (Date.now() - since), timeout_ms };
    tell({ type: "redis", away, at });
  });
  return Object.assign(watch, { away: () => away });
}

/** what `run` says when stopped (Ctrl-C, SIGTERM, q) while Redis is unreachable: that it waits for it, how long, and what then */
export function stopWhileAway(a: RedisAway): string {
  const left = Math.round(awayLeftMs(a, now()) / 1000);
  const since = Math.round((now() - a.since) / 1000);
  return (
    `Redis at ${a.where} is unreachable (for ${since} s), so the stop cannot be recorded yet: waiting up to ${left} s more for it ` +
    `(redis.unavailable_timeout_ms); if it does not come back, this exits 1 ("lost Redis") and the conversation keeps what was recorded so far`
  );
}

/** Redis stayed away too long: the one-line error and its hint (`then`: the command that shows the conversation later) */
export function sayLostRedis(url: string, config: Config, id: string, then: string): void {
  stderr(`error: lost Redis at ${redactUrl(url)} for ${Math.round(config.redis.unavailable_timeout_ms / 1000)} s; conversation ${id} keeps what was recorded so far`);
  stderr(`hint: restart Redis (or check the network), then see it with: ${then}`);
}
