/**
 * A person in the conversation, without the TUI: `dialogue say` answers for the person whose turn
 * it is, from another process; what cannot be said is refused in one line; an unanswered turn is
 * skipped after limits.human_turn_seconds with the reason recorded; a narrator's remark goes into
 * any running conversation and the next speaker's prompt holds it.
 */
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

const env = () => cliEnv(testRedisUrl());

describe("dialogue say", () => {
  it("answers for the person at their turn; refuses out of turn, as a model, or after the end; a silent person is skipped", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const run = startCli(
      ["run", "--provider", "simulated", "--person", "local", "--max-turns", "5", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=30", "--set", "limits.human_turn_seconds=4"],
      env(),
    );
    const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
    const say = (args: string[]) => runCli(["say", id, ...args, "--prefix", prefix], env());

    // turn 1 is the traveller's (a model), generating: not the person's turn yet
    await waitFor("turn 1 under way", async () => (await store.get(id))?.status === "running", 30_000);
    const early = await say(["Hello!"]);
    expect(early.code).toBe(2);
    expect(early.stderr).toMatch(/^error: it is not local's turn \(turn 1 is .+'s\)$/m);
    const asModel = await say(["--as", "traveller", "I am the model now"]);
    expect(asModel.code).toBe(2);
    expect(asModel.stderr).toMatch(/^error: traveller is a model, not a person: it speaks for itself$/m);

    // turn 2 is offered to the person; plain output says so
    await waitFor("turn 2 offered", async () => ((await store.get(id))?.next_choice?.seq === 2 ? true : null), 30_000);
    await waitFor("the plain line", async () => run.out().includes(`turn 2 is `) && run.out().includes(`dialogue say ${id}`), 10_000);
    const ok = await say(["I know a bakery by the station,", "the one with the blue door."]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim()).toBe(`said as local (turn 2 of ${id})`);
    await waitFor("turn 3 recorded", async () => ((await store.get(id))?.turns ?? 0) >= 3, 30_000);
    const [, human, answer] = await store.readLog(id);
    expect(human!.content.message).toBe("I know a bakery by the station, the one with the blue door.");
    expect(human!.metadata).toMatchObject({ source: "human", provider: "human", agent_id: "local", tokens_generated: 0, time_to_first_token_ms: null, tokens_per_second: 0 });
    expect(human!.metadata.turn_choice?.how).toBe("round_robin");
    // the model answers it: its prompt held turn 2
    expect(answer!.metadata.source).toBe("model");
    expect(answer!.metadata.prompt_turns).toMatchObject({ first: 1, last: 2 });

    // turn 4 is the person's again: nobody answers, and it is skipped after 4 s, saying why
    await waitFor("turn 4 skipped", async () => ((await store.get(id))?.turns ?? 0) >= 4, 30_000);
    const skipped = (await store.readLog(id))[3]!;
    expect(skipped.skipped).toBe(true);
    expect(skipped.content.message).toBe("");
    expect(skipped.note).toBe("no answer within 4 s (limits.human_turn_seconds): the turn was skipped");
    expect(skipped.metadata.generation_time_ms).toBeGreaterThanOrEqual(3900);

    const { code } = await exited(run, 60_000);
    expect(code, run.err()).toBe(0);
    expect(run.out()).toMatch(/\[2\] .+ \(local resident, a person\):\n {4}I know a bakery/);
    expect(run.out()).toMatch(/\[4\] .+ \[skipped\]:\n {4}\(no answer within 4 s/);
    // list --json says who is a person (no model speaks for them)
    const listed = JSON.parse((await runCli(["list", "--json", "--prefix", prefix], env())).stdout.trim()) as { agents: unknown[] };
    expect(listed.agents).toEqual([
      { id: "traveller", kind: "model", provider: "simulated", model: expect.any(String) },
      { id: "local", kind: "human", provider: "human", model: null },
    ]);
    const late = await say(["too late"]);
    expect(late.code).toBe(2);
    expect(late.stderr).toMatch(/^error: conversation .+ has ended \(completed\)$/m);
  }, 120_000);

  it("a narrator's remark during an all-model run is recorded between turns, and the next prompt holds it", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const run = startCli(["run", "--provider", "simulated", "--max-turns", "4", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=25"], env());
    const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
    await waitFor("turn 1 under way", async () => (await store.get(id))?.status === "running", 30_000);
    // more than a message of this run holds is refused, not cut when recorded
    const long = await runCli(["say", id, "--as", "narrator", "x".repeat(5000), "--prefix", prefix], env());
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(/^error: that is 5000 characters; a message in conversation .+ holds at most 4000 \(limits\.max_message_chars\)$/m);
    const r = await runCli(["say", id, "--as", "narrator", "The lights go out.", "--prefix", prefix], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("remark queued");
    const { code } = await exited(run, 60_000);
    expect(code, run.err()).toBe(0);
    const msgs = await store.readLog(id);
    const remark = msgs.find((m) => m.metadata.source === "narrator")!;
    expect(remark.content.message).toBe("The lights go out.");
    expect(remark.metadata.agent_id).toBe("narrator");
    const next = msgs.find((m) => m.metadata.sequence_number === remark.metadata.sequence_number + 1)!;
    expect(next.metadata.source).toBe("model");
    expect(next.metadata.prompt_turns?.last).toBe(remark.metadata.sequence_number);
    // a remark is not a turn: four agent turns were still taken
    expect(msgs.filter((m) => m.metadata.source === "model")).toHaveLength(4);
    expect(run.out()).toMatch(/\[·\] Narrator \(a remark (after turn \d|before turn 1)\):\n {4}The lights go out\./);
    // list counts the turns, the remark apart
    const list = await runCli(["list", "--json", "--prefix", prefix], env());
    expect(JSON.parse(list.stdout.trim())).toMatchObject({ id, turns: 4, remarks: 1 });
    const table = await runCli(["list", "--prefix", prefix], env());
    expect(table.stdout).toMatch(new RegExp(`^${id}\\s+\\S+ \\S+\\s+\\S+\\s+4\\s+2\\s+completed \\(max_turns\\)`, "m"));
  }, 90_000);

  it("a remark said during the last turn is recorded after it, before the run ends", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const run = startCli(["run", "--provider", "simulated", "--max-turns", "1", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=25"], env());
    const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
    await waitFor("the only turn under way", async () => (await store.get(id))?.status === "running", 30_000);
    // the narrator in any case, as a user may type it
    const r = await runCli(["say", id, "--as", "Narrator", "Thunder, far off.", "--prefix", prefix], env());
    expect(r.code, r.stderr).toBe(0);
    const { code } = await exited(run, 60_000);
    expect(code, run.err()).toBe(0);
    const msgs = await store.readLog(id);
    expect(msgs.map((m) => [m.metadata.sequence_number, m.metadata.source])).toEqual([[1, "model"], [2, "narrator"]]);
    expect(msgs[1]!.content.message).toBe("Thunder, far off.");
    const rec = (await store.get(id))!;
    expect([rec.status, rec.stop_reason, rec.remarks]).toEqual(["completed", "max_turns", 1]);
    expect(run.out()).toMatch(/\[·\] Narrator \(a remark after turn 1\):\n {4}Thunder, far off\./);
  }, 90_000);

  it("a remark said while the story is written comes before the first turn, and the first prompt holds it", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    // the manager's (simulated) model takes 2 s to begin each generation: time to speak before turn 1
    const run = startCli(["run", "--provider", "simulated", "--max-turns", "2", "--plain", "--prefix", prefix, "--set", "simulated.time_to_first_token_ms=2000"], env());
    const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
    await waitFor("the story being written", async () => (await store.get(id))?.status === "preparing", 30_000);
    const r = await runCli(["say", id, "--as", "narrator", "Before anyone speaks, the clock strikes nine.", "--prefix", prefix], env());
    expect(r.code, r.stderr).toBe(0);
    const { code } = await exited(run, 90_000);
    expect(code, run.err()).toBe(0);
    const msgs = await store.readLog(id);
    expect(msgs.map((m) => m.metadata.source)).toEqual(["narrator", "model", "model"]);
    expect(msgs[0]!.content.message).toBe("Before anyone speaks, the clock strikes nine.");
    expect(msgs[1]!.metadata.prompt_turns).toMatchObject({ first: 1, last: 1 });
    const rec = (await store.get(id))!;
    expect([rec.turns, rec.remarks, rec.stop_reason]).toEqual([3, 1, "max_turns"]);
  }, 120_000);
});
