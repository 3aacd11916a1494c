/**
 * The TUI in a real terminal (tmux), the way a user sees it: `dialogue run` in a 100×30 pane shows
 * the header, the story, the personas and a turn streaming, then the summary; `dialogue watch <id>`
 * in a second window follows the same run; `q` stops a run (a user stop, the cut turn kept) and
 * detaches a watcher; the live area never reaches the terminal's height (Ink would clear the whole
 * terminal); NO_COLOR turns colour off; and `dialogue replay --speed 10` takes about a tenth of the
 * run's time.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { cliEnv, runCli, waitFor } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { dialogueCommand, hasTmux, Tmux } from "../helpers/tmux.js";

let redis: Redis;
let dir: string;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
  dir = mkdtempSync(path.join(tmpdir(), "dialogue-tui-"));
});
afterAll(async () => {
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

const ESC = "\u001b";
/** an SGR sequence that sets a colour (foreground, background, 256 or RGB); 39 and 49 (back to the default) are not colours */
const COLOUR = new RegExp(`${ESC}\\[(?:[0-9;]*;)?(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;[0-9;]*)?m`);
/** CSI sequences that move the cursor or erase: what a pipe must never receive */
const CURSOR = new RegExp(`${ESC}\\[[0-9;?]*[ABCDEFGHJKSTfsu]|${ESC}\\[\\?25[lh]`);
/** erase the scrollback: written when the terminal shrinks (the transcript is then written again), never otherwise */
const CLEAR_TERMINAL = `${ESC}[3J`;

const idIn = (screen: string): string | null => /DialogueLLM · .* · (\d{8}-\d{6}-[0-9a-f]+)/.exec(screen)?.[1] ?? null;
const liveTurn = (screen: string): { seq: number; tokens: number; text: string } | null => {
  const m = /▍.+ · turn (\d+) · (\d+) tok.*\n((?: {2}.*\n?)*)/.exec(screen);
  return m ? { seq: Number(m[1]), tokens: Number(m[2]), text: (m[3] ?? "").replace(/\s+/g, " ").trim() } : null;
};

