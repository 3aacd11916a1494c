/**
 * inOneWrite (src/redis/cluster.ts): what a turn sends last — a choice and its request, a turn's
 * last tokens and its response — goes out in one write. Redis must still run every command, in
 * the order issued, and each caller gets its own answer; the connection writes normally after.
 */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { load } from "../../src/config/load.js";
import { Queues } from "../../src/queues/index.js";
import { inOneWrite } from "../../src/redis/cluster.js";
import { freshPrefix, withRedis } from "../helpers/redis.js";

let redis: Redis;
beforeAll(async () => {
  redis = await withRedis();
});
afterAll(async () => {
  await redis.quit();
});

describe("inOneWrite", () => {
  it("runs the commands issued inside it (a BullMQ add among them) in order, each with its answer, and leaves the connection as it was", async () => {
    const conn = redis.duplicate();
    const prefix = freshPrefix();
    const queues = new Queues(conn, prefix, load({ env: {} }).config!.queues);
    try {
      await conn.ping(); // ready
      await queues.requests("p").waitUntilReady();
      const key = `${prefix}:order`;
      const [a, job, b] = await inOneWrite(conn, () =>
        Promise.all([conn.rpush(key, "first"), queues.requests("p").add("turn", { n: 1 }, { jobId: "x.1" }), conn.rpush(key, "second")]),
      );
      expect([a, b]).toEqual([1, 2]);
      expect(job.id).toBe("x.1");
      expect(await conn.lrange(key, 0, -1)).toEqual(["first", "second"]);
      expect((await queues.requests("p").getJob("x.1"))?.data).toEqual({ n: 1 });
      expect(conn.stream.writableCorked).toBe(0);
      expect(await conn.ping()).toBe("PONG");
    } finally {
      await queues.close();
      conn.disconnect();
    }
  });
});
