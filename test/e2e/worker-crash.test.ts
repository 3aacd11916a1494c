/**
 * A worker killed with SIGKILL in the middle of a turn: the turn is retried (by another worker
 * of the pool, or by the worker `dialogue run` restarts) and recorded exactly once.
 * BullMQ's lock and stalled-check timings are shortened so this takes seconds.
 */
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Keys } from "../../src/protocol/keys.js";
import { chunkFromEntry } from "../../src/protocol/token-entry.js";
import { readStored } from "../../src/redis/analysis-store.js";
import { Store } from "../../src/redis/store.js";
import { childrenOf, cliEnv, exited, startCli, waitFor } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

const FAST_STALL = ["--set", "queues.lock_duration_ms=1500", "--set", "queues.stalled_interval_ms=500"];
const SLOW_SIM = ["--set", "simulated.tokens_per_second=30", "--set", "simulated.time_to_first_token_ms=50"];

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

async function attemptsSeen(store: Store, id: string, seq: number): Promise<Set<number>> {
  const entries = await redis.xrange(store.keys.tokens(id), "-", "+");
  const attempts = new Set<number>();
  for (const [, f] of entries) {
    const c = chunkFromEntry(f);
    if (c?.seq === seq) attempts.add(c.attempt);
  }
  return attempts;
}

async function generating(store: Store, id: string, seq: number): Promise<boolean> {
  return (await attemptsSeen(store, id, seq)).size > 0;
}

function expectExactlyOnce(seqs: number[], n: number): void {
  expect(seqs).toEqual(Array.from({ length: n }, (_, i) => i + 1));
}

