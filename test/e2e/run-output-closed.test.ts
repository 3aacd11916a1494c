/**
 * `dialogue run … | head`: the reader of the launcher's output exits while the run goes on. The
 * run is stopped as by a first Ctrl-C — recorded `stopped (user_stop)`, said on stderr — and no
 * process it started outlives it. Before, the launcher exited 0 at once and silently, the run stayed
 * `running`, and a manager still starting was left orphaned, renewing the lease of every run.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { BIN, cliEnv, exited, ROOT, startCli, waitFor } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

/** the pids of every process whose environment carries `tag` (the launcher's children inherit it) */
function tagged(tag: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/environ`, "latin1").includes(`DIALOGUE_TEST_TAG=${tag}\0`)) pids.push(Number(d));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

async function closedAfter(lines: number, extra: string[]) {
  const prefix = freshPrefix();
  const tag = randomBytes(6).toString("hex");
  const env = cliEnv(testRedisUrl(), { DIALOGUE_TEST_TAG: tag });
  const p = startCli(["run", "--provider", "simulated", "--plain", "--max-turns", "40", "--prefix", prefix, ...extra], env);
  // the reader takes `lines` lines, then goes away (as `head -n` does)
  await waitFor(`${lines} lines of output`, async () => p.out().split("\n").length > lines, 60_000);
  p.stdout?.destroy();
  const { code } = await exited(p, 60_000);
  const [id] = await new Store(redis, prefix).listIds();
  const rec = await new Store(redis, prefix).get(id!);
  // nothing it started is left running (a child still starting notices too)
  const left = await waitFor("the children gone", async () => (tagged(tag).length === 0 ? [] : null), 15_000).catch(() => tagged(tag));
  return { code, err: p.err(), rec, left, id: id! };
}

describe("the output of dialogue run closed early", () => {
  it("at once (the header read): the run is stopped, told on stderr, and nothing it started is left", async () => {
    const r = await closedAfter(1, ["--set", "simulated.tokens_per_second=20"]);
    expect(r.left).toEqual([]);
    expect(r.rec?.status, r.err).toBe("stopped");
    expect(r.rec?.stop_reason).toBe("user_stop");
    expect(r.err).toContain(`The output was closed (its reader exited): stopping the conversation ${r.id}`);
    expect(r.code).toBe(0);
  }, 120_000);

  it("mid-run: the turns recorded are kept, the run is stopped well before its 40 turns", async () => {
    const r = await closedAfter(12, ["--set", "simulated.tokens_per_second=40"]);
    expect(r.left).toEqual([]);
    expect(r.rec?.status, r.err).toBe("stopped");
    expect(r.rec?.turns).toBeGreaterThan(0);
    expect(r.rec?.turns).toBeLessThan(40);
    expect(r.err).toMatch(/The output was closed/);
    expect([0, 4]).toContain(r.code);
  }, 120_000);

  it("2>&1 | head: stderr, closed with stdout, does not end the launcher mid-line (it did, exit 1, leaving the run to be found abandoned); the run is stopped", async () => {
    const prefix = freshPrefix();
    const tag = randomBytes(6).toString("hex");
    const dir = mkdtempSync(path.join(os.tmpdir(), "dialogue-pipe-"));
    const rcFile = path.join(dir, "rc");
    // as a user types it in bash: both streams into one pipe, read by head
    const script = `"$0" "$@" 2>&1 | head -12 > /dev/null; echo "\${PIPESTATUS[0]}" > ${rcFile}`;
    execFileSync("bash", ["-c", script, process.execPath, BIN, "run", "--scenario", "town-hall", "--provider", "simulated", "--plain", "--max-turns", "40", "--prefix", prefix, "--set", "simulated.tokens_per_second=40"], {
      cwd: ROOT,
      env: cliEnv(testRedisUrl(), { DIALOGUE_TEST_TAG: tag }),
      timeout: 90_000,
    });
    const code = Number(readFileSync(rcFile, "utf8").trim());
    const store = new Store(redis, prefix);
    const [id] = await store.listIds();
    const rec = await store.get(id!);
    expect(rec?.status).toBe("stopped");
    expect(rec?.stop_reason).toBe("user_stop");
    expect(rec?.turns).toBeLessThan(40);
    expect([0, 4]).toContain(code);
    const left = await waitFor("the children gone", async () => (tagged(tag).length === 0 ? [] : null), 15_000).catch(() => tagged(tag));
    expect(left).toEqual([]);
  }, 120_000);
});
