/**
 * A worker that serves a conversation turn after turn follows its log (src/worker/follow.ts), so
 * its next turn there starts with the history at hand and reads the run's status while it generates
 * (src/worker/turn.ts). Two workers take turns as two agents' would; the manager's part (recording
 * each response) is done by the test with the store's own append. What must hold on that path:
 * the turn's prompt has the messages said since, read from no log; a turn of a run that ended
 * meanwhile is still skipped, with no response and no token chunk.
 */
import type { Job } from "bullmq";
import type { Redis } from "ioredis";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { load } from "../../src/config/load.js";
import { ProviderRegistry } from "../../src/llm/index.js";
import { buildSpec } from "../../src/manager/spec.js";
import { TurnResponseSchema } from "../../src/protocol/schemas.js";
import { Queues } from "../../src/queues/index.js";
import { Store } from "../../src/redis/store.js";
import { TurnContextReader } from "../../src/worker/turn-context.js";
import { processTurn, type TurnDeps } from "../../src/worker/turn.js";
import { freshPrefix, withRedis } from "../helpers/redis.js";
import { heldUpTo, leanRequest, maya, story, tomas } from "../helpers/turn-fixture.js";

const config = load({ env: {} }).config!;
const prefix = freshPrefix();
let redis: Redis;
let queues: Queues;
const readers: TurnContextReader[] = [];
const providers = new ProviderRegistry(config);
const fast = { provider: "simulated" as const, model: "simulated-1", options: { tokens_per_second: 0, time_to_first_token_ms: 0 } };

beforeAll(async () => {
  redis = await withRedis();
  queues = new Queues(redis, prefix, config.queues);
});
afterAll(async () => {
  for (const r of readers) r.close();
  await queues.close();
  await providers.close();
  await redis.quit();
});

/** one worker: its own store (so its log reads can be counted) and a reader that follows */
function worker(): { deps: TurnDeps; snapshots: () => number; reader: TurnContextReader } {
  const store = new Store(redis, prefix);
  let n = 0;
  const real = store.turnSnapshot.bind(store);
  store.turnSnapshot = (...args) => {
    if (!args[3]) n++; // not the first read of the conversation's spec, story and personas
    return real(...args);
  };
  const reader = new TurnContextReader(store, { connect: () => redis.duplicate(), blockMs: 200 });
  readers.push(reader);
  return { deps: { store, context: reader, queues, providers, log: pino({ level: "silent" }), track: () => () => undefined }, snapshots: () => n, reader };
}

async function conversation(store: Store): Promise<string> {
  const built = buildSpec(config, "simulated");
  const spec = { ...built, agents: built.agents.map((a) => ({ ...a, pool: "shared", model: fast })) };
  await store.create(spec);
  await store.setStory(spec.id, story);
  await store.setPersonas(spec.id, [maya, tomas]);
  await store.setFields(spec.id, { status: "running", started_at: Date.now() });
  return spec.id;
}

/** turn `seq` of `id`, requested as the manager does and taken by `w` */
async function turn(w: ReturnType<typeof worker>, id: string, seq: number): Promise<unknown> {
  const agent = seq % 2 === 1 ? "traveller" : "local";
  await queues.addRequest(leanRequest({ conversation_id: id, sequence_number: seq, agent_id: agent, pool: "shared", log_position: seq - 1, tail: true }));
  const job = (await queues.requests("shared").getJob(w.deps.store.keys.turnJobId(id, seq))) as Job;
  return processTurn(w.deps, job);
}

/** the manager's part: the turn's response recorded in the log, with the last token chunk it carries */
async function record(store: Store, id: string, seq: number): Promise<void> {
  const job = await queues.responses("shared").getJob(store.keys.turnJobId(id, seq));
  const res = TurnResponseSchema.parse(job?.data);
  if (!res.ok) throw new Error(`turn ${seq} failed: ${res.error}`);
  expect((await store.appendNext(res.message, res.tail ? { chunk: res.tail, maxlen: 5000 } : undefined)).result).toBe("added");
}

const tokenSeqs = async (store: Store, id: string): Promise<number[]> =>
  (await redis.xrange(store.keys.tokens(id), "-", "+")).map(([, f]) => Number(f[f.indexOf("s") + 1]));

describe("a worker following its conversation's log", () => {
  it("from its third turn on it reads no log: the prompt holds the messages said since, the reply is streamed and answered", async () => {
    const a = worker();
    const b = worker();
    const store = a.deps.store;
    const id = await conversation(store);
    for (let seq = 1; seq <= 8; seq++) {
      const w = seq % 2 === 1 ? a : b;
      // from its second turn of the conversation on, a worker follows it
      if (seq > 4) await heldUpTo(w.reader, id, seq - 1);
      expect(await turn(w, id, seq)).toMatchObject({ sequence_number: seq, failed: false });
      await record(store, id, seq);
    }
    // each worker read the log for its first two turns only
    expect([a.snapshots(), b.snapshots()]).toEqual([2, 2]);
    const log = await store.readLog(id);
    expect(log.map((m) => m.metadata.sequence_number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // the prompt of turn 5 held turns 1-4, the one of turn 6 turns 1-5
    expect(log[4]?.metadata.prompt_turns).toEqual({ first: 1, last: 4, count: 4 });
    expect(log[5]?.metadata.prompt_turns).toEqual({ first: 1, last: 5, count: 5 });
    expect(log[7]?.metadata.prompt_turns).toEqual({ first: 1, last: 7, count: 7 });
    expect(new Set(await tokenSeqs(store, id))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8]));
  });

  it("a turn of a run that ended while it waited is skipped even so: no response, no token chunk", async () => {
    const a = worker();
    const b = worker();
    const store = a.deps.store;
    const id = await conversation(store);
    for (let seq = 1; seq <= 4; seq++) {
      expect(await turn(seq % 2 === 1 ? a : b, id, seq)).toMatchObject({ sequence_number: seq });
      await record(store, id, seq);
    }
    await heldUpTo(a.reader, id, 4);
    await store.finalize(id, "user_stop");
    expect(await turn(a, id, 5)).toEqual({ skipped: "conversation is stopped" });
    expect(a.snapshots()).toBe(2);
    expect(await queues.responses("shared").getJob(store.keys.turnJobId(id, 5))).toBeUndefined();
    expect(await tokenSeqs(store, id)).not.toContain(5);
  });
});
