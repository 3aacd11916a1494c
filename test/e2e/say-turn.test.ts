/// <reference lib="dom" />
/**
 * A say answers the person's turn waiting when it was said, never a later one. The tester's case:
 * a say meant for local's turn 2, which went by unanswered (skipped), must not be recorded as
 * local's next turn (4) once that one waits — it is refused, in one line, and nothing is recorded:
 * named with `dialogue say --turn 2`, posted with `"turn": 2` (the API, the web page's box), and
 * without a turn, from a `dialogue say` started while turn 2 waited that reached Redis only after
 * turn 4 had begun. `--turn` with the turn waiting records; a turn already answered, someone
 * else's, or one not come yet is refused (exit 2 / 409) saying so and which turn is waiting.
 * A manager, a worker and `run --no-spawn` (local a person) run as separate processes against a
 * real Redis; the manager is held (SIGSTOP) where a turn must stay waiting while says are tried.
 */
import { mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConversationRecord } from "../../src/protocol/record.js";
import { turnOf } from "../../src/protocol/turn-count.js";
import { Store } from "../../src/redis/store.js";
import { launchChromium, type Chromium } from "../helpers/browser.js";
import { cliEnv, exited, runCli, startCli, waitFor } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { startServe, type Served } from "../helpers/serve.js";

