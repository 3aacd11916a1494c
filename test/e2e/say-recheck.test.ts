/**
 * A person's turn whose timeout finds a say already holding it steps aside for that say; if the
 * say then never records anything (it failed for good, or its job went), the timeout looks again
 * and skips the turn, so the run goes on instead of waiting on that turn until its limits end it.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Queues } from "../../src/queues/index.js";
import { Store } from "../../src/redis/store.js";
import { load } from "../../src/config/load.js";
import { cliEnv, exited, runCli, startCli, waitFor } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

describe("a person's turn held by a say that never records", () => {
  it("is skipped once the say's job is gone: the run ends on its own, the turn marked skipped", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const run = startCli(
      ["run", "--provider", "simulated", "--person", "local", "--plain", "--max-turns", "3", "--prefix", prefix, "--set", "limits.human_turn_seconds=1", "--set", "simulated.tokens_per_second=0", "--set", "simulated.time_to_first_token_ms=0"],
      env,
    );
    const store = new Store(redis, prefix);
    const queues = new Queues(redis, prefix, load({ env: {} }).config!.queues);
    try {
      const id = await waitFor("the conversation", async () => (await store.listIds())[0], 20_000);
      await waitFor("local's turn 2", async () => {
        const r = await store.get(id);
        return r?.next_choice?.agent_id === "local" && r.next_choice.seq === 2 && r.turns < 2 ? r : null;
      }, 30_000, 5);
      // a say that claimed the turn and whose job is still queued (a stand-in that will not run)
      const standIn = "standin-say";
      await queues.addControl({ type: "human_timeout", conversation_id: id, seq: 99 }, standIn, 600_000);
      expect(await queues.claimControl(store.keys.sayClaimId(id, 2), standIn, 60_000)).toBeNull();
      // the turn's timeout (1 s) finds it and steps aside; then the say goes without a word
      await new Promise((r) => setTimeout(r, 1_800));
      expect((await store.get(id))!.turns).toBe(1);
      await queues.removeControl(standIn);
      const r = await exited(run, 20_000);
      expect(r.code, run.err()).toBe(0);
      const log = await store.readLog(id);
      expect(log.map((m) => [m.metadata.sequence_number, m.metadata.agent_id, m.skipped === true])).toEqual([
        [1, "traveller", false],
        [2, "local", true],
        [3, "traveller", false],
      ]);
      expect((await store.get(id))!.status).toBe("completed");
    } finally {
      await queues.close();
      run.kill("SIGKILL");
    }
  }, 60_000);

  it("a say that comes just after the person's turn was skipped says so (which turn, after how long), not only whose turn it is now", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const run = startCli(
      ["run", "--provider", "simulated", "--person", "local", "--plain", "--max-turns", "3", "--prefix", prefix, "--set", "limits.human_turn_seconds=1", "--set", "simulated.tokens_per_second=4", "--set", "simulated.time_to_first_token_ms=0"],
      env,
    );
    const store = new Store(redis, prefix);
    try {
      const id = await waitFor("the conversation", async () => (await store.listIds())[0], 20_000);
      // local's turn 2 goes by unanswered; the model's turn 3 is under way (4 tokens a second)
      await waitFor("turn 2 skipped", async () => (await store.readLog(id)).some((m) => m.metadata.sequence_number === 2 && m.skipped === true), 30_000, 20);
      const late = await runCli(["say", id, "Sorry, I was away.", "--prefix", prefix], env);
      expect(late.code).toBe(2);
      const lines = late.stderr.trim().split("\n");
      expect(lines[0]).toMatch(/^error: local's turn 2 was skipped, unanswered after 1 s \(limits\.human_turn_seconds\), before this was said; nothing was recorded \(turn 3 is .+'s\)$/);
      expect(lines[1]).toBe(`hint: say it again at your next turn (dialogue watch ${id} --prefix ${prefix} shows it)`);
      expect((await exited(run, 60_000)).code, run.err()).toBe(0);
      expect((await store.readLog(id)).map((m) => m.content.message)).not.toContain("Sorry, I was away.");
    } finally {
      run.kill("SIGKILL");
    }
  }, 90_000);
});
