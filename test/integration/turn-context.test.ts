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
import { heldUpTo, leanRequest } from "../helpers/turn-fixture.js";

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

  it("a request within what it holds is answered from it; one further ahead than the history reaches gets the latest messages again", async () => {
    const { store, id } = await conversation(120);
    const reader = new TurnContextReader(store);
    const reads = watchReads(store);
    expect(seqs(await read(reader, id, 20))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // a retried earlier turn: messages 1-10 are held, so nothing is read (its status is, meanwhile)
    const retried = await read(reader, id, 10);
    expect(seqs(retried)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(await retried.check).toBeNull();
    // 100 entries on: more than the 40 the history holds
    expect(seqs(await read(reader, id, 110))).toEqual(Array.from({ length: 40 }, (_, i) => 71 + i));
    expect(seqs(await read(reader, id, 112))).toEqual(Array.from({ length: 40 }, (_, i) => 73 + i));
    // the same position again (a retried job) reads nothing
    expect(seqs(await read(reader, id, 112))).toEqual(Array.from({ length: 40 }, (_, i) => 73 + i));
    expect(reads).toEqual([null, null, 110]);
  });
});

/** a reader that follows the log, having read the turns at positions 1 and 2 in a row (from then on it follows the conversation); `reads` as watchReads */
async function followingReader(store: Store, id: string): Promise<{ reader: TurnContextReader; reads: Array<number | null> }> {
  const reader = new TurnContextReader(store, { connect: () => redis.duplicate(), blockMs: 200 });
  const reads = watchReads(store);
  try {
    await read(reader, id, 1);
    await read(reader, id, 2);
  } catch (err) {
    reader.close();
    throw err;
  }
  return { reader, reads };
}

describe("TurnContextReader following the log", () => {
  it("follows no conversation whose turns it does not serve one after another", async () => {
    const store = new Store(redis, freshPrefix());
    const rec = makeRecord();
    const ids = ["20260101-000000-aaaaa", "20260101-000000-bbbbb"];
    const said = (id: string, seq: number) => {
      const m = makeMessage(seq, `Message number ${seq}.`);
      return { ...m, metadata: { ...m.metadata, conversation_id: id } };
    };
    for (const id of ids) {
      await store.create({ ...rec.spec, id });
      await store.setStory(id, rec.story!);
      await store.setPersonas(id, rec.personas!);
      await store.setFields(id, { status: "running", started_at: Date.now() });
      for (let seq = 1; seq <= 3; seq++) await store.appendMessage(said(id, seq));
    }
    const reader = new TurnContextReader(store, { connect: () => redis.duplicate(), blockMs: 200 });
    try {
      // turns of two conversations, one of each in turn: neither is followed
      for (const position of [1, 2, 3]) for (const id of ids) await read(reader, id, position);
      for (const id of ids) await store.appendMessage(said(id, 4));
      await new Promise((r) => setTimeout(r, 300));
      expect(ids.map((id) => reader.heldUpTo(id))).toEqual([3, 3]);
      // the same conversation twice in a row: it is
      const first = ids[0] as string;
      await read(reader, first, 4);
      await store.appendMessage(said(first, 5));
      await read(reader, first, 5);
      await store.appendMessage(said(first, 6));
      await heldUpTo(reader, first, 6);
    } finally {
      reader.close();
    }
  });

  it("reads what is said after its turn as it is recorded: the next turn reads no log, has a fresh reader's history, and learns the status meanwhile", async () => {
    const { store, id } = await conversation(2);
    const { reader, reads } = await followingReader(store, id);
    try {
      for (let position = 3; position <= 9; position += 2) {
        // the other agent's turn and this one's are recorded (by the manager) while this worker waits
        await store.appendMessage(makeMessage(position, `Message number ${position}, said in full.`));
        await store.appendMessage(makeMessage(position + 1, `Message number ${position + 1}, said in full.`));
        await heldUpTo(reader, id, position + 1);
        const ctx = await read(reader, id, position + 1);
        const fresh = await read(new TurnContextReader(store), id, position + 1);
        expect(ctx.history).toEqual(fresh.history);
        expect(seqs(ctx)).toEqual(Array.from({ length: position + 1 }, (_, i) => i + 1));
        expect(await ctx.check).toBeNull();
      }
      // only the first two turns read the log; the other four reads are the fresh readers'
      expect(reads).toEqual([null, 1, null, null, null, null]);

      // the run ends: a turn read from the copy is told so by its check
      await store.finalize(id, "user_stop");
      await store.appendMessage(makeMessage(11, "Said as the run ended."));
      await heldUpTo(reader, id, 11);
      const late = await read(reader, id, 11);
      expect(await late.check).toEqual({ status: "stopped" });
    } finally {
      reader.close();
    }
  });

  it("a copy that falls short of the request's position (the follower was not there) is not used: the log is read", async () => {
    const { store, id } = await conversation(2);
    const { reader, reads } = await followingReader(store, id);
    try {
      reader.close(); // stops following
      for (let seq = 3; seq <= 6; seq++) await store.appendMessage(makeMessage(seq, `Message number ${seq}, said in full.`));
      const ctx = await read(reader, id, 6);
      expect(seqs(ctx)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(ctx.check).toBeNull();
      expect(reads).toEqual([null, 1, 2]);
    } finally {
      reader.close();
    }
  });
});
