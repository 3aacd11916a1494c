/**
 * One answer a turn: two says for the same person's turn, from two `dialogue say` processes
 * started at the same moment or two POSTs to `dialogue serve` (one after the other, or at once),
 * are never both accepted — one is, and is recorded; the other is refused in one line (exit 2; 409
 * with the API's JSON error). The manager is held (SIGSTOP) while they are said, so both find the
 * turn waiting, as two terminals racing do. The person's next turn still takes a say, a skipped
 * turn still refuses one, and the narrator may add several remarks at once.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConversationRecord } from "../../src/protocol/record.js";
import { turnOf } from "../../src/protocol/turn-count.js";
import { Store } from "../../src/redis/store.js";
import { cliEnv, exited, runCli, startCli, waitFor } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { startServe, type Served } from "../helpers/serve.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

const env = () => cliEnv(testRedisUrl());

/** a manager and a worker for the traveller (the model), by hand, and `run --no-spawn` with local as the person */
async function startRun(prefix: string, extra: string[] = []) {
  const common = ["--prefix", prefix, "--set", "simulated.tokens_per_second=40"];
  const manager = startCli(["manager", ...common], env());
  const worker = startCli(["worker", "--pool", "traveller", ...common], env());
  await waitFor("manager and worker ready", async () => [manager, worker].every((p) => /ready/.test(p.err())), 20_000);
  const run = startCli(["run", "--no-spawn", "--provider", "simulated", "--person", "local", "--plain", "--set", "limits.human_turn_seconds=8", ...extra, ...common], env());
  const store = new Store(redis, prefix);
  const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
  return { manager, worker, run, store, id };
}

/** the record once local's `turn`-th turn is offered to them */
async function personsTurn(store: Store, id: string, turn: number): Promise<ConversationRecord> {
  return waitFor(
    `local's turn ${turn} offered`,
    async () => {
      const r = await store.get(id);
      const c = r?.next_choice;
      return r && c && c.agent_id === "local" && c.seq === r.pending_seq && c.seq > r.turns && turnOf(c.seq, r) === turn ? r : null;
    },
    30_000,
    20,
  );
}

const pause = (p: { pid?: number | undefined }) => process.kill(p.pid!, "SIGSTOP");
const resume = (p: { pid?: number | undefined }) => process.kill(p.pid!, "SIGCONT");