let redis: Redis;
let dir: string;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
  dir = mkdtempSync(path.join(tmpdir(), "say-turn-"));
});
afterAll(async () => {
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

const env = (extra: NodeJS.ProcessEnv = {}) => cliEnv(testRedisUrl(), extra);
const SKIP_S = 3;

/** a manager and a worker for the traveller (the model), by hand, and `run --no-spawn` with local as the person, whose turns wait SKIP_S seconds */
async function startRun(prefix: string, maxTurns: number) {
  const common = ["--prefix", prefix, "--set", "simulated.tokens_per_second=40"];
  const manager = startCli(["manager", ...common], env());
  const worker = startCli(["worker", "--pool", "traveller", ...common], env());
  await waitFor("manager and worker ready", async () => [manager, worker].every((p) => /ready/.test(p.err())), 20_000);
  const store = new Store(redis, prefix);
  const before = new Set(await store.listIds());
  const run = startCli(["run", "--no-spawn", "--provider", "simulated", "--person", "local", "--plain", "--max-turns", String(maxTurns), "--set", `limits.human_turn_seconds=${SKIP_S}`, ...common], env());
  const id = await waitFor("the conversation", async () => (await store.listIds()).find((i) => !before.has(i)));
  const stop = async () => {
    for (const p of [manager, worker]) p.kill("SIGTERM");
    await Promise.all([manager, worker].map((p) => exited(p, 15_000)));
  };
  return { manager, worker, run, store, id, stop };
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
    40_000,
    20,
  );
}

/** turn 2 is local's, unanswered: skipped after SKIP_S seconds; the traveller speaks turn 3; local's turn 4 waits */
async function turnTwoGoesBy(store: Store, id: string): Promise<void> {
  await waitFor("turn 2 skipped", async () => (await store.readLog(id)).some((m) => m.metadata.sequence_number === 2 && m.skipped === true), 40_000, 20);
  await personsTurn(store, id, 4);
}

const pause = (p: { pid?: number | undefined }) => process.kill(p.pid!, "SIGSTOP");
const resume = (p: { pid?: number | undefined }) => process.kill(p.pid!, "SIGCONT");

/** what local's turns came to, and every text said in the run */
async function outcome(store: Store, id: string) {
  const log = await store.readLog(id);
  return {
    local: log.filter((m) => m.metadata.agent_id === "local").map((m) => [m.metadata.sequence_number, m.skipped === true ? "[skipped]" : m.content.message]),
    texts: log.map((m) => m.content.message),
  };
}

describe("a say is for the turn it was meant for", () => {
  it("dialogue say --turn: the turn waiting records; a skipped turn, someone else's, one not come yet and one answered are refused in one line (exit 2), nothing recorded", async () => {
    const prefix = freshPrefix();
    const { manager, run, store, id, stop } = await startRun(prefix, 7);
    const say = (args: string[]) => runCli(["say", id, ...args, "--prefix", prefix], env());

    await turnTwoGoesBy(store, id);
    pause(manager); // turn 4 stays waiting (its timeout is the manager's) while the says are tried
    const late = await say(["--turn", "2", "Meant for turn two."]);
    const theirs = await say(["--turn", "3", "Not my turn."]);
    const early = await say(["--turn", "6", "Too soon."]);
    const right = await say(["--turn", "4", "Right on time."]);
    resume(manager);

    // the tester's case: a say meant for turn 2 is not taken for turn 4
    expect(late.code, late.stderr).toBe(2);
    expect(late.stdout).toBe("");
    expect(late.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^error: local's turn 2 was skipped, unanswered after 3 s \(limits\.human_turn_seconds\), before this was said; nothing was recorded \(turn 4 is .+'s, waiting for an answer\)$/),
      `hint: your turn now is turn 4: to answer it, dialogue say ${id} --turn 4 --prefix ${prefix} "…"`,
    ]);
    expect(theirs.code, theirs.stderr).toBe(2);
    expect(theirs.stderr).toMatch(new RegExp(`^error: turn 3 of ${id} was .+'s \\(traveller\\), not local's; nothing was recorded \\(turn 4 is .+'s, waiting for an answer\\)$`, "m"));
    expect(early.code, early.stderr).toBe(2);
    expect(early.stderr).toMatch(new RegExp(`^error: turn 6 of ${id} has not come yet \\(turn 4 is .+'s, waiting for an answer\\); nothing was recorded$`, "m"));
    expect(right.code, right.stderr).toBe(0);
    expect(right.stdout.trim()).toBe(`said as local (turn 4 of ${id})`);

    // turn 4 answered: a second say for it names what became of it
    await waitFor("turn 4 recorded", async () => ((await store.get(id))?.turns ?? 0) >= 4, 20_000, 20);
    const again = await say(["--turn", "4", "Once more."]);
    expect(again.code, again.stderr).toBe(2);
    expect(again.stderr).toMatch(/^error: local's turn 4 was already answered, \d+\.\d s ago; nothing was recorded \((turn \d is .+'s(, waiting for an answer)?|no turn is waiting)\)$/m);

    expect((await exited(run, 60_000)).code, run.err()).toBe(0);
    const { local, texts } = await outcome(store, id);
    expect(local).toEqual([
      [2, "[skipped]"],
      [4, "Right on time."],
      [6, "[skipped]"],
    ]);
    for (const t of ["Meant for turn two.", "Not my turn.", "Too soon.", "Once more."]) expect(texts).not.toContain(t);
    await stop();
  }, 150_000);

  it("dialogue say without --turn, started while turn 2 waited and reaching Redis after turn 4 began, is refused, not taken for turn 4; one said at turn 4 answers it", async () => {
    const prefix = freshPrefix();
    const { manager, run, store, id, stop } = await startRun(prefix, 5);
    // a `dialogue say` held right after it starts (a slow host or link), until the test lets it go on
    const gate = path.join(dir, `gate-${prefix}`);
    const hold = path.join(dir, "hold.cjs");
    writeFileSync(
      hold,
      `const fs = require("node:fs"); const g = process.env.SAY_TURN_GATE; if (g) { fs.writeFileSync(g + ".started", ""); const w = new Int32Array(new SharedArrayBuffer(4)); while (!fs.existsSync(g)) Atomics.wait(w, 0, 0, 20); }\n`,
    );

    await personsTurn(store, id, 2);
    const held = startCli(["say", id, "Meant for turn two.", "--prefix", prefix], env({ NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require ${hold}`.trim(), SAY_TURN_GATE: gate }));
    await waitFor("the say started", async () => existsSync(`${gate}.started`), 10_000, 5);
    expect((await store.get(id))!.turns, "turn 2 still waiting when the say was started").toBe(1);

    await turnTwoGoesBy(store, id);
    pause(manager);
    writeFileSync(gate, "");
    const r = await exited(held, 30_000);
    const now = await runCli(["say", id, "Said at turn four.", "--prefix", prefix], env());
    resume(manager);

    expect(r.code, held.err()).toBe(2);
    expect(held.out()).toBe("");
    expect(held.err().trim().split("\n")).toEqual([
      expect.stringMatching(/^error: local's turn 2 was skipped, unanswered after 3 s \(limits\.human_turn_seconds\) before this say reached it; it is not taken for their turn 4, which began \d+\.\d s after it was said: nothing was recorded$/),
      `hint: to answer turn 4, say it again for that turn: dialogue say ${id} --turn 4 --prefix ${prefix} "…"`,
    ]);
    expect(now.code, now.stderr).toBe(0);
    expect(now.stdout.trim()).toBe(`said as local (turn 4 of ${id})`);

    expect((await exited(run, 60_000)).code, run.err()).toBe(0);
    const { local, texts } = await outcome(store, id);
    expect(local).toEqual([
      [2, "[skipped]"],
      [4, "Said at turn four."],
    ]);
    expect(texts).not.toContain("Meant for turn two.");
    await stop();
  }, 150_000);

  describe("dialogue serve", () => {
    let served: Served;
    let chrome: Chromium;
    let browser: BrowserContext;
    const prefix = freshPrefix();
    beforeAll(async () => {
      served = await startServe(prefix);
      chrome = await launchChromium([]);
      browser = chrome.context;
    }, 60_000);
    afterAll(async () => {
      await chrome?.close();
      await served?.stop();
    });
    type Answer = { status: number; body: { error?: string; message: string; as?: string; seq?: number | null; result?: string } };
    const post = async (id: string, body: unknown): Promise<Answer> => {
      const r = await served.api(`/api/conversations/${id}/say`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      return { status: r.status, body: (await r.json()) as Answer["body"] };
    };

    it('POST say with "turn": a turn gone by or not come yet is 409 in one line, nothing recorded; the turn waiting is 202', async () => {
      const { manager, run, store, id, stop } = await startRun(prefix, 5);
      await turnTwoGoesBy(store, id);
      pause(manager);
      const late = await post(id, { text: "Meant for turn two.", turn: 2 });
      const early = await post(id, { text: "Too soon.", turn: 5 });
      const right = await post(id, { text: "Right on time.", turn: 4 });
      resume(manager);

      expect(late.status, late.body.message).toBe(409);
      expect(Object.keys(late.body).sort()).toEqual(["error", "message"]);
      expect(late.body.message).toMatch(/^local's turn 2 was skipped, unanswered after 3 s \(limits\.human_turn_seconds\), before this was said; nothing was recorded \(turn 4 is .+'s, waiting for an answer\)/);
      expect(late.body.message).not.toContain("\n");
      expect(early.status, early.body.message).toBe(409);
      expect(early.body.message).toMatch(new RegExp(`^turn 5 of ${id} has not come yet \\(turn 4 is .+'s, waiting for an answer\\); nothing was recorded`));
      expect(right.status, right.body.message).toBe(202);
      expect(right.body).toEqual({ id, as: "local", seq: 4, result: "queued", message: `said as local (turn 4 of ${id})` });

      expect((await exited(run, 60_000)).code, run.err()).toBe(0);
      const { local, texts } = await outcome(store, id);
      expect(local).toEqual([
        [2, "[skipped]"],
        [4, "Right on time."],
      ]);
      expect(texts).not.toContain("Meant for turn two.");
      expect(texts).not.toContain("Too soon.");
      await stop();
    }, 150_000);

    it("the page's box: what was sent at turn 2 and reached the server after turn 4 began is refused, not recorded as turn 4, and the page says so", async () => {
      const { manager, run, store, id, stop } = await startRun(prefix, 5);
      const page = await browser.newPage();
      await page.goto(`${served.url}/runs/${id}?token=${served.token}`);
      await page.waitForSelector("#person-form:not(.hidden)", { timeout: 60_000 });
      expect(await page.textContent("#person-who")).toMatch(/^Turn 2 is /);
      // the post is held on its way (a slow link) until turn 2 has gone by and turn 4 waits
      let release = (): void => undefined;
      const held = new Promise<void>((r) => (release = r));
      let posted: unknown = null;
      await page.route("**/api/conversations/*/say", async (route) => {
        posted = route.request().postDataJSON();
        await held;
        await route.continue();
      });
      await page.fill("#person-text", "Meant for turn two.");
      await page.click("#person-send");
      await waitFor("the post sent", async () => posted !== null, 10_000, 20);
      await turnTwoGoesBy(store, id);
      pause(manager); // turn 4 stays waiting while the page is read
      release();
      await page.waitForFunction(() => (document.getElementById("person-note")?.textContent ?? "").startsWith("turn 2: not sent"), undefined, { timeout: 20_000 });
      expect(await page.textContent("#person-note")).toMatch(/^turn 2: not sent \(local's turn 2 was skipped, unanswered after 3 s .*\) — “Meant for turn two\.”$/);
      resume(manager);
      await page.close();

      expect((await exited(run, 60_000)).code, run.err()).toBe(0);
      const { local, texts } = await outcome(store, id);
      expect(local).toEqual([
        [2, "[skipped]"],
        [4, "[skipped]"],
      ]);
      expect(texts).not.toContain("Meant for turn two.");
      await stop();
    }, 150_000);
  });
});
