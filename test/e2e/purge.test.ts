/**
 * `dialogue purge`: asks first on a terminal (a real pseudo-terminal, through `script`), refuses
 * without --yes when stdin is not one, removes finished runs by id or by age, never a running one.
 */
import { spawn, spawnSync } from "node:child_process";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { BIN, cliEnv, ROOT } from "../helpers/cli.js";
import { loadFixture } from "../helpers/fixtures.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { cli } from "../helpers/runs.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

/** a finished run created `ageMs` ago, straight into the store (the fixture's messages) */
async function seed(store: Store, id: string, ageMs: number, status: "finished" | "running" = "finished"): Promise<void> {
  const fx = loadFixture("healthy");
  await store.create({ ...fx.record.spec, id, created_at: Date.now() - ageMs });
  for (const m of fx.messages) await store.appendMessage({ ...m, metadata: { ...m.metadata, conversation_id: id } });
  if (status === "finished") await store.finalize(id, "max_turns");
  else await store.setFields(id, { status: "running" });
}

const hasScript = spawnSync("sh", ["-c", "command -v script"]).status === 0;

/** the CLI on a pseudo-terminal, answering `answer` to its question */
function onTerminal(args: string[], answer: string): Promise<{ code: number | null; out: string }> {
  const cmd = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const p = spawn("script", ["-qec", cmd, "/dev/null"], { cwd: ROOT, env: cliEnv(testRedisUrl()), stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let answered = false;
  p.stdout.setEncoding("utf8").on("data", (d: string) => {
    out += d;
    if (!answered && out.includes("[y/N]")) {
      answered = true;
      p.stdin.write(`${answer}\n`);
    }
  });
  return new Promise((resolve) => p.on("exit", (code) => resolve({ code, out })));
}

describe("dialogue purge", () => {
  it("refuses without --yes when stdin is not a terminal: one line, exit 2, nothing deleted", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    await seed(store, "keep-1", 1000);
    const r = await cli(prefix, ["purge", "keep-1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: purge deletes runs and stdin is not a terminal to ask on\nhint: add --yes to purge without asking\n");
    expect(await store.get("keep-1")).not.toBeNull();
  });

  it.skipIf(!hasScript)("asks on a terminal: no keeps the run, yes removes it", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    await seed(store, "ask-1", 1000);
    const no = await onTerminal(["purge", "ask-1", "--prefix", prefix], "n");
    expect(no.out).toContain('Purge 1 conversation under prefix');
    expect(no.out).toContain("nothing purged");
    expect(await store.get("ask-1")).not.toBeNull();
    const yes = await onTerminal(["purge", "ask-1", "--prefix", prefix], "y");
    expect(yes.code).toBe(0);
    expect(yes.out).toContain(`purged 1 conversation under prefix "${prefix}"`);
    expect(await store.get("ask-1")).toBeNull();
  });

  it("--yes removes the named runs: record, log, analysis and index entry", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    await seed(store, "gone-1", 1000);
    await seed(store, "stays-1", 1000);
    await cli(prefix, ["analyze", "gone-1"]);
    expect(await redis.exists(store.keys.analysis("gone-1"))).toBe(1);
    const r = await cli(prefix, ["purge", "gone-1", "--yes"]);
    expect(r.code, r.stderr).toBe(0);
    for (const k of store.keys.conversationKeys("gone-1")) expect(await redis.exists(k)).toBe(0);
    expect(await store.listIds()).toEqual(["stays-1"]);
    const list = await cli(prefix, ["list"]);
    expect(list.stdout).not.toContain("gone-1");
    expect(list.stdout).toContain("stays-1");
  });

  it("removes every turn's jobs of a four-agent run in random order, whichever pool served each turn", async () => {
    const prefix = freshPrefix();
    const fast = ["--provider", "simulated", "--set", "simulated.tokens_per_second=0", "--set", "simulated.time_to_first_token_ms=0", "--set", "queues.keep_responses=true"];
    const run = await cli(prefix, ["run", "--scenario", "panel", "--turn-order", "random", "--max-turns", "9", "--seed", "3", "--json", ...fast], 60_000);
    expect(run.code, run.stderr).toBe(0);
    const [id] = await new Store(redis, prefix).listIds();
    const turnJobs = async () => (await redis.keys(`{${prefix}/*}:*:${id}.*`)).filter((k) => /\.\d+$/.test(k));
    // a request and a response for each of the 9 turns, in the pools of the agents who spoke
    expect(await turnJobs()).toHaveLength(18);
    const r = await cli(prefix, ["purge", id!, "--yes"]);
    expect(r.code, r.stderr).toBe(0);
    expect(await turnJobs()).toEqual([]);
  }, 90_000);

  it("--older-than removes finished runs created before then, and skips running ones", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    await seed(store, "old-1", 10 * 86_400_000);
    await seed(store, "old-2", 8 * 86_400_000);
    await seed(store, "old-running", 9 * 86_400_000, "running");
    await seed(store, "new-1", 60_000);
    const r = await cli(prefix, ["purge", "--older-than", "7d", "--yes"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("purged 2 conversations");
    expect(r.stderr).toContain("skipping 1 conversation still running (stop them first)");
    expect((await store.listIds()).sort()).toEqual(["new-1", "old-running"]);
  });

  it("bad input: unknown id 3, a running run 2, nothing to purge 2, a bad age 2", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    await seed(store, "live-1", 1000, "running");
    expect((await cli(prefix, ["purge", "20990101-000000-abcde", "--yes"])).code).toBe(3);
    const live = await cli(prefix, ["purge", "live-1", "--yes"]);
    expect(live.code).toBe(2);
    expect(live.stderr).toBe(`error: conversation live-1 is running; only finished runs are purged\nhint: stop it first: dialogue stop live-1 --prefix ${prefix}\n`);
    expect((await cli(prefix, ["purge", "--yes"])).code).toBe(2);
    const age = await cli(prefix, ["purge", "--older-than", "soon", "--yes"]);
    expect(age.code).toBe(2);
    expect(age.stderr).toMatch(/^error: --older-than "soon" is not an age\n/);
  });
});
