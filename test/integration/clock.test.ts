/**
 * The clock against a real Redis: the offset to TIME is measured (near zero on this host, where
 * Redis shares the clock), and `now()` follows it.
 */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clockOffsetMs, measureOffset, now, resetClock, startClock } from "../../src/redis/clock.js";
import { withRedis } from "../helpers/redis.js";

let redis: Redis;
beforeAll(async () => {
  redis = await withRedis();
});
afterAll(async () => {
  resetClock();
  await redis.quit();
});

describe("one clock: Redis' TIME", () => {
  it("measures the offset from the fastest round trip; on the same host it is within a few ms", async () => {
    const m = await measureOffset(redis);
    expect(m.rtt).toBeGreaterThanOrEqual(0);
    expect(Math.abs(m.offset)).toBeLessThanOrEqual(m.rtt + 5);
  });

  it("before it is measured now() is the host's clock and the offset null; after, the offset is kept and now() is Redis'", async () => {
    resetClock();
    expect(clockOffsetMs()).toBeNull();
    const stop = await startClock(redis, 60_000);
    expect(clockOffsetMs()).not.toBeNull();
    const [s, us] = await redis.time();
    const redisNow = Number(s) * 1000 + Math.floor(Number(us) / 1000);
    expect(Math.abs(now() - redisNow)).toBeLessThan(50);
    stop();
  });
});
