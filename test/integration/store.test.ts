/**
 * The store against a real Redis: the append-once log that makes turns exactly-once, the
 * finalize-once status, and the index that list reads.
 */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { load } from "../../src/config/load.js";
import { buildSpec } from "../../src/manager/spec.js";
import type { DialogMessage } from "../../src/protocol/schemas.js";
import { Store } from "../../src/redis/store.js";
import { freshPrefix, withRedis } from "../helpers/redis.js";

let redis: Redis;
beforeAll(async () => {
  redis = await withRedis();
});
afterAll(async () => {
  await redis.quit();
});

const config = load({ env: {} }).config!;

function message(id: string, seq: number, tokens = 10): DialogMessage {
  return {
    message_id: `${id}.${seq}`,
    queue_timestamp: Date.now(),
    role: "tester",
    speaker: "Tess",
    content: { message: `hello ${seq}`, references: [], end_conversation: false },
    cut: false,
    stalled: false,
    skipped: false,
    failed: false,
    metadata: {
      failed_attempts: [],
      source: "model",
      conversation_id: id,
      sequence_number: seq,
      agent_id: seq % 2 ? "a" : "b",
      provider: "simulated",
      model: "simulated-1",
      tokens_generated: tokens,
      prompt_tokens: 5,
      generation_time_ms: 100,
      time_to_first_token_ms: 10,
      tokens_per_second: 100,
      load_time_ms: 0,
      done_reason: "stop",
      worker: { host: "h", pid: 1 },
      attempt: 1,
      queue_wait_ms: 1,
      requested_at: 1,
      started_at: 2,
      finished_at: 3,
      truncated: false,
    },
  };
}

