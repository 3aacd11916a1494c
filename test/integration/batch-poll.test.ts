/**
 * `run --count N`'s progress, read from the records in a real Redis: the turns it counts are the
 * agents' turns, a narrator's remarks (and a copied history) left out.
 */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poll } from "../../src/cli/batch.js";
import { Store } from "../../src/redis/store.js";
import { freshPrefix, withRedis } from "../helpers/redis.js";

let redis: Redis;
beforeAll(async () => {
  redis = await withRedis();
});
afterAll(async () => {
  await redis.quit();
});

describe("run --count progress", () => {
  it("counts the agents' turns of runs under way and ended, not the remarks", async () => {
    const store = new Store(redis, freshPrefix());
    await redis.hset(store.keys.record("a"), { status: "running", turns: "7", remarks: "2", tokens_total: "100" });
    await redis.hset(store.keys.record("b"), { status: "completed", stop_reason: "max_turns", turns: "5", remarks: "1", history: "0", tokens_total: "80" });
    const p = await poll({ redis, store }, ["a", "b"]);
    expect(p.running).toBe(1);
    expect(p.turns).toBe(5); // the running one: 7 messages, 2 of them remarks
    expect(p.ended).toEqual([expect.objectContaining({ id: "b", status: "completed", turns: 4 })]);
  });
});
