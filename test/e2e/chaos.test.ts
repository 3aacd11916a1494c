/**
 * One run survives 20 SIGKILLs of random workers and the manager: `dialogue run` restarts each
 * killed child, stalled turns are retried, and the final log has every turn exactly once with
 * contiguous sequence numbers.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mulberry32 } from "../../src/llm/rng.js";
import { Store } from "../../src/redis/store.js";
import { alive, childrenOf, cliEnv, exited, startCli, waitFor } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

describe("chaos", () => {
  it("a run survives 20 SIGKILLs of random workers and the manager", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const TURNS = 14;
    const run = startCli(
      [
        "run", "--provider", "simulated", "--max-turns", String(TURNS), "--duration", "600", "--plain", "--prefix", prefix,
        "--set", "simulated.tokens_per_second=80", "--set", "simulated.time_to_first_token_ms=50",
        "--set", "queues.lock_duration_ms=1500", "--set", "queues.stalled_interval_ms=500",
      ],
      cliEnv(testRedisUrl()),
    );
    const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
    const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 100_000);
    const random = mulberry32(seed);
    const killed: string[] = [];
    while (killed.length < 20) {
      await new Promise((r) => setTimeout(r, 300 + random() * 700));
      const rec = await store.get(id);
      if (!rec || rec.status === "completed" || rec.status === "failed") break;
      const kids = (await childrenOf(run.pid!)).filter((k) => / (manager|worker)( |$)/.test(k.args) && alive(k.pid));
      if (kids.length === 0) continue;
      const victim = kids[Math.floor(random() * kids.length)]!;
      try {
        process.kill(victim.pid, "SIGKILL");
        killed.push(victim.args.replace(/^.*dialogue\.js /, ""));
      } catch {
        // it exited on its own between ps and kill
      }
    }
    const { code } = await exited(run, 180_000);
    const context = `seed ${seed}; killed: ${killed.join(" | ")}\nstderr:\n${run.err()}`;
    expect(killed.length, context).toBe(20);
    expect(code, context).toBe(0);
    const rec = (await store.get(id))!;
    expect(rec.status, context).toBe("completed");
    expect(rec.stop_reason, context).toBe("max_turns");
    const seqs = (await store.readLog(id)).map((m) => m.metadata.sequence_number);
    expect(seqs, context).toEqual(Array.from({ length: TURNS }, (_, i) => i + 1));
    expect(rec.turns).toBe(TURNS);
    expect(run.err().match(/exited \(SIGKILL\); restarting/g)?.length, context).toBe(20);
    expect(killed.some((k) => k.startsWith("manager")), context).toBe(true);
  }, 240_000);
});
