/**
 * A dead run tells the same truth in every view: once no live manager renews its lease, `show`,
 * `watch`, `stop` and `purge` finalize it as abandoned as `list` does (and say so); its ended_at is
 * when it last showed life, not when someone happened to notice; and a `run --no-spawn` launcher
 * still waiting for a manager keeps its run from being abandoned, so a manager started by hand
 * takes it over as the launcher promises — until the launcher is gone too.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { alive, childrenOf, cliEnv, exited, runCli, startCli, waitFor } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

const LOCK_MS = 3000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** a run whose launcher and children were SIGKILLed mid-run (nothing finalized it): its id, and when it died */
async function deadRun(common: string[], env: NodeJS.ProcessEnv, store: Store): Promise<{ id: string; killedAt: number }> {
  const run = startCli(["run", "--provider", "simulated", "--duration", "600", "--max-turns", "100", "--plain", ...common], env);
  const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
  await waitFor("a turn recorded", async () => ((await store.get(id))?.turns ?? 0) >= 1, 30_000);
  const kids = await childrenOf(run.pid!);
  for (const k of kids) process.kill(k.pid, "SIGKILL");
  run.kill("SIGKILL");
  const killedAt = Date.now();
  await exited(run);
  await waitFor("children gone", async () => kids.every((k) => !alive(k.pid)), 10_000);
  expect((await store.get(id))!.status).toBe("running"); // nothing finalized it on the way out
  return { id, killedAt };
}

function setup(tokensPerSecond = 20): { common: string[]; env: NodeJS.ProcessEnv; store: Store } {
  const prefix = freshPrefix();
  return {
    common: ["--prefix", prefix, "--set", `queues.lock_duration_ms=${LOCK_MS}`, "--set", `simulated.tokens_per_second=${tokensPerSecond}`],
    env: cliEnv(testRedisUrl()),
    store: new Store(redis, prefix),
  };
}

describe("a dead run", () => {
  it("show tells it abandoned (not running) once its lease ran out, with no list run; ended_at and every duration follow its last sign of life, not when show ran", async () => {
    const { common, env, store } = setup();
    const { id, killedAt } = await deadRun(common, env, store);
    await sleep(3 * LOCK_MS); // long past the lease: a noticer's own time is far from the death
    const show = await runCli(["show", id, ...common], env);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/status: failed \(abandoned\)/);
    expect(show.stdout).toMatch(/error: abandoned: no live manager renewed its lease.*noticed by dialogue show/);
    const rec = (await store.get(id))!;
    expect(rec.stop_reason).toBe("abandoned");
    // the last renewal (every third of a lease) or the last message, before the kill: never when show ran
    expect(rec.ended_at!).toBeLessThanOrEqual(killedAt + 500);
    expect(rec.ended_at!).toBeGreaterThanOrEqual(killedAt - LOCK_MS / 3 - 1000);
    const lived = (killedAt - rec.started_at!) / 1000;
    const row = JSON.parse((await runCli(["list", "--json", ...common], env)).stdout.trim()) as { duration_s: number; status: string };
    expect(row.status).toBe("failed");
    expect(row.duration_s).toBeLessThanOrEqual(lived + 0.5);
    expect(row.duration_s).toBeGreaterThan(lived - 2);
    const analysis = JSON.parse((await runCli(["analyze", id, "--json", ...common], env)).stdout) as { run: { duration_s: number } };
    expect(analysis.run.duration_s).toBeCloseTo(row.duration_s, 0);
  }, 90_000);

  it("watch attached while the lease still runs says it ended abandoned once the lease runs out, and ends", async () => {
    const { common, env, store } = setup();
    const { id } = await deadRun(common, env, store);
    const watch = startCli(["watch", id, "--plain", ...common], env);
    const { code } = await exited(watch, 4 * LOCK_MS + 5000); // ends by itself, with no list run
    expect(code, watch.err()).toBe(0); // as it ends for any run that ends
    expect(watch.out() + watch.err()).toMatch(/failed \(abandoned\)/);
    const rec = (await store.get(id))!;
    expect(rec.stop_reason).toBe("abandoned");
    expect(rec.error).toMatch(/noticed by dialogue watch/);
  }, 90_000);

  it("stop says it had already ended (abandoned, since when) instead of 'stopping', and purge then purges it", async () => {
    const { common, env, store } = setup();
    const { id, killedAt } = await deadRun(common, env, store);
    await sleep(2 * LOCK_MS + 500);
    const stop = await runCli(["stop", id, ...common], env);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).not.toMatch(/stopping/);
    expect(stop.stdout).toMatch(new RegExp(`${id} had already ended: failed \\(abandoned\\) at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC; no live manager has driven it since`));
    const rec = (await store.get(id))!;
    expect(rec.status).toBe("failed"); // not left "stopping (user_stop)"
    expect(rec.ended_at!).toBeLessThanOrEqual(killedAt + 500);
    const purge = await runCli(["purge", id, "--yes", ...common], env);
    expect(purge.code, purge.stderr).toBe(0);
    expect(purge.stdout).toMatch(/purged 1 conversation/);
    expect(await store.get(id)).toBeNull();
  }, 90_000);
});

