/**
 * One number for a turn, in every view. A run of 6 turns (local a person) gets two narrator's
 * remarks mid-run — one after the traveller's turn 1, one after turn 3, both after a person's turn
 * was numbered — and the person answers with `dialogue say --turn n`, the number the live run gave.
 * Then the live plain text, `replay --speed 0 --plain` and `--json`, `show` and the Markdown export
 * all number the person's turns as the live run did; their transcripts mark each turn by that
 * number (the last is [6], not [8]) and each remark as a remark ([·], after which turn it came).
 * So do the web's run page and event stream, a browser resuming mid-run included. Real CLI
 * processes (run spawning its manager and worker, say, replay, show, export, serve) against a real Redis.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DialogMessage } from "../../src/protocol/schemas.js";
import { Store } from "../../src/redis/store.js";
import { cliEnv, exited, runCli, startCli, waitFor } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { startServe } from "../helpers/serve.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

const env = () => cliEnv(testRedisUrl());

/** the transcript's marks in order: "[1]", "[·]", … (the first thing on a message's first line) */
const marks = (text: string): string[] => [...text.matchAll(/^(\[(?:\d+|·|#\d+)\]) \S/gm)].map((m) => m[1]!);
/** the person's turns as a text view announces them: "… turn 2 is <name>'s (local, a person)" */
const announced = (text: string): number[] => [...text.matchAll(/^… turn (\d+) is .+'s \(local, a person\)/gm)].map((m) => Number(m[1]));
/** the marks of the Markdown export's transcript */
const mdMarks = (md: string): string[] => [...md.matchAll(/^\*\*(\[(?:\d+|·|#\d+)\]) /gm)].map((m) => m[1]!);

const EXPECTED = ["[1]", "[·]", "[2]", "[3]", "[·]", "[4]", "[5]", "[6]"];

/** the run, driven as the doc comment says: its id, prefix and live plain output */
let run: { id: string; prefix: string; live: string; store: Store };

describe("a turn has one number in every view, a remark none", () => {
  beforeAll(async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const proc = startCli(
      ["run", "--provider", "simulated", "--person", "local", "--max-turns", "6", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=30", "--set", "limits.human_turn_seconds=30"],
      env(),
    );
    const id = await waitFor("the conversation", async () => (await store.listIds())[0], 30_000);
    const say = (args: string[]) => runCli(["say", id, ...args, "--prefix", prefix], env());
    const inFlight = (seq: number, agent: string) =>
      waitFor(`message ${seq} (${agent}) requested`, async () => {
        const r = await store.get(id);
        return r?.pending_seq === seq && r.next_choice?.agent_id === agent && r.turns === seq - 1 ? r : null;
      }, 60_000, 20);
    /** the person's turn `turn`, as the live run offers it: answered with the --turn it printed */
    const answer = async (turn: number, text: string) => {
      await waitFor(`the live line for turn ${turn}`, async () => announced(proc.out()).includes(turn), 60_000, 20);
      expect(proc.out()).toContain(`dialogue say ${id} --turn ${turn} `);
      const r = await say(["--turn", String(turn), text]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(`said as local (turn ${turn} of ${id})`);
    };

    // a remark while turn 1 is generated: recorded after it, as message 2
    await inFlight(1, "traveller");
    expect((await say(["--as", "narrator", "A bell rings somewhere."])).code).toBe(0);
    await answer(2, "Start at the old station.");
    // a remark while turn 3 is generated: message 5
    await inFlight(4, "traveller");
    expect((await say(["--as", "narrator", "The rain stops."])).code).toBe(0);
    // while local's turn 4 waits, a say for turn 3 (the traveller's) is refused naming turn 4 as waiting
    await waitFor("local's turn 4 offered", async () => (await store.get(id))?.next_choice?.agent_id === "local" || null, 60_000, 20);
    const refused = await say(["--turn", "3", "Not mine."]);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/^error: turn 3 of \S+ was .+'s \(traveller\), not local's; nothing was recorded \(turn 4 is .+'s, waiting for an answer\)$/m);
    await answer(4, "Then the river walk.");
    await answer(6, "And dinner by the harbour.");
    expect((await exited(proc, 60_000)).code, proc.err()).toBe(0);
    const log: DialogMessage[] = await store.readLog(id);
    expect(log.map((m) => m.metadata.source)).toEqual(["model", "narrator", "human", "model", "narrator", "human", "model", "human"]);
    run = { id, prefix, live: proc.out(), store };
  }, 180_000);

  it("live plain: the person's turns are 2, 4 and 6; the transcript marks them so, the remarks as remarks, the last turn [6]", () => {
    expect(announced(run.live)).toEqual([2, 4, 6]);
    expect(marks(run.live)).toEqual(EXPECTED);
    expect(run.live).toContain("[·] Narrator (a remark after turn 1):\n    A bell rings somewhere.");
    expect(run.live).toContain("[·] Narrator (a remark after turn 3):\n    The rain stops.");
    expect(run.live).toMatch(/^\[4\] .+ \(local resident, a person\):\n {4}Then the river walk\./m);
  });

  it("replay --plain: the same turn numbers for the person, said as waited for, and the same marks", async () => {
    const plain = await runCli(["replay", run.id, "--speed", "0", "--plain", "--prefix", run.prefix], env());
    expect(plain.code, plain.stderr).toBe(0);
    expect(announced(plain.stdout)).toEqual([2, 4, 6]);
    expect(plain.stdout).toMatch(/^… turn 4 is .+'s \(local, a person\): waiting for their answer/m);
    expect(marks(plain.stdout)).toEqual(EXPECTED);
  }, 60_000);

  it("replay --json: the person's turns, each status's counts as they were then, each message's turn", async () => {
    const json = await runCli(["replay", run.id, "--speed", "0", "--json", "--prefix", run.prefix], env());
    expect(json.code, json.stderr).toBe(0);
    const events = json.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.filter((e) => e.type === "waiting_for_person").map((e) => [e.seq, e.turn])).toEqual([
      [3, 2],
      [6, 4],
      [8, 6],
    ]);
    const statuses = events.filter((e) => e.type === "status").map((e) => [e.turns, e.remarks]);
    expect(statuses[0]).toEqual([1, 0]); // after turn 1, before any remark
    expect(statuses.at(-1)).toEqual([6, 2]);
    expect(events.filter((e) => e.type === "message").map((e) => e.turn)).toEqual([1, null, 2, 3, null, 4, 5, 6]);
  }, 60_000);

  it("show and the Markdown export: the same marks", async () => {
    const show = await runCli(["show", run.id, "--prefix", run.prefix], env());
    expect(show.code, show.stderr).toBe(0);
    expect(marks(show.stdout)).toEqual(EXPECTED);
    expect(show.stdout).toContain("[·] Narrator (a remark after turn 3):\n    The rain stops.\n    a narrator's remark (dialogue say)");
    const md = await runCli(["export", run.id, "--format", "md", "--prefix", run.prefix], env());
    expect(md.code, md.stderr).toBe(0);
    expect(mdMarks(md.stdout)).toEqual(EXPECTED);
    expect(md.stdout).toContain("**[·] Narrator** (a narrator's remark after turn 1, not a turn)\n\n> A bell rings somewhere.");
    expect(md.stdout).toMatch(/^\*\*\[6\] .+\*\* \(local resident, person\)\n\n> And dinner by the harbour\./m);
  }, 60_000);

  it("the web: the run's page and its event stream mark turns alike — a browser resuming after message 3 too", async () => {
    const served = await startServe(run.prefix);
    try {
      const page = await (await served.api(`/runs/${run.id}`)).text();
      expect([...page.matchAll(/<span class="who">(\[[^\]]+\])/g)].map((m) => m[1])).toEqual(EXPECTED);
      expect(page).toMatch(/<li class="msg a1" id="turn-6" data-seq="8" data-turn="6"/);
      const events = async (lastEventId: string | null) => {
        const r = await served.api(`/api/conversations/${run.id}/events`, { headers: { accept: "text/event-stream", ...(lastEventId ? { "last-event-id": lastEventId } : {}) } });
        return [...(await r.text()).matchAll(/^event: message\ndata: (.*)$/gm)].map((m) => JSON.parse(m[1]!) as { turn: number | null; html: string });
      };
      const all = await events(null);
      expect(all.map((e) => e.turn)).toEqual([1, null, 2, 3, null, 4, 5, 6]);
      expect(all.map((e) => /<span class="who">(\[[^\]]+\])/.exec(e.html)?.[1])).toEqual(EXPECTED);
      // resuming after message 3 (turn 2): the remark before it is counted, so message 4 is turn 3
      const resumed = await events("3-0/0-0");
      expect(resumed.map((e) => e.turn)).toEqual([3, null, 4, 5, 6]);
      expect(resumed.map((e) => /<span class="who">(\[[^\]]+\])/.exec(e.html)?.[1])).toEqual(EXPECTED.slice(3));
    } finally {
      await served.stop();
    }
  }, 60_000);
});
