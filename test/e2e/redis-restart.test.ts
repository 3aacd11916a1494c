/**
 * A Redis restart (append-only file on) in the middle of a run: the processes reconnect, the run
 * goes on, and no recorded message is lost.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { cliEnv, exited, startCli, waitFor } from "../helpers/cli.js";
import { startTestRedis, type TestRedis } from "../helpers/redis-server.js";
import { freshPrefix } from "../helpers/redis.js";

let server: TestRedis;
beforeAll(async () => {
  server = await startTestRedis({ appendonly: true });
});
afterAll(async () => {
  await server.stop();
});

describe("Redis restart mid-run", () => {
  it("the run continues and no recorded message is lost", async () => {
    const prefix = freshPrefix();
    const TURNS = 8;
    const run = startCli(
      ["run", "--provider", "simulated", "--max-turns", String(TURNS), "--duration", "300", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=60"],
      cliEnv(server.url),
    );
    const client = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
    client.on("error", () => undefined);
    const store = new Store(client, prefix);
    const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
    await waitFor("three turns recorded", async () => ((await store.get(id))?.turns ?? 0) >= 3, 60_000);
    const before = await store.readLog(id);
    const pidBefore = server.pid();
    await server.restart();
    expect(server.pid()).not.toBe(pidBefore);

    const { code } = await exited(run, 120_000);
    const context = `stderr:\n${run.err()}\nstdout:\n${run.out().slice(-2000)}`;
    expect(code, context).toBe(0);
    const after = await store.readLog(id);
    // everything recorded before the restart is still there, unchanged
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.map((m) => m.metadata.sequence_number)).toEqual(Array.from({ length: TURNS }, (_, i) => i + 1));
    const rec = (await store.get(id))!;
    expect(rec.stop_reason).toBe("max_turns");
    client.disconnect();
  }, 180_000);
});

describe("Redis gone for good mid-run", () => {
  it("dialogue run gives up after the bounded wait with one line naming the URL, and leaves no children", async () => {
    const own = await startTestRedis({ appendonly: true });
    const prefix = freshPrefix();
    const run = startCli(
      ["run", "--provider", "simulated", "--max-turns", "50", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=30", "--set", "redis.unavailable_timeout_ms=2000"],
      cliEnv(own.url),
    );
    const client = new Redis(own.url);
    const store = new Store(client, prefix);
    const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
    await waitFor("a turn recorded", async () => ((await store.get(id))?.turns ?? 0) >= 1, 60_000);
    client.disconnect();
    const { childrenOf } = await import("../helpers/cli.js");
    const kids = (await childrenOf(run.pid!)).map((k) => k.pid);
    await own.stop();
    const t0 = Date.now();
    const { code } = await exited(run, 30_000);
    expect(code).toBe(1);
    expect(Date.now() - t0).toBeLessThan(12_000);
    expect(run.err()).toMatch(new RegExp(`error: lost Redis at redis://127\\.0\\.0\\.1:${own.port} for 2 s`));
    expect(run.err()).not.toMatch(/^\s+at /m);
    const { alive } = await import("../helpers/cli.js");
    await waitFor("children gone", async () => kids.every((p) => !alive(p)), 15_000);
  }, 120_000);
});
