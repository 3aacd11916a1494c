/**
 * Runs recorded before each pool's queues had a hash tag of their own stay readable on a single
 * Redis: their request and response jobs are under the old shared tag `{P}`. A run is recorded,
 * its pool queues' keys are moved back to where the previous version kept them, and list, show,
 * show --failed (a failed job in the old place), analyze and purge still find everything.
 */
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Keys } from "../../src/protocol/keys.js";
import { Store } from "../../src/redis/store.js";
import { cliEnv, runCli } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await redis.quit();
});

describe("a run recorded with every queue under {prefix} (before per-pool tags)", () => {
  it("is listed, shown, analyzed; its failed jobs are shown; purge removes its old jobs", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const k = new Keys(prefix);
    const ran = await runCli(["run", "--provider", "simulated", "--max-turns", "2", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=0"], env);
    expect(ran.code, ran.stderr).toBe(0);
    const id = (await new Store(redis, prefix).listIds())[0]!;

    // back to the old layout: {P/<pool>}:<queue>:… becomes {P}:<queue>:…
    let moved = 0;
    for (const pool of ["traveller", "local"]) {
      for (const key of await redis.keys(`${k.poolPrefix(pool)}:*`)) {
        await redis.rename(key, `${k.legacyQueuePrefix()}${key.slice(k.poolPrefix(pool).length)}`);
        moved++;
      }
    }
    expect(moved).toBeGreaterThan(0);
    expect(await redis.exists(`${k.legacyQueuePrefix()}:${k.requestQueue("traveller")}:${k.turnJobId(id, 1)}`)).toBe(1);
    // and a failed job there, as an old worker left it
    const legacy = new Queue(k.requestQueue("traveller"), { connection: redis, prefix: k.legacyQueuePrefix() });
    await legacy.add("turn", { conversation_id: id, sequence_number: 3, agent_id: "traveller" }, { jobId: k.turnJobId(id, 3), attempts: 1, removeOnFail: false });
    const failing = new Worker(k.requestQueue("traveller"), async () => {
      throw new Error("the old worker could not reach its model");
    }, { connection: redis.duplicate(), prefix: k.legacyQueuePrefix() });
    await new Promise<void>((resolve) => failing.on("failed", () => resolve()));
    await failing.close();
    await legacy.close();

    const list = await runCli(["list", "--prefix", prefix], env);
    expect(list.stdout).toMatch(new RegExp(`${id}\\s.*completed \\(max_turns\\)`));
    const show = await runCli(["show", id, "--prefix", prefix], env);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain("[2] ");
    const failed = await runCli(["show", id, "--failed", "--prefix", prefix], env);
    expect(failed.code, failed.stderr).toBe(0);
    expect(failed.stdout).toContain("the old worker could not reach its model");
    expect((await runCli(["analyze", id, "--prefix", prefix], env)).code).toBe(0);

    const purge = await runCli(["purge", id, "--yes", "--prefix", prefix], env);
    expect(purge.code, purge.stderr).toBe(0);
    expect(await redis.exists(`${k.legacyQueuePrefix()}:${k.requestQueue("traveller")}:${k.turnJobId(id, 1)}`)).toBe(0);
    expect(await redis.exists(`${k.legacyQueuePrefix()}:${k.requestQueue("traveller")}:${k.turnJobId(id, 3)}`)).toBe(0);
    expect(await redis.exists(k.record(id))).toBe(0);
  }, 60_000);
});
