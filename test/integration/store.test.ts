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
    failed: false,
    metadata: {
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
