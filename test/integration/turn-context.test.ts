/**
 * What a worker reads for a turn (src/worker/turn-context.ts): the spec, story and personas once
 * per conversation, and the log's latest messages up to the request's position — after the first
 * turn only the entries it has not read yet. Whatever it held before, a turn's history is the one
 * a worker that never read the conversation gets.
 */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { TurnContextReader, type TurnContext } from "../../src/worker/turn-context.js";
import { makeMessage, makeRecord } from "../helpers/conversation.js";
import { freshPrefix, withRedis } from "../helpers/redis.js";
import { leanRequest } from "../helpers/turn-fixture.js";

let redis: Redis;
beforeAll(async () => {
  redis = await withRedis();
});
afterAll(async () => {
  await redis.quit();
});

/** a running conversation with `n` messages in its log (history_turns 40) */
async function conversation(n: number): Promise<{ store: Store; id: string }> {
  const store = new Store(redis, freshPrefix());
  const rec = makeRecord();
  const id = rec.spec.id;
  await store.create(rec.spec);
  await store.setStory(id, rec.story!);
  await store.setPersonas(id, rec.personas!);
  await store.setFields(id, { status: "running", started_at: Date.now() });
  for (let seq = 1; seq <= n; seq++) await store.appendMessage(makeMessage(seq, `Message number ${seq}, said in full.`));
  return { store, id };
}

/** the request for the turn after log position `position` (odd turns: customer, even: advisor) */
const requestAt = (id: string, position: number) =>
  leanRequest({ conversation_id: id, sequence_number: position + 1, agent_id: position % 2 === 0 ? "customer" : "advisor", pool: "p", log_position: position });

async function read(reader: TurnContextReader, id: string, position: number): Promise<TurnContext> {
  const ctx = await reader.read(requestAt(id, position));
  if ("status" in ctx) throw new Error(`no context: ${ctx.status}`);
  return ctx;
}

/** the log reads the reader asks for: the sequence number it reads after, or null for the latest messages */
function watchReads(store: Store): Array<number | null> {
  const seen: Array<number | null> = [];
  const real = store.turnSnapshot.bind(store);
  store.turnSnapshot = (id, position, count, statics, after = null) => {
    if (!statics) seen.push(after);
    return real(id, position, count, statics, after);
  };
  return seen;
}

const seqs = (ctx: TurnContext): number[] => ctx.history.map((h) => h.seq ?? 0);

describe("TurnContextReader", () => {
  it("after its first turn of a conversation, a worker reads only the new log entries, and its history is a fresh reader's", async () => {
    const { store, id } = await conversation(0);
    const reader = new TurnContextReader(store);
    const reads = watchReads(store);
    for (let position = 1; position <= 60; position++) {
      await store.appendMessage(makeMessage(position, `Message number ${position}, said in full.`));
      // this worker takes every other turn, as one of two agents' does
      if (position % 2 === 1) continue;
      const ctx = await read(reader, id, position);
      const fresh = await read(new TurnContextReader(store), id, position);
      expect(seqs(ctx)).toEqual(seqs(fresh));
      expect(ctx.history).toEqual(fresh.history);
      expect(seqs(ctx)).toEqual(Array.from({ length: Math.min(40, position) }, (_, i) => position - Math.min(40, position) + 1 + i));
    }
    // the first read took the latest messages; every later one, the two written since the last
    expect(reads.filter((_, i) => i % 2 === 0)).toEqual([null, ...Array.from({ length: 29 }, (_, i) => 2 * (i + 1))]);
  });

  it("a request from before what it holds, or further ahead than the history reaches, gets the latest messages again", async () => {
    const { store, id } = await conversation(120);
    const reader = new TurnContextReader(store);
    const reads = watchReads(store);
    expect(seqs(await read(reader, id, 20))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // a retried earlier turn
    expect(seqs(await read(reader, id, 10))).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    // 100 entries on: more than the 40 the history holds
    expect(seqs(await read(reader, id, 110))).toEqual(Array.from({ length: 40 }, (_, i) => 71 + i));
    expect(seqs(await read(reader, id, 112))).toEqual(Array.from({ length: 40 }, (_, i) => 73 + i));
    // the same position again (a retried job) reads nothing new
    expect(seqs(await read(reader, id, 112))).toEqual(Array.from({ length: 40 }, (_, i) => 73 + i));
    expect(reads).toEqual([null, null, null, 110, 112]);
  });
});
