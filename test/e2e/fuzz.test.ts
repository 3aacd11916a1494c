/**
 * Malformed payloads on every queue: random JSON, wrong types, huge strings, unknown conversation
 * ids. Each job ends failed with a reason; the manager and the worker keep running and still
 * serve a normal conversation afterwards.
 */
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Keys } from "../../src/protocol/keys.js";
import { mulberry32 } from "../../src/llm/rng.js";
import { Store } from "../../src/redis/store.js";
import { cliEnv, exited, runCli, startCli, waitFor } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await redis.quit();
});

function randomValue(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * (depth > 2 ? 5 : 7));
  switch (k) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return Math.floor((r() - 0.5) * 1e6);
    case 3: return "x".repeat(Math.floor(r() * 40));
    case 4: return r() * 1e300;
    case 5: return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (const key of ["conversation_id", "sequence_number", "agent_id", "ok", "type", "message", "pool", "model", "story"].filter(() => r() < 0.4)) {
        o[key] = randomValue(r, depth + 1);
      }
      return o;
    }
  }
}

const validRequestShape = (conv: string, pool: string) => ({
  conversation_id: conv,
  sequence_number: 1,
  agent_id: "a",
  pool,
  model: { provider: "simulated", model: "simulated-1", options: {} },
  story: { title: "t", setting: "s", characters: [{ name: "A", role: "r" }, { name: "B", role: "r" }], initial_situation: "i" },
  persona: { name: "A", role: "r", traits: ["x"], goals: ["g"], speaking_style: "s" },
  partner: { name: "B", role: "r", traits: ["x"], goals: ["g"], speaking_style: "s" },
  history: [],
  turn: { number: 1, max: 2 },
  deadline_at: Date.now() + 60_000,
  max_message_chars: 100,
  token_stream_maxlen: 10,
  requested_at: Date.now(),
});

describe("fuzzed payloads", () => {
  it("every malformed job fails with a reason and no process dies", async () => {
    const prefix = freshPrefix();
    const keys = new Keys(prefix);
    const env = cliEnv(testRedisUrl());
    const pool = "fuzz";
    await redis.sadd(keys.pools(), pool);
    const manager = startCli(["manager", "--prefix", prefix], env);
    const worker = startCli(["worker", "--pool", pool, "--prefix", prefix], env);
    await waitFor("processes ready", async () => /ready/.test(manager.err()) && /ready/.test(worker.err()), 20_000);

    const conn = { connection: redis, prefix: keys.poolPrefix(pool) };
    const queues = {
      requests: new Queue(keys.requestQueue(pool), conn),
      responses: new Queue(keys.responseQueue(pool), conn),
      control: new Queue(keys.controlQueue(), { connection: redis, prefix: keys.controlPrefix() }),
    };
    const r = mulberry32(20261121);
    const payloads: Array<[keyof typeof queues, unknown]> = [];
    for (let i = 0; i < 240; i++) {
      payloads.push([(["requests", "responses", "control"] as const)[i % 3]!, randomValue(r)]);
    }
    const huge = "é".repeat(300_000);
    payloads.push(
      ["requests", { ...validRequestShape("no-such-conversation", pool) }],
      ["requests", { ...validRequestShape("c1", pool), history: [{ agent_id: "a", speaker: "A", text: huge }] }],
      ["requests", { ...validRequestShape("c1", pool), sequence_number: "1" }],
      ["requests", { ...validRequestShape("c:1", pool) }],
      ["responses", { ok: true, message: { message_id: "x" } }],
      ["responses", { ok: false, conversation_id: "no-such-conversation", sequence_number: 1, agent_id: "a", error: "boom" }],
      ["responses", { ok: false, conversation_id: "c1", sequence_number: 1, agent_id: "a", error: huge }],
      ["control", { type: "start", conversation_id: "no-such-conversation" }],
      ["control", { type: "finalize", conversation_id: "no-such-conversation", reason: "because" }],
      ["control", { type: "explode" }],
      ["control", huge],
      ["requests", [1, 2, 3]],
    );
    for (const [i, [q, data]] of payloads.entries()) {
      await queues[q].add(`fuzz-${i}`, data as object, { attempts: 1, removeOnComplete: false, removeOnFail: false });
    }

    const total = payloads.length;
    await waitFor(
      "every fuzz job to end",
      async () => {
        const counts = await Promise.all(Object.values(queues).map((q) => q.getJobCounts("failed", "completed", "waiting", "active", "delayed")));
        return counts.reduce((n, c) => n + (c.failed ?? 0) + (c.completed ?? 0), 0) >= total;
      },
      60_000,
      200,
    );
    const failed = (await Promise.all(Object.values(queues).map((q) => q.getFailed(0, -1)))).flat();
    const completed = (await Promise.all(Object.values(queues).map((q) => q.getCompleted(0, -1)))).flat();
    expect(completed.map((j) => j.name)).toEqual([]);
    expect(failed).toHaveLength(total);
    for (const job of failed) {
      expect(job.failedReason, job.name).toMatch(/invalid|unknown conversation/);
      expect(job.failedReason.length).toBeLessThan(2000);
    }
    expect(manager.exitCode).toBeNull();
    expect(worker.exitCode).toBeNull();

    // still healthy: a normal conversation through the same processes (pool = agent id)
    const w2 = startCli(["worker", "--pool", "traveller", "--prefix", prefix], env);
    const w3 = startCli(["worker", "--pool", "local", "--prefix", prefix], env);
    await waitFor("more workers ready", async () => /ready/.test(w2.err()) && /ready/.test(w3.err()), 20_000);
    const run = await runCli(["run", "--no-spawn", "--provider", "simulated", "--max-turns", "2", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=0", "--set", "simulated.time_to_first_token_ms=0"], env);
    expect(run.code, run.stderr).toBe(0);
    const id = (await new Store(redis, prefix).listIds())[0]!;
    expect((await new Store(redis, prefix).get(id))?.stop_reason).toBe("max_turns");

    for (const q of Object.values(queues)) await q.close();
    for (const p of [manager, worker, w2, w3]) p.kill("SIGTERM");
    await Promise.all([manager, worker, w2, w3].map((p) => exited(p, 15_000)));
  }, 120_000);
});
