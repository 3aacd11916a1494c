/**
 * Small truths a tester checked by hand: what `dialogue export` prints when its stdout is a file,
 * the hint under "conversation … disappeared", and what `dialogue run` says when it gives up on a
 * child or is sent SIGTERM.
 */
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExportSchema } from "../../src/analysis/export-schema.js";
import { Store } from "../../src/redis/store.js";
import { makeMessage, makeRecord } from "../helpers/conversation.js";
import { BIN, childrenOf, cliEnv, exited, ROOT, startCli } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

let redis: Redis;
const dir = mkdtempSync(path.join(tmpdir(), "dialogue-small-"));
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

/** a finished run of `turns` messages under `prefix`, written straight into Redis */
async function recordedRun(prefix: string, turns: number): Promise<string> {
  const store = new Store(redis, prefix);
  const rec = makeRecord();
  const id = rec.spec.id;
  await store.create({ ...rec.spec, id, limits: { ...rec.spec.limits, max_turns: turns } });
  await store.setStory(id, rec.story!);
  await store.setPersonas(id, rec.personas!);
  await store.setFields(id, { status: "running", started_at: Date.now() });
  for (let seq = 1; seq <= turns; seq++) {
    const m = makeMessage(seq, `Message ${seq}: a point about rates and fees.`);
    await store.appendMessage({ ...m, metadata: { ...m.metadata, conversation_id: id } });
  }
  await store.finalize(id, "max_turns");
  return id;
}

/** the CLI with stdout redirected to `file` (as `> file` in a shell does); stderr collected */
function cliToFile(args: string[], file: string): Promise<{ code: number | null; stderr: string }> {
  const fd = openSync(file, "w");
  const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cliEnv(testRedisUrl()), stdio: ["ignore", fd, "pipe"] });
  closeSync(fd);
  let stderr = "";
  p.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return new Promise((resolve) => p.on("exit", (code) => resolve({ code, stderr })));
}

describe("dialogue export > file", () => {
  it("a 1,000-message export to a redirected stdout writes every message and nothing on stderr (no listener warning)", async () => {
    const prefix = freshPrefix();
    const id = await recordedRun(prefix, 1000);
    for (const format of ["json", "jsonl"]) {
      const file = path.join(dir, `run.${format}`);
      const r = await cliToFile(["export", id, "--format", format, "--prefix", prefix], file);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe("");
      const text = readFileSync(file, "utf8");
      if (format === "json") expect(ExportSchema.parse(JSON.parse(text)).messages).toHaveLength(1000);
      else expect(text.trim().split("\n")).toHaveLength(1002);
    }
  }, 60_000);
});

describe("a conversation that goes away while it is followed", () => {
  it("dialogue watch says it disappeared, with a hint naming the Redis and the two causes", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const rec = makeRecord();
    const id = rec.spec.id;
    await store.create({ ...rec.spec, id });
    await store.setFields(id, { status: "running", started_at: Date.now() });
    const watch = startCli(["watch", id, "--plain", "--prefix", prefix], cliEnv(testRedisUrl()));
    // the watch has found the run and follows it (it prints nothing before a story or a message)
    await new Promise((r) => setTimeout(r, 2000));
    expect(watch.exitCode).toBeNull();
    // what `dialogue purge` or a Redis restart without persistence leaves: nothing of the run
    await redis.del(...store.keys.conversationKeys(id));
    const { code } = await exited(watch, 20_000);
    expect(code).toBe(1);
    expect(watch.err()).toContain(`error: conversation ${id} disappeared`);
    expect(watch.err()).toMatch(/hint: Redis at redis:\/\/[^ ]+ \(prefix "t[0-9a-z]+"\) no longer has it: it was purged \(dialogue purge\), or Redis restarted without its data \(dialogue doctor checks persistence\)/);
  }, 40_000);
});

describe("dialogue run gives up on a child that keeps crashing", () => {
  it("a worker SIGKILLed again and again: 'giving up: killed by SIGKILL', and the record says so (not the worker's banner)", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const run = startCli(["run", "--provider", "simulated", "--duration", "120", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=20"], cliEnv(testRedisUrl()));
    // each worker of pool "local" is killed once it has said its banner (it connected to Redis)
    const killed = new Set<number>();
    const seen = new Map<number, number>();
    while (run.exitCode === null && run.signalCode === null) {
      for (const c of await childrenOf(run.pid!)) {
        if (!c.args.includes("--pool local") || killed.has(c.pid)) continue;
        const since = seen.get(c.pid) ?? Date.now();
        seen.set(c.pid, since);
        if (Date.now() - since < 600) continue;
        killed.add(c.pid);
        try {
          process.kill(c.pid, "SIGKILL");
        } catch {
          // gone already
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const { code } = await exited(run, 5000);
    expect(code, run.err()).toBe(1);
    expect(run.err()).toMatch(/worker local \(pid \d+\) exited \(SIGKILL\) after 10 restarts within a minute; giving up: killed by SIGKILL\n/);
    expect(run.err()).not.toMatch(/giving up: worker: Redis/);
    const id = (await store.listIds())[0]!;
    const rec = (await store.get(id))!;
    expect(rec.status).toBe("failed");
    expect(rec.error).toBe("worker local kept crashing: killed by SIGKILL");
  }, 90_000);
});

describe("run --no-spawn, SIGTERM with no manager alive", () => {
  it("says at once that it waits 15 s for a manager, then records the stop itself without the turn in flight, and exits 143", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    for (const k of ["OPENAI_BASE_URL", "OPENAI_API_KEY", "OLLAMA_HOST"]) delete env[k];
    const HB = ["--set", "presence.heartbeat_ms=300"];
    // slow turns: one is in flight when the manager dies
    const SLOW = ["--set", "simulated.tokens_per_second=5", "--set", "simulated.time_to_first_token_ms=50"];
    const procs = [startCli(["manager", "--prefix", prefix, ...HB], env), ...["traveller", "local"].map((pool) => startCli(["worker", "--pool", pool, "--prefix", prefix, ...HB, ...SLOW], env))];
    try {
      for (const p of procs) await waitForText(p, /ready/);
      const run = startCli(["run", "--no-spawn", "--provider", "simulated", "--duration", "120", "--plain", "--prefix", prefix, ...SLOW], env);
      const store = new Store(redis, prefix);
      const id = await poll(async () => (await store.listIds())[0]);
      await poll(async () => {
        const rec = await store.get(id);
        return rec && rec.pending_seq !== null && rec.pending_seq > rec.turns ? true : undefined;
      });
      procs[0]!.kill("SIGKILL");
      await exited(procs[0]!, 5000);
      run.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 1000));
      // said at once, not only after the 15 s
      expect(run.err()).toMatch(/SIGTERM: stopping the conversation \(a manager ends the run, keeping the turn in flight \(cut\); if none does within 15 s, this launcher records the stop itself, without the turn in flight, and exits 143\)/);
      const { code } = await exited(run, 30_000);
      expect(code).toBe(143);
      expect(run.err()).toMatch(/No manager ended the run within 15 s of SIGTERM: the launcher recorded it as stopped \(a turn in flight was not recorded\)/);
      const rec = (await store.get(id))!;
      expect(rec.status).toBe("stopped");
      expect(rec.stop_reason).toBe("user_stop");
    } finally {
      for (const p of procs) p.kill("SIGKILL");
    }
  }, 90_000);
});

async function poll<T>(fn: () => Promise<T | null | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== null && v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

const waitForText = (p: ReturnType<typeof startCli>, re: RegExp) => poll(async () => (re.test(p.err()) ? true : undefined));