describe("run --no-spawn whose only manager died", () => {
  it("list, show and doctor leave the run alone while its launcher waits, and a manager started by hand finishes it; with the launcher killed too, list abandons it", async () => {
    const { common, env, store } = setup(40);
    const workers = ["traveller", "local"].map((pool) => startCli(["worker", "--pool", pool, ...common], env));
    const manager = startCli(["manager", ...common], env);
    await waitFor("processes ready", async () => [manager, ...workers].every((p) => /ready/.test(p.err())), 20_000);
    const runArgs = ["run", "--no-spawn", "--provider", "simulated", "--duration", "600", "--max-turns", "4", "--plain", ...common];
    const run = startCli(runArgs, env);
    const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
    await waitFor("a turn in flight", async () => ((await store.get(id))?.status === "running" ? true : null), 30_000);
    manager.kill("SIGKILL");
    await waitFor("the launcher to say so", async () => run.err().includes(`no live manager has renewed the lease of ${id}`), 30_000);
    // the lease has run out; lookers everywhere leave the run for the manager the launcher asks for
    for (const args of [["list", "--json"], ["show", id], ["doctor"]]) {
      await runCli([...args, ...common], env);
      expect((await store.get(id))!.status, args[0]).toBe("running");
    }
    await sleep(LOCK_MS);
    await runCli(["list", ...common], env);
    expect((await store.get(id))!.status).toBe("running");
    const again = startCli(["manager", ...common], env);
    const { code } = await exited(run, 60_000);
    expect(code, run.err()).toBe(0);
    const rec = (await store.get(id))!;
    expect(rec.status).toBe("completed");
    expect(rec.stop_reason).toBe("max_turns");

    // the same, and then the launcher is killed too: nothing waits for a manager any more
    const run2 = startCli(runArgs, env);
    const id2 = await waitFor("the second conversation", async () => (await store.listIds()).find((x) => x !== id));
    await waitFor("running", async () => ((await store.get(id2))?.status === "running" ? true : null), 30_000);
    again.kill("SIGKILL");
    await waitFor("the launcher to say so", async () => run2.err().includes(`no live manager has renewed the lease of ${id2}`), 30_000);
    run2.kill("SIGKILL");
    await exited(run2);
    const row = await waitFor(
      "list to abandon it",
      async () => {
        const r = await runCli(["list", "--json", ...common], env);
        const found = r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { id: string; status: string; stop_reason: string | null }).find((x) => x.id === id2);
        return found?.status === "failed" ? found : null;
      },
      4 * LOCK_MS,
      250,
    );
    expect(row.stop_reason).toBe("abandoned");
    for (const p of workers) p.kill("SIGKILL");
    await Promise.all(workers.map((p) => exited(p, 10_000)));
  }, 150_000);
});