describe("worker SIGKILLed mid-turn", () => {
  it("under dialogue run: the worker is restarted, the turn retried and recorded once", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const run = startCli(["run", "--provider", "simulated", "--max-turns", "4", "--plain", "--prefix", prefix, ...SLOW_SIM, ...FAST_STALL], cliEnv(testRedisUrl()));
    const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
    await waitFor("turn 2 generating", () => generating(store, id, 2), 30_000, 20);
    const rec = (await store.get(id))!;
    const pool = rec.spec.agents[1]!.pool;
    const worker = (await childrenOf(run.pid!)).find((c) => c.args.includes(`--pool ${pool}`));
    expect(worker).toBeDefined();
    process.kill(worker!.pid, "SIGKILL");

    const { code } = await exited(run, 60_000);
    expect(code).toBe(0);
    expect(run.err()).toMatch(/worker .* exited \(SIGKILL\); restarting/);
    const msgs = await store.readLog(id);
    expectExactlyOnce(msgs.map((m) => m.metadata.sequence_number), 4);
    const m2 = msgs[1]!;
    expect(m2.metadata.attempt).toBeGreaterThanOrEqual(2);
    expect(m2.metadata.worker.pid).not.toBe(worker!.pid);
    expect(await attemptsSeen(store, id, 2)).toContain(1);
    const final = (await store.get(id))!;
    expect(final.stop_reason).toBe("max_turns");
    expect(final.turns).toBe(4);
    // the killed worker's attempt was timed by nobody: the time from the request to the attempt
    // that went on is the lost attempt and the queue's wait to give the turn out again (its lock:
    // 1.5 s) — shown as such, and counted as time in failed attempts, not as a wait for a worker
    expect(m2.metadata.failed_attempts.map((f) => f.cause)).toContain("worker_lost");
    const lostMs = m2.metadata.started_at - m2.metadata.requested_at;
    expect(lostMs).toBeGreaterThan(1000);
    expect(run.out()).toContain(` · queue wait ${m2.metadata.queue_wait_ms} ms with a lost attempt · `);
    const { analysis } = await readStored(store, id);
    const agent = analysis?.agents.find((a) => a.agent_id === m2.metadata.agent_id);
    expect(agent?.failed_time_ms).toBe(lostMs);
    expect(agent?.queue_wait_ms.p95).toBeLessThan(1000);
  }, 90_000);

  it("with standalone processes: another worker of the pool takes the turn over", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const common = ["--prefix", prefix, ...FAST_STALL, ...SLOW_SIM];
    const store = new Store(redis, prefix);
    // the pools are the agents' ids in the default scenario: traveller speaks first, local second
    const manager = startCli(["manager", ...common], env);
    const w1 = startCli(["worker", "--pool", "local", ...common], env);
    const w2 = startCli(["worker", "--pool", "local", ...common], env);
    const w3 = startCli(["worker", "--pool", "traveller", ...common], env);
    await waitFor("processes ready", async () => [manager, w1, w2, w3].every((p) => /ready/.test(p.err())), 20_000);

    const run = startCli(["run", "--no-spawn", "--provider", "simulated", "--max-turns", "4", "--plain", ...common], env);
    const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
    await waitFor("turn 2 generating", () => generating(store, id, 2), 30_000, 20);
    const queue = new Queue(new Keys(prefix).requestQueue("local"), { connection: redis.duplicate(), prefix: new Keys(prefix).poolPrefix("local") });
    const job = await queue.getJob(new Keys(prefix).turnJobId(id, 2));
    const victimPid = Number(job?.processedBy?.split("/").pop());
    expect([w1.pid, w2.pid]).toContain(victimPid);
    process.kill(victimPid, "SIGKILL");

    const { code } = await exited(run, 60_000);
    expect(code).toBe(0);
    const msgs = await store.readLog(id);
    expectExactlyOnce(msgs.map((m) => m.metadata.sequence_number), 4);
    const m2 = msgs[1]!;
    const survivor = victimPid === w1.pid ? w2.pid : w1.pid;
    expect(m2.metadata.worker.pid).toBe(survivor);
    expect(m2.metadata.attempt).toBe(2);
    // the manager and the other processes survived
    expect(manager.exitCode).toBeNull();
    expect(w3.exitCode).toBeNull();
    await queue.close();
    for (const p of [manager, w1, w2, w3]) if (p.exitCode === null && p.signalCode === null) p.kill("SIGTERM");
    await Promise.all([manager, w3, victimPid === w1.pid ? w2 : w1].map((p) => exited(p, 10_000)));
  }, 90_000);

  it("the only worker of a pool killed, none to take the turn up: once the run's time is up, the lost turn is recorded failed, and the run does not end as if it were answered", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const common = ["--prefix", prefix, ...SLOW_SIM];
    const store = new Store(redis, prefix);
    const manager = startCli(["manager", ...common], env);
    const local = startCli(["worker", "--pool", "local", ...common], env);
    const traveller = startCli(["worker", "--pool", "traveller", ...common], env);
    await waitFor("processes ready", async () => [manager, local, traveller].every((p) => /ready/.test(p.err())), 20_000);

    const run = startCli(["run", "--no-spawn", "--provider", "simulated", "--max-turns", "6", "--duration", "6", "--plain", ...common], env);
    const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
    await waitFor("turn 2 generating", () => generating(store, id, 2), 30_000, 20);
    local.kill("SIGKILL");

    // the deadline, then the stop's grace (10 s) for the turn in flight, which never comes back
    const { code } = await exited(run, 60_000);
    const rec = (await store.get(id))!;
    const msgs = await store.readLog(id);
    expect(msgs.map((m) => m.metadata.sequence_number)).toEqual([1, 2]);
    const lost = msgs[1]!;
    expect(lost.metadata.agent_id).toBe("local");
    expect(lost.failed).toBe(true);
    expect(lost.error).toBe("the turn never came back before the run ended (duration): no worker of pool local returned it (the worker that took it up was lost)");
    expect(lost.metadata.failed_attempts.map((f) => f.cause)).toEqual(["worker_lost"]);
    expect(rec.failed_turns).toBe(1);
    expect(rec.status).toBe("completed");
    expect(code).toBe(4); // completed, with a failed turn
    // one turn, counted once: failed, not also "cut" (nothing of it came back)
    expect(lost.cut).toBe(false);
    expect(rec.cut_turns).toBe(0);
    expect(run.out()).toMatch(/Ended: completed \(duration\) · 2 turns \(1 failed\)/);
    for (const p of [manager, traveller]) if (p.exitCode === null && p.signalCode === null) p.kill("SIGTERM");
    await Promise.all([manager, traveller].map((p) => exited(p, 10_000)));
  }, 90_000);
});
