/**
 * `dialogue watch` and `dialogue replay` as separate processes reading only Redis, outside a
 * terminal (plain text and JSON lines): a watcher attached to a live run sees its messages as they
 * are recorded and the end; a finished run is shown whole; a replay carries the retained token
 * chunks before each message; bad ids and speeds are one-line errors with the right exit codes.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isFinal } from "../../src/protocol/record.js";
import { Store } from "../../src/redis/store.js";
import { cliEnv, exited, runCli, startCli, waitFor } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

describe("dialogue watch", () => {
  it("attached to a live run, prints each message as it is recorded, then the summary", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const env = cliEnv(testRedisUrl());
    const run = startCli(["run", "--provider", "simulated", "--max-turns", "3", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=40"], env);
    const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
    const watch = startCli(["watch", id, "--prefix", prefix], env);
    await waitFor("the first message in the watcher", async () => watch.out().includes("[1] "), 30_000, 20);
    expect(isFinal((await store.get(id))!.status)).toBe(false); // it was live
    const { code } = await exited(watch, 30_000);
    expect(code).toBe(0);
    expect((await exited(run, 30_000)).code).toBe(0);
    const out = watch.out();
    for (const m of await store.readLog(id)) expect(out).toContain(m.content.message.slice(0, 50));
    expect(out).toContain("Ended: completed (max_turns) · 3 turns");
    expect(out).not.toContain("\u001b"); // not a terminal: plain text
  }, 60_000);

  it("shows a finished run whole; unknown and malformed ids are one-line errors (exit 3, 2)", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const ran = await runCli(["run", "--provider", "simulated", "--max-turns", "2", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=300"], env);
    const id = (await new Store(redis, prefix).listIds())[0]!;
    const w = await runCli(["watch", id, "--prefix", prefix], env);
    expect(w.code).toBe(0);
    expect(w.stdout).toContain("[1] ");
    expect(w.stdout).toContain("[2] ");
    expect(w.stdout.slice(w.stdout.indexOf("Ended:"))).toBe(ran.stdout.slice(ran.stdout.indexOf("Ended:")));

    const unknown = await runCli(["watch", "20200101-000000-00000", "--prefix", prefix], env);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/^error: no conversation 20200101-000000-00000 under prefix "[^"]+"\nhint: see dialogue list/);
    const bad = await runCli(["watch", "../etc", "--prefix", prefix], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: "..\/etc" is not a conversation id\n/);
  }, 60_000);
});

describe("dialogue replay", () => {
  it("replays the retained token chunks before each message, and rejects bad speeds and ids", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    await runCli(["run", "--provider", "simulated", "--max-turns", "2", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=300"], env);
    const store = new Store(redis, prefix);
    const id = (await store.listIds())[0]!;
    const r = await runCli(["replay", id, "--speed", "0", "--json", "--tokens", "--prefix", prefix], env);
    expect(r.code).toBe(0);
    type Ev = { type: string; chunk?: { seq: number; text: string }; message?: { metadata: { sequence_number: number }; content: { message: string } } };
    const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Ev);
    expect(events[0]?.type).toBe("conversation");
    expect(events.at(-1)?.type).toBe("end");
    for (const seq of [1, 2]) {
      const at = events.findIndex((e) => e.type === "message" && e.message!.metadata.sequence_number === seq);
      const before = events.slice(0, at).filter((e) => e.type === "tokens" && e.chunk!.seq === seq);
      expect(before.length).toBeGreaterThan(3);
      expect((JSON.parse(before.map((e) => e.chunk!.text).join("")) as { message: string }).message).toBe(events[at]!.message!.content.message);
      expect(events.slice(at).some((e) => e.type === "tokens" && e.chunk!.seq === seq)).toBe(false);
    }

    for (const speed of ["-1", "fast"]) {
      const bad = await runCli(["replay", id, "--speed", speed, "--prefix", prefix], env);
      expect(bad.code, speed).toBe(2);
      expect(bad.stderr).toContain("--speed must be a number ≥ 0");
    }
    const unknown = await runCli(["replay", "20200101-000000-00000", "--prefix", prefix], env);
    expect(unknown.code).toBe(3);
  }, 60_000);
});
