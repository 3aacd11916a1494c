/**
 * Workers on hosts whose clocks are off by minutes (Debian's faketime library, LD_PRELOAD: the worker
 * processes see the time 200 s ahead and 200 s behind, the manager and Redis the real time) serve
 * a run as if the clocks agreed: no turn is cut early, queue waits stay within the normal range,
 * and every time in the messages is on Redis' clock, with the offset each worker used recorded.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { BIN, cliEnv, exited, ROOT, runCli, startCli, waitFor } from "../helpers/cli.js";
import { fakeEnv, faketimeWorks } from "../helpers/faketime.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

let redis: Redis;
const spawned: ChildProcess[] = [];
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  for (const p of spawned) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  await redis.quit();
});

/**
 * `dialogue <args>` with its clock shifted by `offset`: node itself, libfaketime preloaded (as the
 * `faketime` command does, but without a wrapper process in between, so signals reach it)
 */
function skewed(offset: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess & { err: () => string } {
  const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: fakeEnv(env, offset), stdio: ["ignore", "ignore", "pipe"] });
  spawned.push(p);
  let err = "";
  p.stderr?.setEncoding("utf8").on("data", (d: string) => (err += d));
  return Object.assign(p, { err: () => err });
}
const skewedWorker = (offset: string, pool: string, args: string[], env: NodeJS.ProcessEnv) => skewed(offset, ["worker", "--pool", pool, ...args], env);

describe.skipIf(!faketimeWorks())("workers whose clocks are 200 s ahead and 200 s behind", () => {
  it("serve a run in which no turn is cut early and queue waits stay normal", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const common = ["--prefix", prefix, "--set", "simulated.tokens_per_second=80", "--set", "simulated.time_to_first_token_ms=50", "--set", "presence.heartbeat_ms=500"];
    const manager = startCli(["manager", ...common], env);
    const ahead = skewedWorker("+200s", "traveller", common, env);
    const behind = skewedWorker("-200s", "local", common, env);
    await waitFor("processes ready", async () => [manager.err(), ahead.err(), behind.err()].every((e) => /ready/.test(e)), 30_000);

    const r = await runCli(["run", "--no-spawn", "--provider", "simulated", "--duration", "60", "--max-turns", "6", "--plain", ...common], env, 90_000);
    expect(r.code, r.stderr).toBe(0);
    const store = new Store(redis, prefix);
    const id = (await store.listIds())[0]!;
    const rec = (await store.get(id))!;
    expect(rec.status).toBe("completed");
    expect(rec.stop_reason).toBe("max_turns");
    expect(rec.cut_turns).toBe(0);
    const msgs = await store.readLog(id);
    expect(msgs.map((m) => m.metadata.sequence_number)).toEqual([1, 2, 3, 4, 5, 6]);
    const [t0] = await redis.time();
    const redisNow = Number(t0) * 1000;
    for (const m of msgs) {
      const md = m.metadata;
      expect(m.cut).toBe(false);
      expect(md.done_reason).toBe("stop");
      expect(md.tokens_generated).toBeGreaterThan(0);
      // queue wait: requested (manager) → started (worker), a few ms to a second, never ±200 s
      expect(md.queue_wait_ms).toBeLessThan(3_000);
      expect(md.started_at - md.requested_at).toBeGreaterThanOrEqual(-50);
      expect(md.started_at - md.requested_at).toBeLessThan(3_000);
      // every time is on Redis' clock: close to Redis' own now, never 200 s off
      expect(Math.abs(md.finished_at - redisNow)).toBeLessThan(60_000);
      expect(md.finished_at - md.started_at).toBeLessThan(30_000);
      // the worker's offset, recorded: about −200 s for the one ahead, +200 s for the one behind
      const expected = md.agent_id === "traveller" ? -200_000 : 200_000;
      expect(Math.abs((md.clock_offset_ms ?? 0) - expected), `${md.agent_id} offset ${md.clock_offset_ms}`).toBeLessThan(5_000);
    }
    // the run's own figures: from the first turn to the end, seconds, not minutes
    expect(rec.ended_at! - rec.started_at!).toBeLessThan(60_000);
    const analyze = await runCli(["analyze", id, "--json", "--prefix", prefix], env);
    expect(analyze.code, analyze.stderr).toBe(0);
    const report = JSON.parse(analyze.stdout) as { agents: Array<{ agent_id: string; queue_wait_ms: { p95: number | null } }>; orchestration: { handoff_ms: { max: number | null; n: number } } };
    for (const a of report.agents) expect(a.queue_wait_ms.p95, a.agent_id).toBeLessThan(3_000);
    // message recorded (Redis' clock) → next generation started (a skewed worker, corrected)
    expect(report.orchestration.handoff_ms.n).toBe(5);
    expect(Math.abs(report.orchestration.handoff_ms.max ?? Number.NaN)).toBeLessThan(3_000);

    for (const p of [manager, ahead, behind]) p.kill("SIGTERM");
    await Promise.all([manager, ahead, behind].map((p) => exited(p, 15_000)));
  }, 120_000);
});
