/**
 * One clock for every process: Redis' (TIME). A process measures its offset to it when it
 * connects (the middle of the fastest of a few TIME round trips), and a long-lived one measures
 * it again every minute; `now()` is this host's clock corrected by that offset. Every time that
 * another host will compare — a run's start and deadline, when a turn was requested, started and
 * finished, when an attempt failed — is taken with `now()`, so a host whose clock is minutes off
 * neither cuts turns nor reports absurd waits. Durations measured within one process (a model's
 * time to first token, its generation time) need no correction. The Lua scripts that stamp a time
 * in Redis (leases, the log's recorded_at, ended_at, heartbeats) read TIME themselves.
 *
 * Reads: TIME. Writes nothing. Before a process has measured (or when TIME is refused), `now()`
 * is the host's own clock and `clockOffsetMs()` null.
 */
import type { RedisClient } from "./cluster.js";

/** how often a long-lived process measures its offset again; @defaultValue 60000 */
export const CLOCK_REFRESH_MS = 60_000;
const SAMPLES = 3;

let offset = 0;
let measured = false;
let timer: NodeJS.Timeout | null = null;

/** epoch ms by Redis' clock (this host's, corrected by the measured offset) */
export function now(): number {
  return Date.now() + offset;
}

/** Redis' clock minus this host's, ms (positive: this host is behind); null before it was measured */
export function clockOffsetMs(): number | null {
  return measured ? offset : null;
}

/** the offset from the fastest of a few TIME round trips, and that round trip's length */
export async function measureOffset(redis: RedisClient, samples = SAMPLES): Promise<{ offset: number; rtt: number }> {
  let best: { offset: number; rtt: number } | null = null;
  for (let i = 0; i < samples; i++) {
    const t0 = Date.now();
    const [s, us] = await redis.time();
    const t1 = Date.now();
    const server = Number(s) * 1000 + Math.floor(Number(us) / 1000);
    const sample = { offset: Math.round(server - (t0 + t1) / 2), rtt: t1 - t0 };
    if (!best || sample.rtt < best.rtt) best = sample;
  }
  if (!best) throw new Error("no sample");
  return best;
}

/**
 * Measures the offset now and every `refreshMs` after (the timer does not keep the process
 * alive; a failed measurement keeps the last offset). Returns a function that stops refreshing.
 */
export async function startClock(redis: RedisClient, refreshMs = CLOCK_REFRESH_MS): Promise<() => void> {
  const measure = async (): Promise<void> => {
    try {
      offset = (await measureOffset(redis)).offset;
      measured = true;
    } catch {
      // TIME refused or the connection gone: the last offset (or the host's clock) it is
    }
  };
  await measure();
  if (timer) clearInterval(timer);
  const mine = setInterval(() => void measure(), refreshMs);
  mine.unref();
  timer = mine;
  return () => {
    clearInterval(mine);
    if (timer === mine) timer = null;
  };
}

/** forget the measured offset (tests) */
export function resetClock(): void {
  if (timer) clearInterval(timer);
  timer = null;
  offset = 0;
  measured = false;
}
