/**
 * `dialogue run --count N --no-spawn`, served by a manager and workers started by hand: the
 * conversations end, and the closing lines point to those processes' logs, not to a log file no
 * process of this launcher wrote.
 */
import { existsSync } from "node:fs";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

describe("run --count --no-spawn", () => {
  it("the runs end, and the logs named are the processes' own", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const common = ["--prefix", prefix, "--set", "simulated.tokens_per_second=0", "--set", "simulated.time_to_first_token_ms=0"];
    const procs = [startCli(["manager", ...common], env), ...["traveller", "local"].map((pool) => startCli(["worker", "--pool", pool, ...common], env))];
    try {
      await waitFor("processes ready", async () => procs.every((p) => /ready/.test(p.err())), 20_000);
      const r = await runCli(["run", "--no-spawn", "--count", "2", "--provider", "simulated", "--max-turns", "2", "--plain", ...common], env, 90_000);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^\[2\/2\] \S+ completed \(max_turns\)/m);
      expect(r.stderr).toContain("logs:         those of the dialogue manager and dialogue worker processes (--no-spawn)");
      // no file named that nobody wrote
      const named = /logs:\s+(\/\S+\.log)/.exec(r.stderr)?.[1];
      expect(named === undefined || existsSync(named)).toBe(true);
      const ids = await new Store(redis, prefix).listIds();
      expect(ids).toHaveLength(2);
    } finally {
      for (const p of procs) p.kill("SIGTERM");
      await Promise.all(procs.map((p) => exited(p, 15_000)));
    }
  }, 120_000);
});
