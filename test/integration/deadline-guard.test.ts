/**
 * A deadline job that comes before the run's deadline by Redis' clock (a manager whose clock is
 * behind stamped it; BullMQ promotes delayed jobs by local clocks) goes back to wait for the rest,
 * and is processed at the deadline; one that comes on time is processed at once.
 */
import { Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { load } from "../../src/config/load.js";
import { holdEarlyDeadline } from "../../src/manager/deadline-guard.js";
import { buildSpec } from "../../src/manager/spec.js";
import { now } from "../../src/redis/clock.js";
import { Store } from "../../src/redis/store.js";
import { freshPrefix, withRedis } from "../helpers/redis.js";

const config = load({ env: {} }).config!;
let redis: Redis;
beforeAll(async () => {
  redis = await withRedis();
});
afterAll(async () => {
  await redis.quit();
});

describe("holdEarlyDeadline", () => {
  it("puts a deadline job that came 2 s early back until the deadline; one on time goes through", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const early = buildSpec({ ...config, redis: { ...config.redis, prefix } }, "simulated");
    const onTime = buildSpec({ ...config, redis: { ...config.redis, prefix } }, "simulated");
    for (const spec of [early, onTime]) await store.create(spec);
    const t0 = now();
    await store.setFields(early.id, { status: "running", started_at: t0, deadline_at: t0 + 2000 });
    await store.setFields(onTime.id, { status: "running", started_at: t0 - 5000, deadline_at: t0 - 10 });

    const queue = new Queue(store.keys.controlQueue(), { connection: redis, prefix: store.keys.controlPrefix() });
    const seen: Array<{ id: string; at: number }> = [];
    const done = new Map<string, number>();
    const worker = new Worker(
      store.keys.controlQueue(),
      async (job: Job, token?: string) => {
        const id = (job.data as { conversation_id: string }).conversation_id;
        seen.push({ id, at: now() });
        await holdEarlyDeadline(store, job, token);
        done.set(id, now());
        return "ended";
      },
      { connection: redis.duplicate({ maxRetriesPerRequest: null }), prefix: store.keys.controlPrefix() },
    );
    // both come now: no delay, as a manager behind another's clock would make it
    for (const spec of [early, onTime]) await queue.add("deadline", { type: "deadline", conversation_id: spec.id }, { jobId: store.keys.deadlineJobId(spec.id) });
    const end = Date.now() + 10_000;
    while (done.size < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    await worker.close();
    await queue.close();

    expect(done.get(onTime.id)! - t0).toBeLessThan(1000); // on time: at once, once
    expect(seen.filter((s) => s.id === onTime.id)).toHaveLength(1);
    // early: seen at once, held, then done at its deadline (within the slack), never before
    const times = seen.filter((s) => s.id === early.id).map((s) => s.at);
    expect(times.length).toBeGreaterThanOrEqual(2);
    expect(times[0]! - t0).toBeLessThan(1000);
    expect(done.get(early.id)!).toBeGreaterThanOrEqual(t0 + 2000 - 1000);
    expect(done.get(early.id)! - t0).toBeLessThan(5000);
  }, 20_000);
});
