/**
 * Redis away while a run is followed: what every view says about it. The launcher (`run`) and
 * `watch` learn it from their connection (redis/connect.ts watchConnection) and push it into the
 * feed; the TUI says it in place of the turn's "no tokens for" (the model is not the one to blame),
 * plain text and JSON lines say it on stderr, one line when Redis goes away and one when it is back.
 * Where Redis is, is host:port only (never a password).
 */
import { hostPorts } from "../redis/cluster.js";

export interface RedisAway {
  /** host:port (several, comma-separated, for a cluster) */
  where: string;
  /** epoch ms it went away (Redis' clock as last measured: the TUI's clock) */
  since: number;
  /** how long it is waited for before giving up (redis.unavailable_timeout_ms) */
  timeout_ms: number;
}

/** the host:port of a Redis URL (every node of a cluster's), without scheme, user, password or db */
export function redisHostPort(url: string): string {
  return hostPorts(url) ?? "Redis";
}

const secs = (ms: number): number => Math.max(0, Math.round(ms / 1000));

/** the time of day of `t` (epoch ms), HH:MM:SS local */
function clock(t: number): string {
  const d = new Date(t);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

/** the seconds left of the wait for Redis at `t` */
export function awayLeftMs(a: RedisAway, t: number): number {
  return Math.max(0, a.since + a.timeout_ms - t);
}

/** the line said when Redis goes away (stderr) */
export function awayLine(a: RedisAway): string {
  return (
    `Redis at ${a.where} is unreachable (since ${clock(a.since)}): trying again until it answers, ` +
    `for up to ${secs(a.timeout_ms)} s (redis.unavailable_timeout_ms), then giving up`
  );
}

/** the line said when it answers again (stderr) */
export function backLine(a: RedisAway, t: number): string {
  return `Redis at ${a.where} answers again (it was unreachable for ${secs(t - a.since)} s); going on`;
}

/** what the TUI says in place of a quiet turn's "no tokens for": which Redis, for how long, until when */
export function awayShort(a: RedisAway, t: number): string {
  return `Redis at ${a.where} unreachable for ${secs(t - a.since)} s · giving up in ${secs(awayLeftMs(a, t))} s`;
}

/** the stderr line for each change (Redis gone, or back), or null when there is nothing to say: one per change, in order */
export function redisLines(): (e: { away: RedisAway | null; at: number }) => string | null {
  let away: RedisAway | null = null;
  return (e) => {
    const line = e.away ? awayLine(e.away) : away ? backLine(away, e.at) : null;
    away = e.away;
    return line;
  };
}
