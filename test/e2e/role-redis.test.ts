/**
 * `dialogue manager` and `dialogue worker` never serve a private Redis without a word: with no
 * REDIS_URL and nothing on 127.0.0.1:6379 they refuse to start a managed redis-server (exit 1,
 * one line saying what to set), use one that already runs, and start one only with
 * --managed-redis; either way their first line names the Redis they use.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pingPort } from "../../src/redis/connect.js";
import { cliEnv, exited, runCli, startCli, waitFor } from "../helpers/cli.js";
import { getFreePort } from "../helpers/redis-server.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "dialogue-role-redis-"));
const started: NodeJS.ProcessEnv[] = [];
afterAll(async () => {
  // every managed redis-server this file started is shut down
  for (const env of started) await runCli(["redis", "stop"], env);
  rmSync(tmp, { recursive: true, force: true });
});

/** no REDIS_URL, a managed port nobody uses, a data dir of its own */
async function noRedisEnv(name: string): Promise<NodeJS.ProcessEnv> {
  const env = cliEnv("", { DIALOGUE_REDIS_PORT: String(await getFreePort()), DIALOGUE_REDIS_DATA_DIR: path.join(tmp, name, "redis") });
  delete env.REDIS_URL;
  return env;
}

describe.skipIf(await pingPort("127.0.0.1", 6379))("a manager or worker with no Redis configured (nothing on 127.0.0.1:6379)", () => {
  it("refuses to start a private managed Redis: exit 1, one line saying what to set, nothing started", async () => {
    const env = await noRedisEnv("refuse");
    for (const args of [["worker", "--pool", "local"], ["manager"]]) {
      const r = await runCli(args, env, 20_000);
      expect(r.code).toBe(1);
      const role = args[0];
      expect(r.stderr).toMatch(new RegExp(`^error: ${role}: no Redis to join — REDIS_URL is not set, nothing answers on 127\\.0\\.0\\.1:6379, and no managed redis-server runs on port \\d+; it does not start a private Redis of its own`));
      expect(r.stderr).toMatch(/^hint: set REDIS_URL \(or --redis-url\) to the Redis your other processes use; for a managed local one, start it with `dialogue redis start` or pass --managed-redis$/m);
      expect(r.stderr.trim().split("\n")).toHaveLength(2);
    }
    expect(await pingPort("127.0.0.1", Number(env.DIALOGUE_REDIS_PORT))).toBe(false);
    expect(existsSync(path.join(String(env.DIALOGUE_REDIS_DATA_DIR), "managed.json"))).toBe(false);
  }, 60_000);

  it("uses a managed Redis that already runs, and starts one with --managed-redis; the first line says which", async () => {
    const env = await noRedisEnv("use");
    started.push(env);
    const port = env.DIALOGUE_REDIS_PORT;
    const worker = startCli(["worker", "--pool", "local", "--managed-redis"], env);
    await waitFor("the worker ready", async () => /ready/.test(worker.err()), 20_000);
    expect(worker.err().split("\n")[0]).toMatch(new RegExp(`^worker: Redis redis://127\\.0\\.0\\.1:${port} \\(managed redis-server, started now; data in .*\\) · prefix "dialogue" · host \\S+ · pid ${worker.pid}$`));
    const manager = startCli(["manager"], env);
    await waitFor("the manager ready", async () => /ready/.test(manager.err()), 20_000);
    expect(manager.err().split("\n")[0]).toMatch(new RegExp(`^manager: Redis redis://127\\.0\\.0\\.1:${port} \\(managed redis-server; data in .*\\) · prefix "dialogue"`));
    for (const p of [worker, manager]) p.kill("SIGTERM");
    await Promise.all([worker, manager].map((p) => exited(p, 15_000)));
  }, 60_000);
});