describe("one answer a turn", () => {
  it("dialogue say: of two started at once for one turn, one is recorded and the other refused in one line; the next turn takes one, a skipped one refuses it", async () => {
    const prefix = freshPrefix();
    const { manager, worker, run, store, id } = await startRun(prefix, ["--max-turns", "7"]);
    const say = (args: string[]) => runCli(["say", id, ...args, "--prefix", prefix], env());

    // turn 2: local's; two terminals answer it at the same moment while the manager is held
    await personsTurn(store, id, 2);
    pause(manager);
    const texts = ["I would take the early train, to be honest.", "again"];
    const both = await Promise.all(texts.map((t) => say([t])));
    resume(manager);
    expect(both.map((r) => r.code).sort(), both.map((r) => r.stderr).join("\n")).toEqual([0, 2]);
    const won = both.findIndex((r) => r.code === 0);
    const lost = both[1 - won]!;
    expect(both[won]!.stdout.trim()).toBe(`said as local (turn 2 of ${id})`);
    expect(lost.stdout).toBe("");
    expect(lost.stderr).toMatch(/^error: local's turn 2 already has an answer queued \(said \d+\.\d s ago\)$/m);
    expect(lost.stderr).toMatch(new RegExp(`^hint: one answer a turn: wait for the next turn \\(dialogue watch ${id} --prefix ${prefix} shows it\\)$`, "m"));
    expect(lost.stderr.trim().split("\n")).toHaveLength(2);

    await waitFor("turn 2 recorded", async () => ((await store.get(id))?.turns ?? 0) >= 2, 20_000);
    const turn2 = (await store.readLog(id)).filter((m) => m.metadata.sequence_number === 2);
    expect(turn2).toHaveLength(1);
    expect(turn2[0]!.content.message).toBe(texts[won]);
    expect(turn2[0]!.metadata).toMatchObject({ agent_id: "local", source: "human" });

    // turn 4: local's next turn still takes a say
    await personsTurn(store, id, 4);
    const next = await say(["The museum, if it rains."]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout.trim()).toBe(`said as local (turn 4 of ${id})`);
    await waitFor("turn 4 recorded", async () => ((await store.get(id))?.turns ?? 0) >= 4, 20_000);
    expect((await store.readLog(id))[3]!.content.message).toBe("The museum, if it rains.");

    // turn 6: nobody answers, it is skipped; a say after that is refused as before
    await personsTurn(store, id, 6);
    await waitFor("turn 6 skipped, turn 7 chosen", async () => {
      const r = await store.get(id);
      return r && r.turns >= 6 && r.next_choice?.seq === 7;
    }, 20_000, 20);
    pause(manager); // turn 7 stays the traveller's, whatever the model's speed
    const late = await say(["Sorry, I was away."]);
    resume(manager);
    expect(late.code).toBe(2);
    // (it says the turn went by unanswered, and whose turn it is now)
    expect(late.stderr).toMatch(/^error: local's turn 6 was skipped, unanswered after \d+ s \(limits\.human_turn_seconds\), before this was said; nothing was recorded \(turn 7 is .+'s\)$/m);

    expect((await exited(run, 60_000)).code, run.err()).toBe(0);
    const log = await store.readLog(id);
    expect(log.map((m) => [m.metadata.agent_id, m.skipped === true])).toEqual([
      ["traveller", false],
      ["local", false],
      ["traveller", false],
      ["local", false],
      ["traveller", false],
      ["local", true],
      ["traveller", false],
    ]);
    for (const p of [manager, worker]) p.kill("SIGTERM");
    await Promise.all([manager, worker].map((p) => exited(p, 15_000)));
  }, 120_000);

  describe("dialogue serve", () => {
    let served: Served;
    const prefix = freshPrefix();
    beforeAll(async () => {
      served = await startServe(prefix);
    }, 30_000);
    afterAll(async () => {
      await served?.stop();
    });
    type Answer = { status: number; body: { error?: string; message: string; as?: string; seq?: number | null; result?: string } };
    const post = async (id: string, body: unknown): Promise<Answer> => {
      const r = await served.api(`/api/conversations/${id}/say`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      return { status: r.status, body: (await r.json()) as Answer["body"] };
    };

    it("POST say twice for one turn: 202 then 409 in one line, at once too; only the first is recorded; a narrator's remarks are all taken", async () => {
      const { manager, worker, run, store, id } = await startRun(prefix, ["--max-turns", "5"]);

      // turn 2, one after the other (as the tester did)
      await personsTurn(store, id, 2);
      pause(manager);
      const first = await post(id, { text: "I would take the early train, to be honest." });
      const again = await post(id, { text: "again" });
      // the narrator is not limited so: two remarks at once are both taken
      const remarks = await Promise.all(["The lights go out.", "A dog barks."].map((text) => post(id, { as: "narrator", text })));
      resume(manager);
      expect(first.status, first.body.message).toBe(202);
      expect(first.body).toEqual({ id, as: "local", seq: 2, result: "queued", message: `said as local (turn 2 of ${id})` });
      expect(again.status).toBe(409);
      expect(Object.keys(again.body).sort()).toEqual(["error", "message"]);
      expect(again.body.error).toBe("conflict");
      expect(again.body.message).toMatch(new RegExp(`^local's turn 2 already has an answer queued \\(said \\d+\\.\\d s ago\\) \\(one answer a turn: wait for the next turn \\(dialogue watch ${id} --prefix ${prefix} shows it\\)\\)$`));
      expect(again.body.message).not.toContain("\n");
      expect(remarks.map((r) => r.status)).toEqual([202, 202]);

      // turn 4 (after the two remarks: seq 6), both at once
      const rec = await personsTurn(store, id, 4);
      pause(manager);
      const both = await Promise.all(["Left at the bakery.", "Right at the bakery."].map((text) => post(id, { text })));
      resume(manager);
      expect(both.map((r) => r.status).sort()).toEqual([202, 409]);
      const won = both.findIndex((r) => r.status === 202);
      expect(both[won]!.body).toMatchObject({ as: "local", seq: rec.next_choice!.seq, result: "queued" });
      expect(both[1 - won]!.body.message).toMatch(/^local's turn 4 already has an answer queued \(said \d+\.\d s ago\)/);

      expect((await exited(run, 60_000)).code, run.err()).toBe(0);
      const log = await store.readLog(id);
      const said = log.filter((m) => m.metadata.source === "human").map((m) => [m.metadata.sequence_number, m.content.message]);
      expect(said).toEqual([
        [2, "I would take the early train, to be honest."],
        [rec.next_choice!.seq, won === 0 ? "Left at the bakery." : "Right at the bakery."],
      ]);
      expect(log.filter((m) => m.metadata.source === "narrator").map((m) => m.content.message).sort()).toEqual(["A dog barks.", "The lights go out."]);
      for (const p of [manager, worker]) p.kill("SIGTERM");
      await Promise.all([manager, worker].map((p) => exited(p, 15_000)));
    }, 120_000);
  });
});
