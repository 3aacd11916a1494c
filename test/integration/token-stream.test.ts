/**
 * The token stream against a real Redis: chunks written by the store (field by field) come back
 * whole to replay (readTokens) and to a live observer (follow); entries of older runs (one JSON
 * field `c`) still read; malformed entries are skipped, never fatal; and the field-by-field
 * encoding takes less room than the JSON one for the same chunks.
 */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { load } from "../../src/config/load.js";
import { buildSpec } from "../../src/manager/spec.js";
import { follow } from "../../src/observer/follow.js";
import { readTokens } from "../../src/observer/replay.js";
import type { TokenChunk } from "../../src/protocol/schemas.js";
import { chunkFromEntry, tokenEntryFields } from "../../src/protocol/token-entry.js";
import { Store } from "../../src/redis/store.js";
import { freshPrefix, withRedis } from "../helpers/redis.js";

const config = load({ env: {} }).config!;
let redis: Redis;
let store: Store;

beforeAll(async () => {
  redis = await withRedis();
  store = new Store(redis, freshPrefix());
});
afterAll(async () => {
  await redis.quit();
});

const chunk = (seq: number, i: number, text: string): TokenChunk => ({ seq, attempt: 1, agent_id: seq % 2 ? "customer" : "advisor", text, tokens: 2, t: 1_763_700_000_000 + seq * 1000 + i * 33 });

async function newRun(): Promise<string> {
  const spec = buildSpec(config, "simulated");
  await store.create(spec);
  return spec.id;
}

describe("the token stream", () => {
  it("gives back every chunk as written, in order, with Unicode and JSON-looking text intact", async () => {
    const id = await newRun();
    const written = [chunk(1, 0, '{"message": "Bonjour, '), chunk(1, 1, "naïve 🙂 \\\"quoted\\\""), chunk(1, 2, '", "end_conversation": false}'), chunk(2, 0, "")];
    for (const c of written) await store.publishTokens(id, c, 5000);
    expect(await readTokens(store, id)).toEqual(written);
  });

  it("reads entries written by earlier versions (one JSON field) beside new ones", async () => {
    const id = await newRun();
    const old = chunk(1, 0, "from an older run");
    await redis.xadd(store.keys.tokens(id), "*", "c", JSON.stringify(old));
    const now = chunk(2, 0, "from this version");
    await store.publishTokens(id, now, 5000);
    expect(await readTokens(store, id)).toEqual([old, now]);
  });

  it("skips malformed entries in replay and in a live observer, and keeps the good ones", async () => {
    const id = await newRun();
    const key = store.keys.tokens(id);
    const good1 = chunk(1, 0, "first");
    const good2 = chunk(1, 1, " second");
    await store.publishTokens(id, good1, 5000);
    await redis.xadd(key, "*", "c", "{not json");
    await redis.xadd(key, "*", "s", "1e3", "a", "1", "g", "customer", "x", "exponent", "n", "1", "t", "5");
    await redis.xadd(key, "*", "s", "1", "a", "1", "g", "customer", "x", "no token count", "t", "5");
    await redis.xadd(key, "*", "junk", "x");
    await store.publishTokens(id, good2, 5000);
    expect(await readTokens(store, id)).toEqual([good1, good2]);

    await store.finalize(id, "user_stop");
    const seen: TokenChunk[] = [];
    const final = await follow(store, id, (e) => (e.type === "tokens" ? seen.push(e.chunk) : undefined), { tokens: true, pollMs: 50, graceMs: 300 });
    expect(final.status).toBe("stopped");
    expect(seen).toEqual([good1, good2]);
  });

  it("validates before it writes: a chunk that breaks the schema is refused, nothing is added", async () => {
    const id = await newRun();
    await expect(store.publishTokens(id, { ...chunk(1, 0, "x"), seq: 0 }, 5000)).rejects.toThrow();
    expect(await redis.xlen(store.keys.tokens(id))).toBe(0);
    expect(chunkFromEntry(tokenEntryFields(chunk(3, 1, "round trip")))).toEqual(chunk(3, 1, "round trip"));
  });

  it("takes less room than one JSON field per chunk, over ten messages' worth of chunks", async () => {
    const fields = await newRun();
    const json = await newRun();
    const words = "Thanks for walking me through the numbers, I would like to see the fixed option first.".split(" ");
    for (let seq = 1; seq <= 10; seq++) {
      for (const [i, w] of words.entries()) {
        const c = chunk(seq, i, `${w} `);
        await store.publishTokens(fields, c, 5000);
        await redis.xadd(store.keys.tokens(json), "*", "c", JSON.stringify(c));
      }
    }
    const size = async (id: string) => Number(await redis.call("MEMORY", "USAGE", store.keys.tokens(id), "SAMPLES", "0"));
    const [a, b] = [await size(fields), await size(json)];
    expect(a).toBeLessThan(b * 0.75);
  });
});
