/**
 * No run left running: a conversation whose processes are gone (dialogue run and its children
 * SIGKILLed) is finalized as abandoned — by `list`, `doctor` or `purge` when no manager lives —
 * within twice the lock duration, and can then be purged; a conversation a live manager drives
 * (under --no-spawn) is never marked. Seeds that hold: two simulated runs with one seed store the
 * same dialogue.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { load } from "../../src/config/load.js";
import { buildSpec } from "../../src/manager/spec.js";
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

describe("abandoned runs", () => {
  it("run --no-spawn whose only manager is SIGKILLed: the launcher says no live manager renews the run (it does not wait in silence), and a manager started by hand takes it over", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const common = ["--prefix", prefix, "--set", `queues.lock_duration_ms=${LOCK_MS}`, "--set", "simulated.tokens_per_second=40"];
    const store = new Store(redis, prefix);
    const manager = startCli(["manager", ...common], env);
    const workers = ["traveller", "local"].map((pool) => startCli(["worker", "--pool", pool, ...common], env));
    await waitFor("processes ready", async () => [manager, ...workers].every((p) => /ready/.test(p.err())), 20_000);
    const run = startCli(["run", "--no-spawn", "--provider", "simulated", "--duration", "600", "--max-turns", "4", "--plain", ...common], env);
    const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
    await waitFor("a turn in flight", async () => ((await store.get(id))?.status === "running" ? true : null), 30_000);
    manager.kill("SIGKILL");
    await waitFor("the launcher to say so", async () => run.err().includes(`no live manager has renewed the lease of ${id}`), 30_000);
    expect(run.err()).toContain(`start \`dialogue manager --prefix ${prefix}\` on any host (it takes the run over), or stop it with Ctrl-C`);
    expect(run.exitCode).toBeNull(); // still there for a manager to take over
    const again = startCli(["manager", ...common], env);
    const { code } = await exited(run, 60_000);
    expect(code).toBe(0);
    const rec = (await store.get(id))!;
    expect(rec.status).toBe("completed");
    expect(rec.stop_reason).toBe("max_turns");
    expect((await store.readLog(id)).map((m) => m.metadata.sequence_number)).toEqual([1, 2, 3, 4]);
    // no process of this launcher wrote a log to point to
    expect(run.err()).toContain("logs:         those of the dialogue manager and dialogue worker processes (--no-spawn)");
    for (const p of [again, ...workers]) p.kill("SIGKILL");
    await Promise.all([again, ...workers].map((p) => exited(p, 10_000)));
  }, 120_000);

  it("SIGKILL of dialogue run and its children mid-run: list shows it ended as abandoned within 2x the lock duration, and purge removes it", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const common = ["--prefix", prefix, "--set", `queues.lock_duration_ms=${LOCK_MS}`, "--set", "simulated.tokens_per_second=5"];
    const store = new Store(redis, prefix);
    const run = startCli(["run", "--provider", "simulated", "--duration", "600", "--max-turns", "100", "--plain", ...common], env);
    const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
    await waitFor("a turn in flight", async () => ((await store.get(id))?.status === "running" ? true : null), 30_000);
    const kids = await childrenOf(run.pid!);
    expect(kids.length).toBe(3); // a manager and two workers
    for (const k of kids) process.kill(k.pid, "SIGKILL");
    run.kill("SIGKILL");
    await exited(run);
    await waitFor("children gone", async () => kids.every((k) => !alive(k.pid)), 10_000);
    const killedAt = Date.now();
    expect((await store.get(id))!.status).toBe("running"); // nothing finalized it on the way out

    // within the bound, `list` (no manager lives) finalizes it with the reason
    const seen = await waitFor(
      "list to show it abandoned",
      async () => {
        const r = await runCli(["list", "--json", ...common], env);
        const row = r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { id: string; status: string; stop_reason: string | null; error: string | null }).find((x) => x.id === id);
        return row?.status === "failed" ? row : null;
      },
      4 * LOCK_MS,
      250,
    );
    expect(Date.now() - killedAt).toBeLessThanOrEqual(2 * LOCK_MS + 2000); // the lease ran out, then the next list saw it
    expect(seen.stop_reason).toBe("abandoned");
    expect(seen.error).toMatch(/no live manager renewed its lease.*noticed by dialogue list/);
    const text = await runCli(["list", ...common], env);
    expect(text.stdout).toMatch(new RegExp(`${id}.*failed \\(abandoned\\)`));

    const purge = await runCli(["purge", id, "--yes", ...common], env);
    expect(purge.code, purge.stderr).toBe(0);
    expect(await store.get(id)).toBeNull();
  }, 120_000);

  it("purge and doctor notice an abandoned run too", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const common = ["--prefix", prefix, "--set", `queues.lock_duration_ms=${LOCK_MS}`];
    const store = new Store(redis, prefix, { leaseMs: LOCK_MS });
    // a run created by a launcher that died before any manager picked it up
    const spec = buildSpec(load({ env: {} }).config!, "simulated");
    await store.create(spec);
    const id = spec.id;
    expect((await runCli(["doctor", ...common], env)).stdout).toMatch(/1 run in progress/);
    await new Promise((r) => setTimeout(r, 2 * LOCK_MS + 500));
    const doctor = await runCli(["doctor", ...common], env);
    expect(doctor.stdout).toMatch(/1 run whose processes were gone finalized as abandoned/);
    expect((await store.get(id))!.stop_reason).toBe("abandoned");
    const purge = await runCli(["purge", id, "--yes", ...common], env);
    expect(purge.code, purge.stderr).toBe(0);
  }, 60_000);

  it("a run driven by --no-spawn managers is never marked while they drive it", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const common = ["--prefix", prefix, "--set", `queues.lock_duration_ms=${LOCK_MS}`, "--set", "simulated.tokens_per_second=20"];
    const store = new Store(redis, prefix);
    const manager = startCli(["manager", ...common], env);
    const workers = ["traveller", "local"].map((pool) => startCli(["worker", "--pool", pool, ...common], env));
    await waitFor("processes ready", async () => [manager, ...workers].every((p) => /ready/.test(p.err())), 20_000);
    // the launcher is only an observer: let it go once the run has started
    const run = startCli(["run", "--no-spawn", "--provider", "simulated", "--duration", "12", "--max-turns", "100", "--plain", ...common], env);
    const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
    await waitFor("running", async () => (await store.get(id))?.status === "running", 30_000);
    run.kill("SIGKILL");
    // for three lease lengths, list runs again and again: the live manager keeps the run leased
    const until = Date.now() + 3 * LOCK_MS;
    while (Date.now() < until) {
      const r = await runCli(["list", "--json", ...common], env);
      expect(r.stdout).toContain(`"status":"running"`);
      await new Promise((r2) => setTimeout(r2, 500));
    }
    await waitFor("the run to end by its deadline", async () => (await store.get(id))?.status === "completed", 30_000);
    expect((await store.get(id))!.stop_reason).toBe("duration");
    for (const p of [manager, ...workers]) p.kill("SIGTERM");
    await Promise.all([manager, ...workers].map((p) => exited(p, 15_000)));
  }, 90_000);
});

describe("seeds that hold", () => {
  it("two simulated runs with the same seed and config store identical messages (text and token counts); the seed is recorded", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const store = new Store(redis, prefix);
    const args = ["run", "--provider", "simulated", "--max-turns", "6", "--seed", "4242", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=0"];
    const a = await runCli(args, env, 60_000);
    const b = await runCli(args, env, 60_000);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const [idB, idA] = await store.listIds();
    const view = async (id: string) => (await store.readLog(id)).map((m) => [m.metadata.agent_id, m.content.message, m.metadata.tokens_generated]);
    expect(await view(idA!)).toEqual(await view(idB!));
    expect((await view(idA!)).length).toBe(6);
    const [recA, recB] = [await store.get(idA!), await store.get(idB!)];
    expect(recA!.spec.seed).toBe(4242);
    expect(recA!.story).toEqual(recB!.story);
    expect(recA!.personas).toEqual(recB!.personas);
    // another seed, another dialogue
    await runCli([...args.slice(0, 6), "4243", ...args.slice(7)], env, 60_000);
    const [idC] = await store.listIds();
    expect(await view(idC!)).not.toEqual(await view(idA!));
  }, 120_000);
});
