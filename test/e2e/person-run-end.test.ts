/**
 * A person's turn still open when the run ends — its time runs out (limits.duration_seconds), or it
 * is stopped (`dialogue stop`) — is recorded skipped, with that reason, once: the record's turns
 * count it, the summary and the analysis say the person typed nothing, and a say after it is
 * refused (the end claims the turn as the turn's timeout does). A say (or its stand-in) holding
 * the turn when the run ends is waited for rather than dropped.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { load } from "../../src/config/load.js";
import { say, sayClaimTtlMs } from "../../src/manager/say.js";
import type { ConversationRecord } from "../../src/protocol/record.js";
import { Queues } from "../../src/queues/index.js";
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

/** `dialogue run --plain` with `local` a person (the traveller, a model, opens at once; turn 2 is local's) */
function personRun(prefix: string, extra: string[]) {
  return startCli(
    ["run", "--provider", "simulated", "--person", "local", "--plain", "--max-turns", "4", "--prefix", prefix, "--set", "limits.human_turn_seconds=60", "--set", "simulated.tokens_per_second=0", "--set", "simulated.time_to_first_token_ms=0", ...extra],
    cliEnv(testRedisUrl()),
  );
}

/** the record once turn 2, local's, is waiting for an answer */
async function localWaiting(store: Store): Promise<ConversationRecord> {
  const id = await waitFor("the conversation", async () => (await store.listIds())[0], 20_000);
  return waitFor("local's turn 2", async () => {
    const r = await store.get(id);
    return r?.next_choice?.agent_id === "local" && r.next_choice.seq === 2 && r.turns === 1 ? r : null;
  }, 30_000, 5);
}

/** what the run's summary and `dialogue analyze` say of local: one turn, skipped, nothing typed */
async function expectNothingTyped(out: string, id: string, prefix: string): Promise<void> {
  const summary = out.slice(out.lastIndexOf("\nEnded: "));
  expect(summary).toMatch(/^\nEnded: .* · 2 turns \(1 skipped\)/);
  expect(summary).toMatch(/\(local, a person\): 1 turn: 0 typed by a person, 1 skipped\n/);
  const analyzed = await runCli(["analyze", id, "--json", "--prefix", prefix], cliEnv(testRedisUrl()));
  expect(analyzed.code, analyzed.stderr).toBe(0);
  const a = JSON.parse(analyzed.stdout) as { run: { turns: number; skipped_turns: number }; agents: Array<{ agent_id: string; turns: number; skipped_turns: number; words: number }> };
  expect(a.run).toMatchObject({ turns: 2, skipped_turns: 1 });
  expect(a.agents.find((x) => x.agent_id === "local")).toMatchObject({ turns: 1, skipped_turns: 1, words: 0 });
}

