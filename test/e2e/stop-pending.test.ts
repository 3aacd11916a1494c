/**
 * Stopping a run no manager has taken up yet (started over `dialogue serve`'s API with no manager
 * running): `dialogue stop` ends it at once, stopped (user_stop) — not "stopping" until its lease
 * runs out and it is found abandoned. A manager that starts later finds it stopped and leaves it:
 * no story, no turn, still stopped.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { load } from "../../src/config/load.js";
import { Queues } from "../../src/queues/index.js";
import { Store } from "../../src/redis/store.js";
import { cliEnv, exited, runCli, startCli, waitFor } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { startServe, type Served } from "../helpers/serve.js";

const prefix = freshPrefix();
let served: Served;
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  served = await startServe(prefix);
}, 30_000);
afterAll(async () => {
  await served?.stop();
  await redis.quit();
});

describe("dialogue stop of a run no manager has taken up", () => {
  it("ends it stopped at once; a manager started later leaves it stopped", async () => {
    const body = {
      provider: "simulated",
      scenario: { title: "Never started", premise: "Two people wait for a train." },
      agents: [
        { id: "a", role: "commuter" },
        { id: "b", role: "conductor" },
      ],
      limits: { max_turns: 4 },
    };
    const r = await served.api("/api/conversations", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    expect(r.status).toBe(201);
    const { id, status } = (await r.json()) as { id: string; status: string };
    expect(status).toBe("pending");

    const env = cliEnv(testRedisUrl());
    const stop = await runCli(["stop", id, "--prefix", prefix], env);
    expect(stop.code).toBe(0);
    expect(stop.stdout.trim()).toBe(`stopped ${id}: no manager had taken it up yet, so nothing ran`);

    const store = new Store(redis, prefix);
    const rec = (await store.get(id))!;
    expect(rec.status).toBe("stopped");
    expect(rec.stop_reason).toBe("user_stop");
    expect(rec.ended_at).not.toBeNull();
    expect(rec.turns).toBe(0);
    const list = await runCli(["list", "--prefix", prefix], env);
    expect(list.stdout).toMatch(new RegExp(`^${id} .* stopped `, "m"));

    const shown = await runCli(["show", id, "--prefix", prefix], env);
    expect(shown.stdout).toContain("  stopped before its dialogue began: no turn was asked for");

    // stopping it again says it has ended, as stopped
    const again = await runCli(["stop", id, "--prefix", prefix], env);
    expect(again.stdout).toContain(`${id} had already ended: stopped (user_stop)`);

    // a manager now takes the start job up and leaves the run as it is
    const queues = new Queues(redis, prefix, load({ env: {} }).config!.queues);
    const manager = startCli(["manager", "--prefix", prefix], env);
    try {
      await waitFor("the start job done", async () => ((await queues.control().getJobCounts("completed")).completed ?? 0) >= 1, 30_000, 100);
      const after = (await store.get(id))!;
      expect(after.status).toBe("stopped");
      expect(after.story).toBeNull();
      expect(after.turns).toBe(0);
      expect(await store.readLog(id)).toEqual([]);
    } finally {
      manager.kill("SIGTERM");
      await exited(manager, 15_000);
      await queues.close();
    }
  }, 90_000);

  it("a run a manager took up but whose pool has no worker: stopped, its first turn recorded failed as never taken up, with no attempt made", async () => {
    const env = cliEnv(testRedisUrl());
    const manager = startCli(["manager", "--prefix", prefix], env);
    const store = new Store(redis, prefix);
    try {
      await waitFor("the manager ready", async () => /ready/.test(manager.err()), 20_000);
      const body = {
        provider: "simulated",
        scenario: { title: "Nobody serves", premise: "Two people wait for a train." },
        agents: [
          { id: "c", role: "commuter" },
          { id: "d", role: "conductor" },
        ],
        limits: { max_turns: 4 },
      };
      const r = await served.api("/api/conversations", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const { id } = (await r.json()) as { id: string };
      await waitFor("turn 1 asked for", async () => (await store.get(id))?.pending_seq === 1, 30_000, 50);
      const stop = await runCli(["stop", id, "--prefix", prefix], env);
      expect(stop.stdout.trim()).toBe(`stopping ${id}`);
      // the stop's grace (10 s): the turn never came back
      await waitFor("stopped", async () => (await store.get(id))?.status === "stopped", 30_000, 100);
      const [lost] = await store.readLog(id);
      expect(lost).toMatchObject({ failed: true, cut: false });
      expect(lost!.error).toBe("the turn never came back before the run ended (user_stop): no worker of pool c took it up (the pool had no live worker)");
      expect(lost!.metadata.failed_attempts).toEqual([]);
    } finally {
      manager.kill("SIGTERM");
      await exited(manager, 15_000);
    }
  }, 90_000);
});
