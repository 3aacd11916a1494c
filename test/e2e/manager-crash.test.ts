/**
 * A killed manager is replaced and the conversation continues where it was; the deadline still
 * holds (it is a delayed job in Redis, not a timer in the dead process).
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { cliEnv, exited, startCli, waitFor } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

describe("manager crash", () => {
  it("a manager started by hand takes over and the deadline still holds", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const common = ["--prefix", prefix, "--set", "queues.lock_duration_ms=1500", "--set", "queues.stalled_interval_ms=500", "--set", "simulated.tokens_per_second=60"];
    const store = new Store(redis, prefix);
    const first = startCli(["manager", ...common], env);
    const w1 = startCli(["worker", "--pool", "traveller", ...common], env);
    const w2 = startCli(["worker", "--pool", "local", ...common], env);
    await waitFor("processes ready", async () => [first, w1, w2].every((p) => /ready/.test(p.err())), 20_000);
    const run = startCli(["run", "--no-spawn", "--provider", "simulated", "--duration", "12", "--max-turns", "100", "--plain", ...common], env);
    const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
    await waitFor("a turn", async () => ((await store.get(id))?.turns ?? 0) >= 1, 30_000);
    first.kill("SIGKILL");
    await exited(first);
    // a while with no manager at all: the worker finishes its turn, the response waits in its queue
    await new Promise((r) => setTimeout(r, 1500));
    const second = startCli(["manager", ...common], env);

    const { code } = await exited(run, 60_000);
    expect(code, run.err()).toBe(0);
    const rec = (await store.get(id))!;
    expect(rec.stop_reason).toBe("duration");
    const ran = rec.ended_at! - rec.started_at!;
    expect(ran).toBeGreaterThanOrEqual(12_000);
    expect(ran).toBeLessThan(14_500);
    const msgs = await store.readLog(id);
    expect(msgs.map((m) => m.metadata.sequence_number)).toEqual(msgs.map((_, i) => i + 1));
    expect(msgs.length).toBeGreaterThan(2); // it went on after the crash
    // the turn in flight at the deadline is cut; when the deadline fell between two turns (the
    // next one not yet chosen), the last message is whole and was over by the deadline
    const last = msgs.at(-1)!;
    const lastSaid = { seq: last.metadata.sequence_number, cut: last.cut, finished_at: last.metadata.finished_at, deadline_at: rec.deadline_at };
    expect(last.cut || last.metadata.finished_at <= rec.deadline_at! + 50, JSON.stringify(lastSaid)).toBe(true);
    for (const p of [second, w1, w2]) p.kill("SIGTERM");
    await Promise.all([second, w1, w2].map((p) => exited(p, 15_000)));
  }, 90_000);
});