describe("a person's turn open when the run ends", () => {
  it("the run's time runs out: the turn is recorded skipped, saying so, and counted; the person typed nothing", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const run = personRun(prefix, ["--set", "limits.duration_seconds=4"]);
    try {
      const { spec } = await localWaiting(store);
      const { code } = await exited(run, 30_000);
      expect(code, run.err()).toBe(0);
      const rec = (await store.get(spec.id))!;
      expect(rec.status).toBe("completed");
      expect(rec.stop_reason).toBe("duration");
      expect(rec.turns).toBe(2);
      const log = await store.readLog(spec.id);
      expect(log.map((m) => [m.metadata.sequence_number, m.metadata.agent_id, m.skipped])).toEqual([
        [1, "traveller", false],
        [2, "local", true],
      ]);
      expect(log[1]!.content.message).toBe("");
      expect(log[1]!.note).toBe("no answer before the run's time ran out (limits.duration_seconds, 4 s): the turn was skipped");
      const out = run.out();
      // the waiting line said the run's time would come first; the skipped turn says why
      expect(out).toMatch(/… turn 2 is .+'s \(local, a person\): answer with .+ \(skipped after 60 s, or when the run's time runs out in \d s\)\n/);
      expect(out).toContain("(no answer before the run's time ran out (limits.duration_seconds, 4 s): the turn was skipped)");
      await expectNothingTyped(out, spec.id, prefix);
    } finally {
      run.kill("SIGKILL");
    }
  }, 60_000);

  it("dialogue stop: the turn is recorded skipped (a user stop), once; a say after it is refused, even one that raced the stop", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const store = new Store(redis, prefix);
    const queues = new Queues(redis, prefix, load({ env: {} }).config!.queues);
    const run = personRun(prefix, []);
    try {
      const before = await localWaiting(store);
      const id = before.spec.id;
      const stop = await runCli(["stop", id, "--prefix", prefix], env);
      expect(stop.code, stop.stderr).toBe(0);
      expect((await exited(run, 30_000)).code, run.err()).toBe(0);
      const rec = (await store.get(id))!;
      expect([rec.status, rec.stop_reason, rec.turns]).toEqual(["stopped", "user_stop", 2]);
      const log = await store.readLog(id);
      expect(log.map((m) => [m.metadata.sequence_number, m.metadata.agent_id, m.skipped])).toEqual([
        [1, "traveller", false],
        [2, "local", true],
      ]);
      expect(log[1]!.note).toBe("no answer before the run was stopped (user_stop): the turn was skipped");
      await expectNothingTyped(run.out(), id, prefix);

      // a say now: the run has ended
      const late = await runCli(["say", id, "Sorry, I was away.", "--prefix", prefix], env);
      expect(late.code).toBe(2);
      expect(late.stderr).toContain(`error: conversation ${id} has ended (stopped)`);
      // a say that read the record while the turn was open and reaches Redis after the stop closed
      // it (its first read gives the record from before): refused, as a say after the turn's timeout is
      let reads = 0;
      const stale = Object.assign(Object.create(store) as Store, { get: async (i: string) => (reads++ === 0 ? before : store.get(i)) });
      const raced = say(stale, queues, id, "Sorry, I was away.", { via: "a test", reach: ` --prefix ${prefix}` });
      await expect(raced).rejects.toThrow(/^local's turn 2 was closed before this was said: the run was stopped, and the turn was recorded skipped; nothing was recorded$/);
      expect((await store.readLog(id)).map((m) => m.content.message)).not.toContain("Sorry, I was away.");
      expect((await store.get(id))!.turns).toBe(2);
    } finally {
      await queues.close();
      run.kill("SIGKILL");
    }
  }, 60_000);

  it("a say holding the turn when the run is stopped is waited for; once it is gone, the turn is recorded skipped and the run ends", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const store = new Store(redis, prefix);
    const queues = new Queues(redis, prefix, load({ env: {} }).config!.queues);
    const run = personRun(prefix, []);
    try {
      const { spec } = await localWaiting(store);
      const id = spec.id;
      // a say that claimed the turn and whose job is still queued (a stand-in that will not run)
      const standIn = "standin-say";
      await queues.addControl({ type: "human_timeout", conversation_id: id, seq: 99 }, standIn, 600_000);
      expect(await queues.claimControl(store.keys.sayClaimId(id, 2), standIn, 60_000)).toBeNull();
      expect((await runCli(["stop", id, "--prefix", prefix], env)).code).toBe(0);
      // the stop leaves the turn to the say: the run waits, the turn not taken from it
      await new Promise((r) => setTimeout(r, 1_500));
      const waiting = (await store.get(id))!;
      expect([waiting.status, waiting.turns]).toEqual(["stopping", 1]);
      await queues.removeControl(standIn);
      expect((await exited(run, 30_000)).code, run.err()).toBe(0);
      const log = await store.readLog(id);
      expect(log.map((m) => [m.metadata.sequence_number, m.metadata.agent_id, m.skipped])).toEqual([
        [1, "traveller", false],
        [2, "local", true],
      ]);
      expect(log[1]!.note).toBe("no answer before the run was stopped (user_stop): the turn was skipped");
      expect((await store.get(id))!.status).toBe("stopped");
    } finally {
      await queues.close();
      run.kill("SIGKILL");
    }
  }, 60_000);

  it("the run's time runs out with no manager live: the manager that takes over records the turn skipped, once", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const common = ["--prefix", prefix, "--set", "queues.lock_duration_ms=1500", "--set", "queues.stalled_interval_ms=500", "--set", "simulated.tokens_per_second=0", "--set", "simulated.time_to_first_token_ms=0"];
    const store = new Store(redis, prefix);
    const first = startCli(["manager", ...common], env);
    const worker = startCli(["worker", "--pool", "traveller", ...common], env);
    const others: ReturnType<typeof startCli>[] = [];
    try {
      await waitFor("processes ready", async () => [first, worker].every((p) => /ready/.test(p.err())), 20_000);
      const run = startCli(["run", "--no-spawn", "--provider", "simulated", "--person", "local", "--plain", "--max-turns", "4", "--set", "limits.duration_seconds=4", "--set", "limits.human_turn_seconds=60", ...common], env);
      others.push(run);
      const { spec, deadline_at } = await localWaiting(store);
      first.kill("SIGKILL");
      await exited(first);
      // the run's time runs out while no manager is live
      await waitFor("the deadline passed", async () => Date.now() > deadline_at! + 300, 20_000);
      expect((await store.get(spec.id))!.turns).toBe(1);
      // two managers come back at once: the turn is recorded by one of them, once
      others.push(startCli(["manager", ...common], env), startCli(["manager", ...common], env));
      expect((await exited(run, 30_000)).code, run.err()).toBe(0);
      const rec = (await store.get(spec.id))!;
      expect([rec.status, rec.stop_reason, rec.turns]).toEqual(["completed", "duration", 2]);
      const log = await store.readLog(spec.id);
      expect(log.map((m) => [m.metadata.sequence_number, m.metadata.agent_id, m.skipped, m.note ?? null])).toEqual([
        [1, "traveller", false, null],
        [2, "local", true, "no answer before the run's time ran out (limits.duration_seconds, 4 s): the turn was skipped"],
      ]);
    } finally {
      for (const p of [first, worker, ...others]) p.kill("SIGKILL");
    }
  }, 90_000);

  it("a person who never had a turn is not said to have typed anything", async () => {
    const prefix = freshPrefix();
    const r = await runCli(["run", "--provider", "simulated", "--person", "local", "--plain", "--max-turns", "1", "--prefix", prefix, "--set", "simulated.tokens_per_second=0", "--set", "simulated.time_to_first_token_ms=0"], cliEnv(testRedisUrl()));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\(local, a person\): 0 turns: never their turn\n/);
    expect(r.stdout).not.toContain("typed by a person\n");
  }, 60_000);

  it("an end that claimed the turn and then failed for good: the turn's own timeout does the end's work, so the run still ends", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const run = personRun(prefix, ["--set", "limits.human_turn_seconds=3", "--set", "limits.duration_seconds=120"]);
    const queues = new Queues(redis, prefix, load({ env: {} }).config!.queues);
    try {
      const rec = await localWaiting(store);
      const id = rec.spec.id;
      // what an end job (a deadline, a stop) leaves when it died after taking the turn's claim: the claim, and nothing recorded
      expect(await queues.claimControl(store.keys.sayClaimId(id, 2), store.keys.runEndClaim(id), sayClaimTtlMs(rec))).toBeNull();
      // the turn's limit (3 s) comes: the run goes on to its end instead of waiting with the turn for its 120 s
      const { code } = await exited(run, 60_000);
      expect(code, run.err()).not.toBeNull();
      const after = (await store.get(id))!;
      expect(["completed", "stopped", "failed"]).toContain(after.status);
      const log = await store.readLog(id);
      expect(log.filter((m) => m.metadata.sequence_number === 2)).toHaveLength(1);
      expect(log.find((m) => m.metadata.sequence_number === 2)?.skipped).toBe(true);
    } finally {
      if (run.exitCode === null) run.kill("SIGKILL");
      await queues.close();
    }
  }, 90_000);
});