describe("Store", () => {
  it("records a message once, however often it is appended", async () => {
    const store = new Store(redis, freshPrefix());
    const spec = buildSpec(config, "simulated");
    await store.create(spec);
    expect(await store.appendMessage(message(spec.id, 1, 7))).toBe(true);
    expect(await store.appendMessage(message(spec.id, 1, 7))).toBe(false);
    expect(await store.appendMessage(message(spec.id, 2, 5))).toBe(true);
    // a retried earlier turn arriving late changes nothing
    expect(await store.appendMessage(message(spec.id, 1, 7))).toBe(false);
    const rec = (await store.get(spec.id))!;
    expect(rec.turns).toBe(2);
    expect(rec.tokens_total).toBe(12);
    expect((await store.readLog(spec.id)).map((m) => m.metadata.sequence_number)).toEqual([1, 2]);
    expect((await store.lastMessages(spec.id, 1)).map((m) => m.metadata.sequence_number)).toEqual([2]);
  });

  it("appendAndRead records the next message and reads the record, the latest messages and the remarks as they are after it: the first time on a connection, after Redis lost its scripts, and for a message already there or too early", async () => {
    const conn = redis.duplicate(); // a connection that has not run the append script yet
    try {
      const store = new Store(conn, freshPrefix());
      const spec = buildSpec(config, "simulated");
      await store.create(spec);
      const seqs = (ms: DialogMessage[]) => ms.map((m) => m.metadata.sequence_number);
      for (let seq = 1; seq <= 6; seq++) {
        if (seq === 5) await store.addRemark(spec.id, { nonce: "n1", text: "The lights go out.", said_at: Date.now(), via: "a test" });
        const r = await store.appendAndRead(message(spec.id, seq, 3), 4);
        expect(r.appended.result).toBe("added");
        expect(r.rec?.turns).toBe(seq);
        expect(r.rec?.tokens_total).toBe(3 * seq);
        expect(seqs(r.recent)).toEqual(Array.from({ length: Math.min(4, seq) }, (_, i) => seq - Math.min(4, seq) + 1 + i));
        expect(r.remarks).toBe(seq >= 5 ? 1 : 0);
      }
      // Redis forgets its scripts (a restart): the append goes again on its own, and the reads still see it
      await conn.script("FLUSH");
      const after = await store.appendAndRead(message(spec.id, 7, 3), 4);
      expect([after.appended.result, after.rec?.turns, seqs(after.recent)]).toEqual(["added", 7, [4, 5, 6, 7]]);
      const again = await store.appendAndRead(message(spec.id, 7, 3), 4);
      expect([again.appended.result, again.rec?.turns, seqs(again.recent)]).toEqual(["exists", 7, [4, 5, 6, 7]]);
      const early = await store.appendAndRead(message(spec.id, 9, 3), 4);
      expect([early.appended.result, early.rec?.turns, seqs(early.recent)]).toEqual(["early", 7, [4, 5, 6, 7]]);
      expect(seqs(await store.readLog(spec.id))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    } finally {
      conn.disconnect();
    }
  });

  it("sets the final status once; stopping keeps its reason", async () => {
    const store = new Store(redis, freshPrefix());
    const spec = buildSpec(config, "simulated");
    await store.create(spec);
    expect(await store.markStopping(spec.id, "user_stop")).toBe(true);
    expect(await store.markStopping(spec.id, "duration")).toBe(false);
    expect((await store.get(spec.id))!.stop_reason).toBe("user_stop");
    expect(await store.finalize(spec.id, "user_stop")).toBe(true);
    expect(await store.finalize(spec.id, "error", "late")).toBe(false);
    const rec = (await store.get(spec.id))!;
    expect(rec.status).toBe("stopped");
    expect(rec.stop_reason).toBe("user_stop");
    expect(rec.error).toBeNull();
    expect(rec.ended_at).toBeGreaterThan(0);
  });

  it("lists conversations newest first, and keeps prefixes apart", async () => {
    const p1 = new Store(redis, freshPrefix());
    const p2 = new Store(redis, freshPrefix());
    const a = { ...buildSpec(config, "simulated", "c-old"), created_at: 1000 };
    const b = { ...buildSpec(config, "simulated", "c-new"), created_at: 2000 };
    await p1.create(a);
    await p1.create(b);
    expect(await p1.listIds()).toEqual(["c-new", "c-old"]);
    expect(await p2.listIds()).toEqual([]);
    expect(await p2.get("c-new")).toBeNull();
  });

  it("keeps the configuration used, without secrets", async () => {
    const withSecret = load({ env: { OPENAI_API_KEY: "sk-test-SECRET", REDIS_URL: "redis://:hunter2@127.0.0.1:1/0" } }).config!;
    const store = new Store(redis, freshPrefix());
    const spec = buildSpec(withSecret, "simulated");
    await store.create(spec);
    const raw = JSON.stringify(await redis.hgetall(store.keys.record(spec.id)));
    expect(raw).not.toContain("sk-test-SECRET");
    expect(raw).not.toContain("hunter2");
  });
});

describe("outcomes that are true", () => {
  const failedTurn = (id: string, seq: number): DialogMessage => {
    const m = message(id, seq, 0);
    return { ...m, content: { ...m.content, message: "" }, failed: true, error: "the server failed", metadata: { ...m.metadata, done_reason: "error", failed_attempts: [{ attempt: 1, provider: "ollama", model: "m", cause: "server_error", error: "503", at: 1, retry_after_ms: null, wait_ms: null }] } };
  };

  it("counts each turn's outcome in the record as it is appended", async () => {
    const store = new Store(redis, freshPrefix());
    const spec = buildSpec(config, "simulated");
    await store.create(spec);
    const ok = message(spec.id, 1);
    const retried = { ...message(spec.id, 2), metadata: { ...message(spec.id, 2).metadata, attempt: 2, failed_attempts: failedTurn(spec.id, 2).metadata.failed_attempts } };
    const stalled = { ...message(spec.id, 3), cut: true, stalled: true };
    await store.appendNext(ok);
    await store.appendNext(retried);
    await store.appendNext(stalled);
    await store.appendNext(failedTurn(spec.id, 4));
    const rec = (await store.get(spec.id))!;
    expect({ turns: rec.turns, ok: rec.ok_turns, failed: rec.failed_turns, stalled: rec.stalled_turns, cut: rec.cut_turns, retried: rec.retried_turns }).toEqual({ turns: 4, ok: 2, failed: 1, stalled: 1, cut: 1, retried: 1 });
  });

  it("a run that would end completed with no turn that succeeded ends failed, saying why", async () => {
    const store = new Store(redis, freshPrefix());
    const none = buildSpec(config, "simulated");
    await store.create(none);
    await store.finalize(none.id, "duration");
    let rec = (await store.get(none.id))!;
    expect(rec.status).toBe("failed");
    expect(rec.stop_reason).toBe("duration");
    expect(rec.error).toBe("no turn was recorded before the run ended (duration)");

    const allFailed = buildSpec(config, "simulated");
    await store.create(allFailed);
    await store.appendNext(failedTurn(allFailed.id, 1));
    await store.finalize(allFailed.id, "max_turns");
    rec = (await store.get(allFailed.id))!;
    expect(rec.status).toBe("failed");
    expect(rec.error).toBe("no turn succeeded (1 turn: 1 failed) before the run ended (max_turns)");

    const fine = buildSpec(config, "simulated");
    await store.create(fine);
    await store.appendNext(message(fine.id, 1));
    await store.appendNext(failedTurn(fine.id, 2));
    await store.finalize(fine.id, "max_turns");
    expect((await store.get(fine.id))!.status).toBe("completed");
    // a user stop is what happened, whatever the turns
    const stopped = buildSpec(config, "simulated");
    await store.create(stopped);
    await store.finalize(stopped.id, "user_stop");
    expect((await store.get(stopped.id))!.status).toBe("stopped");
  });

  it("a run is abandoned only once its lease has run out (Redis' clock), then it leaves the active set", async () => {
    const store = new Store(redis, freshPrefix(), { leaseMs: 300 });
    const spec = buildSpec(config, "simulated");
    await store.create(spec); // the first lease is twice the lease time
    expect(await store.activeIds()).toEqual([spec.id]);
    expect(await store.abandonIfExpired(spec.id, "a test")).toBe(false);
    await new Promise((r) => setTimeout(r, 700));
    expect(await store.renewLease(spec.id)).toBe("pending"); // a live manager vouches for it again
    expect(await store.abandonIfExpired(spec.id, "a test")).toBe(false);
    await new Promise((r) => setTimeout(r, 400));
    expect(await store.abandonIfExpired(spec.id, "a test")).toBe(true);
    const rec = (await store.get(spec.id))!;
    expect(rec.status).toBe("failed");
    expect(rec.stop_reason).toBe("abandoned");
    expect(rec.error).toMatch(/no live manager renewed its lease.*noticed by a test/);
    expect(await store.activeIds()).toEqual([]);
    // final: neither abandoned again nor renewed
    expect(await store.abandonIfExpired(spec.id, "a test")).toBe(false);
    expect(await store.renewLease(spec.id)).toBe("failed");
  });
});
