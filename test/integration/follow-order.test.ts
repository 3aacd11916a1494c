/**
 * follow() against a real Redis, in the order a reader needs: the story and personas are told
 * before turn 1 even when they and turn 1 are read in one batch; and an observer of whole messages
 * asked for `notices` is told a failed attempt of the turn in progress (the worker's notice in the
 * token stream), but not one of a turn already recorded.
 */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { follow, type ObserverEvent } from "../../src/observer/follow.js";
import { Store } from "../../src/redis/store.js";
import { ID, makeMessage, makeRecord } from "../helpers/conversation.js";
import { freshPrefix, withRedis } from "../helpers/redis.js";

let redis: Redis;
let store: Store;
beforeAll(async () => {
  redis = await withRedis();
  store = new Store(redis, freshPrefix());
});
afterAll(async () => {
  await redis.quit();
});

/** a run of ID with its spec only (no story, no personas yet), running */
async function bare(id: string): Promise<ReturnType<typeof makeRecord>> {
  const rec = makeRecord();
  await store.create({ ...rec.spec, id });
  await store.setFields(id, { status: "running", started_at: Date.now() });
  return rec;
}

const msg = (id: string, seq: number, text: string) => {
  const m = makeMessage(seq, text);
  return { ...m, message_id: `${id}.${seq}`, metadata: { ...m.metadata, conversation_id: id } };
};

/** what a reader was told, in order: "story", "personas", "message 1", "notice 2", "final" */
function told(events: ObserverEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.type === "record") {
      if (e.record.story && !e.previous?.story) out.push("story");
      if (e.record.personas && !e.previous?.personas) out.push("personas");
      if (["completed", "stopped", "failed"].includes(e.record.status) && e.previous?.status !== e.record.status) out.push("final");
    } else if (e.type === "message") out.push(`message ${e.message.metadata.sequence_number}`);
    else if (e.chunk.failed) out.push(`notice ${e.chunk.seq}`);
    else out.push(`tokens ${e.chunk.seq}`);
  }
  return out;
}

describe("follow", () => {
  for (const tokens of [false, true]) {
    it(`tells the story and personas before turn 1 when they come in one batch (${tokens ? "with" : "without"} token chunks)`, async () => {
      const id = `${ID.slice(0, -1)}${tokens ? "t" : "p"}`;
      const rec = await bare(id);
      const events: ObserverEvent[] = [];
      // a long block: the reader wakes for turn 1 only (not for a timeout between the writes)
      const following = follow(store, id, (e) => events.push(e), { tokens, pollMs: 3000 });
      // the reader holds the record without a story; then the story, the personas and turn 1 at once
      await new Promise((r) => setTimeout(r, 300));
      await Promise.all([store.setStoryAndPersonas(id, rec.story!, rec.personas!), store.appendMessage(msg(id, 1, "Good morning."))]);
      await new Promise((r) => setTimeout(r, 300));
      await store.finalize(id, "max_turns");
      await following;
      expect(told(events)).toEqual(["story", "personas", "message 1", "final"]);
    });
  }

  it("with notices, tells an observer of whole messages a failed attempt of the turn in progress, once, and not one of a turn recorded", async () => {
    const id = `${ID.slice(0, -1)}n`;
    const rec = await bare(id);
    await store.setStoryAndPersonas(id, rec.story!, rec.personas!);
    await store.appendMessage(msg(id, 1, "Good morning."));
    const failed = { cause: "rate_limited" as const, error: "429: too many requests", wait_ms: 2000 };
    // a notice of turn 1 (recorded since), and text of turn 2 that is no notice
    await store.publishTokens(id, { seq: 1, attempt: 1, agent_id: "a", text: "", tokens: 0, t: Date.now(), failed }, 5000);
    await store.publishTokens(id, { seq: 2, attempt: 1, agent_id: "b", text: '{"message": "Hel', tokens: 2, t: Date.now() }, 5000);
    const events: ObserverEvent[] = [];
    const following = follow(store, id, (e) => events.push(e), { notices: true, pollMs: 100 });
    await new Promise((r) => setTimeout(r, 400));
    await store.publishTokens(id, { seq: 2, attempt: 1, agent_id: "b", text: "", tokens: 0, t: Date.now(), failed }, 5000);
    // looked for at most once a second while no message comes
    await new Promise((r) => setTimeout(r, 2500));
    await store.appendMessage(msg(id, 2, "Hello."));
    await new Promise((r) => setTimeout(r, 300));
    await store.finalize(id, "max_turns");
    await following;
    expect(told(events)).toEqual(["story", "personas", "message 1", "notice 2", "message 2", "final"]);
    const notice = events.find((e) => e.type === "tokens");
    expect(notice).toMatchObject({ type: "tokens", chunk: { seq: 2, attempt: 1, agent_id: "b", failed } });
  });
});
