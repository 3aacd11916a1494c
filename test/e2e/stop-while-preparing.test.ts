/**
 * A run stopped while its manager is still writing the story (a slow model: a local Ollama-format
 * server that takes 13 s) ends stopped once the stop's grace (10 s) is up — and stays stopped when
 * the story comes back after that: no personas are asked for, the run does not begin, no turn is
 * requested, its time is not started.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { load } from "../../src/config/load.js";
import { Queues } from "../../src/queues/index.js";
import { Store } from "../../src/redis/store.js";
import { cliEnv, exited, runCli, startCli, waitFor } from "../helpers/cli.js";
import { managerReplies, startFakeOllama, type FakeOllama } from "../helpers/fake-ollama.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

let redis: Redis;
let ollama: FakeOllama;
beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  ollama = await startFakeOllama({ models: ["qwen2.5:0.5b"] });
  ollama.fallback = { kind: "reply", pieces: [JSON.stringify({ message: "A turn.", sentiment: 0.1, references: [], end_conversation: false })] };
});
afterAll(async () => {
  await ollama.close();
  await redis.quit();
});

describe("a stop while the manager writes the story", () => {
  it("ends the run stopped, and the story that comes back after the grace does not begin it", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl(), { OLLAMA_HOST: ollama.url });
    ollama.script = managerReplies({ storyDelayMs: 13_000 });
    const common = ["--prefix", prefix];
    const procs = [startCli(["manager", ...common], env), ...["traveller", "local"].map((pool) => startCli(["worker", "--pool", pool, ...common], env))];
    const store = new Store(redis, prefix);
    const queues = new Queues(redis, prefix, load({ env: {} }).config!.queues);
    try {
      await waitFor("processes ready", async () => procs.every((p) => /ready/.test(p.err())), 20_000);
      const run = startCli(["run", "--no-spawn", "--provider", "ollama", "--max-turns", "2", "--plain", ...common], env);
      const id = await waitFor("the story being written", async () => {
        const ids = await store.listIds();
        const rec = ids[0] ? await store.get(ids[0]) : null;
        return rec?.status === "preparing" && rec.phase === "story" ? rec.spec.id : null;
      }, 30_000, 20);
      const stop = await runCli(["stop", id, "--prefix", prefix], env);
      expect(stop.stdout.trim()).toBe(`stopping ${id}`);
      // the stop's grace runs out before the manager's model is done: the run ends stopped
      await waitFor("stopped", async () => (await store.get(id))?.status === "stopped", 30_000, 50);
      expect(await (await queues.control().getJob(store.keys.startJobId(id)))?.getState()).toBe("active");
      await exited(run, 20_000);
      // the story comes back, and the manager's start job ends
      await waitFor("the start job done", async () => ["completed", "failed"].includes((await (await queues.control().getJob(store.keys.startJobId(id)))?.getState()) ?? ""), 60_000, 200);
      await new Promise((r) => setTimeout(r, 1000));
      const rec = (await store.get(id))!;
      expect(rec).toMatchObject({ status: "stopped", stop_reason: "user_stop", started_at: null, pending_seq: null, turns: 0, personas: null });
      // the story was the only thing asked of the model: no personas, no turn
      expect(ollama.requests.filter((r) => r.path === "/api/chat")).toHaveLength(1);
    } finally {
      for (const p of procs) p.kill("SIGTERM");
      await Promise.all(procs.map((p) => exited(p, 15_000)));
      await queues.close();
    }
  }, 150_000);
});
