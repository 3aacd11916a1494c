/**
 * A worker reads the run's status while the model already starts (src/worker/turn.ts). What a
 * turn of a run that has ended, or of no run at all, must still come to: no response, no token in
 * the stream, the job skipped (or failed for good) — and a run that goes on is answered as before.
 */
import type { Job, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { load } from "../../src/config/load.js";
import { buildSpec } from "../../src/manager/spec.js";
import { Queues } from "../../src/queues/index.js";
import { Store } from "../../src/redis/store.js";
import { chunkFromEntry } from "../../src/protocol/token-entry.js";
import { startWorker, type WorkerHandle } from "../../src/worker/process.js";
import { freshPrefix, withRedis } from "../helpers/redis.js";
import { leanRequest, maya, story, tomas } from "../helpers/turn-fixture.js";

const config = load({ env: {} }).config!;
let redis: Redis;
let store: Store;
let queues: Queues;
let worker: WorkerHandle;
let events: QueueEvents;
const prefix = freshPrefix();
// a slow simulated model: a turn would stream chunks for about a second if it were generated
const slow = { provider: "simulated" as const, model: "simulated-1", options: { tokens_per_second: 60, time_to_first_token_ms: 0 } };

beforeAll(async () => {
  redis = await withRedis();
  // what BullMQ's workers need of a connection (the product's connections have it too)
  const blocking = () => redis.duplicate({ maxRetriesPerRequest: null });
  store = new Store(redis, prefix);
  queues = new Queues(redis, prefix, config.queues);
  worker = await startWorker({ config: { ...config, redis: { ...config.redis, prefix } }, pool: "customer", concurrency: 2, redis: blocking(), log: pino({ level: "silent" }) });
  const { QueueEvents } = await import("bullmq");
  events = new QueueEvents(store.keys.requestQueue("customer"), { connection: blocking(), prefix: store.keys.poolPrefix("customer") });
  await events.waitUntilReady();
});
afterAll(async () => {
  await events?.close();
  await worker?.close();
  await queues.close();
  await redis.quit();
});

async function conversation(status: "running" | "stopped", fast = false): Promise<string> {
  const built = buildSpec(config, "simulated");
  const model = fast ? { ...slow, options: { tokens_per_second: 0, time_to_first_token_ms: 0 } } : slow;
  const spec = { ...built, agents: built.agents.map((a) => ({ ...a, pool: "customer", model })) };
  await store.create(spec);
  await store.setStory(spec.id, story);
  await store.setPersonas(spec.id, [maya, tomas]);
  await store.setFields(spec.id, { status: "running", started_at: Date.now() });
  if (status === "stopped") await store.finalize(spec.id, "user_stop");
  return spec.id;
}

async function settle(id: string, seq: number): Promise<Job> {
  const job = (await queues.requests("customer").getJob(store.keys.turnJobId(id, seq)))!;
  await job.waitUntilFinished(events).catch(() => undefined);
  return (await queues.requests("customer").getJob(store.keys.turnJobId(id, seq)))!;
}

describe("a worker's turn and the run's status", () => {
  it("a turn of a run that has ended is skipped: no response, no token chunk", async () => {
    const id = await conversation("stopped");
    await queues.addRequest(leanRequest({ conversation_id: id, agent_id: "traveller" }));
    const job = await settle(id, 1);
    expect(job.returnvalue).toEqual({ skipped: "conversation is stopped" });
    expect(await queues.responses("customer").getJob(store.keys.turnJobId(id, 1))).toBeUndefined();
    expect(await redis.xlen(store.keys.tokens(id))).toBe(0);
  });

  it("a turn of an unknown run fails for good: no response, no token chunk", async () => {
    const id = "20990101-000000-abcde";
    await queues.addRequest(leanRequest({ conversation_id: id, agent_id: "traveller" }));
    const job = await settle(id, 1);
    expect(job.failedReason).toMatch(/unknown conversation/);
    expect(job.attemptsMade).toBe(1);
    expect(await queues.responses("customer").getJob(store.keys.turnJobId(id, 1))).toBeUndefined();
    expect(await redis.xlen(store.keys.tokens(id))).toBe(0);
  });

  it("a turn whose run ends while it is generated is cut by the abort notice and skipped: no response", async () => {
    const id = await conversation("running");
    await queues.addRequest(leanRequest({ conversation_id: id, agent_id: "traveller" }));
    // the slow model streams: the turn is under way once its first chunk is in
    const until = Date.now() + 20_000;
    while ((await redis.xlen(store.keys.tokens(id))) === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await store.finalize(id, "user_stop");
    await redis.publish(store.keys.abortChannel(), JSON.stringify({ conversation_id: id, reason: "user_stop" }));
    const job = await settle(id, 1);
    expect(job.returnvalue).toEqual({ skipped: "conversation is stopped" });
    expect(await queues.responses("customer").getJob(store.keys.turnJobId(id, 1))).toBeUndefined();
  });

  it("a turn of a run that goes on is generated, streamed and answered; its last token chunk goes with the response", async () => {
    const id = await conversation("running", true);
    await queues.addRequest(leanRequest({ conversation_id: id, agent_id: "traveller", tail: true }));
    const job = await settle(id, 1);
    expect(job.returnvalue.sequence_number).toBe(1);
    const res = await queues.responses("customer").getJob(store.keys.turnJobId(id, 1));
    expect(res?.data.ok).toBe(true);
    // the zero-latency model's tokens come at once: the response carries them as the last chunk, for the manager to write with the message
    expect(res?.data.tail.tokens).toBeGreaterThan(0);
    expect(res?.data.tail.text.length).toBeGreaterThan(0);
    const written = (await redis.xrange(store.keys.tokens(id), "-", "+")).reduce((n, [, f]) => n + (chunkFromEntry(f)?.tokens ?? 0), 0);
    expect(written + res?.data.tail.tokens).toBe(res?.data.message.metadata.tokens_generated);
  });

  it("for a manager that does not write the last token chunk (a request without `tail`), the worker writes it, ahead of its response", async () => {
    const id = await conversation("running", true);
    await queues.addRequest(leanRequest({ conversation_id: id, agent_id: "traveller" }));
    await settle(id, 1);
    const res = await queues.responses("customer").getJob(store.keys.turnJobId(id, 1));
    expect(res?.data.ok).toBe(true);
    expect(res?.data.tail).toBeUndefined();
    const chunks = await redis.xrange(store.keys.tokens(id), "-", "+");
    expect(chunks.reduce((n, [, f]) => n + (chunkFromEntry(f)?.tokens ?? 0), 0)).toBe(res?.data.message.metadata.tokens_generated);
  });
});