describe.skipIf(!hasTmux())("the TUI in a terminal", () => {
  it("run in 100×30: header, story, personas, tokens streaming, the summary; watch in a second window shows the same; replay ×10 takes a tenth", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const tmux = new Tmux(cliEnv(testRedisUrl()));
    const run = tmux.start(
      "t",
      dialogueCommand(["run", "--provider", "simulated", "--max-turns", "4", "--prefix", prefix, "--set", "simulated.tokens_per_second=30"]),
      { width: 100, height: 30 },
    );

    const header = await tmux.until(run, "the header", (s) => idIn(s) !== null && s.includes("A chance meeting"));
    const id = idIn(header)!;
    expect(header).toMatch(/\d\d:\d\d [█░]+ \d\d:\d\d left · turn \d of 4 · /);
    expect(header).toMatch(/● .+ \(traveller\) · simulated-1 \[simulated\]/);
    expect(header).toMatch(/● .+ \(local\) · simulated-1 \[simulated\]/);

    // a turn streaming: the same turn, seen twice, has grown
    const first = liveTurn(await tmux.until(run, "a turn streaming", (s) => (liveTurn(s)?.text.length ?? 0) > 5));
    const second = liveTurn(
      await tmux.until(run, "more of the same turn", (s) => {
        const t = liveTurn(s);
        return t !== null && t.seq === first!.seq && t.tokens > first!.tokens + 3;
      }),
    );
    expect(second!.text.length).toBeGreaterThan(first!.text.length);
    expect(second!.text).toContain(first!.text.slice(0, 5));
    const screenWhileStreaming = tmux.capture(run, { history: true });
    expect(screenWhileStreaming).toMatch(/Story: /);
    expect(screenWhileStreaming).toMatch(/Personas\n {2}● .+ — curious traveller\n {4}traits: /);
    expect(screenWhileStreaming).toMatch(/agent\s+tokens\s+t\/s last\s+t\/s mean\s+trend\s+ttft\s+queue/);
    // each agent in its own colour
    expect(tmux.capture(run, { escapes: true })).toMatch(COLOUR);

    // a second window attaches to the live run
    const watch = tmux.window("t", dialogueCommand(["watch", id, "--prefix", prefix]));
    await tmux.until(watch, "watch showing a turn streaming", (s) => idIn(s) === id && s.includes("q detach") && liveTurn(s) !== null);

    const end = await tmux.until(run, "the summary", (s) => s.includes("[exit 0]"), 60_000);
    expect(end).toContain("Ended: completed (max_turns) · 4 turns");
    expect(end).toMatch(/agent\s+turns\s+tokens\s+tok\/s mean\s+ttft mean\s+queue mean/);
    expect(end).toMatch(/● \S+ \S+ simulated-1 \[simulated\]\s+2\s+\d+\s+\d+\.\d\s+\d+ ms\s+\d+ ms/);
    const watched = await tmux.until(watch, "watch at the end", (s) => s.includes("[exit 0]"), 20_000);
    expect(watched).toContain("Ended: completed (max_turns) · 4 turns");

    const record = (await store.get(id))!;
    expect(record.stop_reason).toBe("max_turns");
    const messages = await store.readLog(id);
    expect(messages).toHaveLength(4);
    const flat = (s: string): string => s.replace(/\s+/g, " ");
    const runText = flat(tmux.capture(run, { history: true }));
    const watchText = flat(tmux.capture(watch, { history: true }));
    for (const m of messages) {
      const words = flat(m.content.message).slice(0, 60);
      expect(runText).toContain(words);
      expect(watchText).toContain(words);
    }

    // the same run replayed: at ×10 it takes about a tenth of its duration (startup measured at ×0)
    const duration = record.ended_at! - record.started_at!;
    const env = cliEnv(testRedisUrl());
    const instant = await runCli(["replay", id, "--prefix", prefix, "--speed", "0", "--plain"], env);
    const tenfold = await runCli(["replay", id, "--prefix", prefix, "--speed", "10", "--plain"], env);
    expect(instant.code).toBe(0);
    expect(tenfold.code).toBe(0);
    expect(tenfold.stdout).toBe(instant.stdout);
    expect(tenfold.stdout).toContain("Ended: completed (max_turns) · 4 turns");
    const replayed = tenfold.ms - instant.ms;
    expect(duration).toBeGreaterThan(4000);
    expect(replayed).toBeGreaterThan(0.05 * duration);
    expect(replayed).toBeLessThan(0.2 * duration);

    // and in the TUI, token by token, with the same summary
    const replay = tmux.window("t", dialogueCommand(["replay", id, "--prefix", prefix, "--speed", "4"]));
    const replaying = await tmux.until(replay, "the replay streaming", (s) => s.includes("replay ×4") && liveTurn(s) !== null);
    expect(idIn(replaying)).toBe(id);
    const replayEnd = await tmux.until(replay, "the replay's end", (s) => s.includes("[exit 0]"), 20_000);
    expect(replayEnd).toContain("Ended: completed (max_turns) · 4 turns");
    tmux.kill();
  }, 120_000);

  it("q in run stops the conversation as a user stop, the cut turn kept; q in watch detaches and the run goes on; NO_COLOR", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const tmux = new Tmux(cliEnv(testRedisUrl()));
    const run = tmux.start(
      "q",
      dialogueCommand(["run", "--provider", "simulated", "--max-turns", "20", "--prefix", prefix, "--set", "simulated.tokens_per_second=30"]),
      { width: 100, height: 30 },
      { NO_COLOR: "1" },
    );
    const id = idIn(await tmux.until(run, "the header", (s) => idIn(s) !== null))!;
    const watch = tmux.window("q", dialogueCommand(["watch", id, "--prefix", prefix]));
    await tmux.until(run, "turn 2 streaming", (s) => (liveTurn(s)?.seq ?? 0) === 2 && liveTurn(s)!.text.length > 10);
    await tmux.until(watch, "the watcher on turn 2", (s) => liveTurn(s)?.seq === 2);

    tmux.keys(watch, "q");
    const detached = await tmux.until(watch, "the watcher gone", (s) => s.includes("[exit 0]"), 10_000);
    expect(detached).toContain(`detached from ${id}`);
    expect((await store.get(id))!.status).toBe("running");

    expect(tmux.capture(run, { escapes: true })).not.toMatch(COLOUR);
    tmux.keys(run, "q");
    const stopped = await tmux.until(run, "the run stopped", (s) => s.includes("[exit 0]"), 20_000);
    expect(stopped).toContain("Ended: stopped (user_stop) · 2 turns");
    expect(tmux.capture(run, { history: true })).toContain("q: stopping the conversation");
    const record = (await store.get(id))!;
    expect(record.status).toBe("stopped");
    expect(record.stop_reason).toBe("user_stop");
    const messages = await store.readLog(id);
    expect(messages.map((m) => m.metadata.sequence_number)).toEqual([1, 2]);
    expect(messages[1]!.cut).toBe(true);
    expect(messages[1]!.content.message.length).toBeGreaterThan(10);
    expect(tmux.capture(run, { history: true })).toMatch(/turn 2 \[cut\]/);
    tmux.kill();
  }, 90_000);

  it("Ctrl-C stops gracefully and says so; a second Ctrl-C quits at once (exit 130) and gives the terminal back", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const tmux = new Tmux(cliEnv(testRedisUrl()));
    const run = tmux.start(
      "c",
      dialogueCommand(["run", "--provider", "simulated", "--max-turns", "20", "--prefix", prefix, "--set", "simulated.tokens_per_second=10"]),
      { width: 100, height: 30 },
    );
    const id = idIn(await tmux.until(run, "a turn streaming", (s) => liveTurn(s) !== null && idIn(s) !== null))!;
    tmux.keys(run, "C-c");
    await tmux.until(run, "the stop notice", (s) => s.includes("Ctrl-C: stopping the conversation") && s.includes("Ctrl-C again quits at once"));
    tmux.keys(run, "C-c");
    const quit = await tmux.until(run, "the launcher gone", (s) => s.includes("[exit 130]"), 10_000);
    expect(quit).toContain(`quit; conversation ${id} is kept in Redis as it was`);
    // raw mode is off again: what is typed now is echoed by the terminal
    tmux.keys(run, "typed-after");
    await tmux.until(run, "the echo", (s) => s.includes("typed-after"), 5000);
    expect((await store.get(id))!.stop_reason).toBe("user_stop");
    tmux.kill();
  }, 60_000);

  it("in 80×24 with the story and the help open, and through resizes, the live area stays shorter than the terminal", async () => {
    const prefix = freshPrefix();
    const tmux = new Tmux(cliEnv(testRedisUrl()));
    const raw = path.join(dir, "small.raw");
    const run = tmux.start(
      "s",
      dialogueCommand(["run", "--provider", "simulated", "--max-turns", "3", "--prefix", prefix, "--set", "simulated.tokens_per_second=30"]),
      { width: 80, height: 24 },
    );
    tmux.record(run, raw);
    await tmux.until(run, "a turn streaming", (s) => liveTurn(s) !== null);
    tmux.keys(run, "s");
    const story = await tmux.until(run, "the story panel", (s) => /^ {2}Story: /m.test(s));
    tmux.keys(run, "?");
    const help = await tmux.until(run, "the help panel", (s) => s.includes("show or hide this help"));
    for (const screen of [story, help]) expect(screen.split("\n").every((l) => l.length <= 80)).toBe(true);
    // the live area never reaches the terminal's height, so Ink never clears the terminal by itself
    await waitFor("the recording so far", async () => readFileSync(raw, "utf8").includes("show or hide this help"), 5000);
    expect(readFileSync(raw, "utf8")).not.toContain(CLEAR_TERMINAL);
    tmux.resize(run, 64, 24);
    await tmux.until(run, "the narrower layout", (s) => /^─{64}$/m.test(s));
    tmux.resize(run, 100, 30);
    await tmux.until(run, "the wider layout", (s) => /^─{100}$/m.test(s));
    const end = await tmux.until(run, "the end", (s) => s.includes("[exit 0]"), 60_000);
    expect(end).toContain("Ended: completed (max_turns)");
    // after a shrink, nothing of the old frame is left behind: one header on screen
    expect(end.match(/DialogueLLM · /g)).toHaveLength(1);
    await waitFor("the recording", async () => readFileSync(raw, "utf8").includes("Ended: "), 15_000);
    // the one shrink cleared the terminal (the growing did not)
    expect(readFileSync(raw, "utf8").split(CLEAR_TERMINAL).length - 1).toBe(1);
    tmux.kill();
  }, 90_000);

  it("shrinking 120×35 → 80×24 mid-run leaves no broken copy of the live area in the scrollback; ?s in one send-keys opens the help and then the story; no line splits an id", async () => {
    const prefix = freshPrefix();
    const tmux = new Tmux(cliEnv(testRedisUrl()));
    const run = tmux.start(
      "w",
      dialogueCommand(["run", "--provider", "simulated", "--max-turns", "6", "--prefix", prefix, "--set", "simulated.tokens_per_second=40"]),
      { width: 120, height: 35 },
    );
    const id = idIn(await tmux.until(run, "turn 2 streaming", (s) => (liveTurn(s)?.seq ?? 0) >= 2 && idIn(s) !== null, 30_000))!;
    expect(tmux.capture(run)).toContain(`DialogueLLM · SIMULATED · A chance meeting · ${id}`);
    // both keys in one write, as a fast typist (or a paste) sends them
    tmux.keys(run, "?s");
    await tmux.until(run, "the help and the story", (s) => s.includes("show or hide this help") && /^ {2}Story: /m.test(s));
    tmux.resize(run, 80, 24);
    await tmux.until(run, "the end", (s) => s.includes("[exit 0]"), 60_000);
    const history = tmux.capture(run, { history: true });
    // one live area (the end screen's), each finished turn once, and nothing wider than the
    // terminal: what was drawn at 120 columns is gone, not left behind re-wrapped mid-word
    expect(history.match(/DialogueLLM · /g)).toHaveLength(1);
    for (let n = 1; n <= 6; n++) expect(history.match(new RegExp(`^▍.+ · turn ${n}(?!\\d)`, "gm")), `turn ${n}`).toHaveLength(1);
    expect(history.split("\n").filter((l) => l.length > 80)).toEqual([]);
    // every id on screen is whole: none is split over two rows (the closing hint included)
    const ids = [...history.matchAll(/\d{8}-\d{6}(?:-[0-9a-f]*)?/g)].map((m) => m[0]);
    expect(ids.length).toBeGreaterThan(2);
    expect(ids.filter((x) => x !== id)).toEqual([]);
    expect(history).toContain(`  see it again: dialogue show ${id}`);
    tmux.kill();
  }, 90_000);

  it("`dialogue run --provider simulated --max-turns 2 | cat` writes no cursor-movement codes", async () => {
    const prefix = freshPrefix();
    const tmux = new Tmux(cliEnv(testRedisUrl()));
    const raw = path.join(dir, "piped.raw");
    const run = tmux.start("p", `sleep 0.3; ${dialogueCommand(["run", "--provider", "simulated", "--max-turns", "2", "--prefix", prefix, "--set", "simulated.tokens_per_second=200"], { pipe: "cat" })}`, {
      width: 100,
      height: 30,
    });
    tmux.record(run, raw);
    await tmux.until(run, "the end", (s) => s.includes("[exit 0]"), 60_000);
    const bytes = readFileSync(raw, "utf8");
    expect(bytes).toContain("Ended: completed (max_turns) · 2 turns");
    expect(bytes).toMatch(/\[1\] [A-Z][a-z]+ [A-Z][a-z]+ \(curious traveller/);
    expect(bytes).not.toMatch(CURSOR);
    expect(bytes).not.toContain(ESC);
    tmux.kill();
  }, 60_000);
});
