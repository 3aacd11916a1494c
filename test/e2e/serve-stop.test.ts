/**
 * Stopping a run from `dialogue serve`: POST /api/conversations/:id/stop of a run that had already
 * ended is a 409 saying how and when it ended, in one line (as `dialogue stop` says it), with
 * nothing written. `dialogue serve` and `dialogue run` run as separate processes against the test
 * Redis.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { cliEnv, runCli } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { startServe, type Served } from "../helpers/serve.js";

let redis: Redis;

beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

const stop = (served: Served, id: string) => served.api(`/api/conversations/${id}/stop`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });

describe("POST /api/conversations/:id/stop", () => {
  it("of a run that had already ended is a 409 saying how and when it ended, in one line, as dialogue stop says it; nothing is written", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const served = await startServe(prefix);
    const store = new Store(redis, prefix);
    try {
      const done = await runCli(["run", "--provider", "simulated", "--max-turns", "2", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=400"], env);
      expect(done.code, done.stderr).toBe(0);
      const id = (await store.listIds())[0]!;
      const before = (await store.get(id))!;
      expect(before.status).toBe("completed");
      const at = new Date(before.ended_at!).toISOString().replace("T", " ").slice(0, 19);

      const r = await stop(served, id);
      expect(r.status).toBe(409);
      const said = `${id} had already ended: completed (max_turns) at ${at} UTC`;
      expect(await r.json()).toEqual({ error: "conflict", message: said });
      // dialogue stop says the same
      const cli = await runCli(["stop", id, "--prefix", prefix], env);
      expect(cli.stdout.trim()).toBe(said);
      expect(await store.get(id)).toEqual(before);

      // without the token, a 401 still; a run that is not there, a 404
      expect((await served.api(`/api/conversations/${id}/stop`, { method: "POST", auth: false, headers: { "content-type": "application/json" }, body: "{}" })).status).toBe(401);
      expect((await stop(served, "20200101-000000-aaaaa")).status).toBe(404);

      // the OpenAPI document says so
      const doc = (await (await served.api("/api/openapi.json")).json()) as { paths: Record<string, { post: { responses: Record<string, unknown> } }> };
      expect(Object.keys(doc.paths["/api/conversations/{id}/stop"]!.post.responses)).toContain("409");
    } finally {
      await served.stop();
    }
  }, 90_000);
});
