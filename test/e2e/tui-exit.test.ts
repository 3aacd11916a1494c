/**
 * What the TUI leaves on a real terminal (tmux): `dialogue run` quit at once by a second Ctrl-C
 * ends on a frame that says what was done — its manager and workers killed without waiting for
 * the stop — with no keys and no live status; and `dialogue replay` of a run with a person shows
 * their turn as recorded (skipped, here), never a countdown or an input line.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { cliEnv } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { simulatedRun } from "../helpers/runs.js";
import { dialogueCommand, hasTmux, Tmux } from "../helpers/tmux.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

const idIn = (screen: string): string | null => /DialogueLLM · .* · (\d{8}-\d{6}-[0-9a-f]+)/.exec(screen)?.[1] ?? null;
/** the live area: from the header down (the transcript and its notices are above it) */
const liveArea = (screen: string): string => screen.slice(screen.lastIndexOf("DialogueLLM · "));
const flat = (s: string): string => s.replace(/\s+/g, " ");

describe.skipIf(!hasTmux())("the TUI's last frame in a terminal", () => {
  it("run: a second Ctrl-C quits at once, and the last frame says the manager and workers were killed, with no keys", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const tmux = new Tmux(cliEnv(testRedisUrl()));
    const run = tmux.start(
      "x",
      dialogueCommand(["run", "--provider", "simulated", "--max-turns", "20", "--prefix", prefix, "--set", "simulated.tokens_per_second=10"]),
      { width: 100, height: 30 },
    );
    const id = idIn(await tmux.until(run, "a turn streaming", (s) => /▍.+ · turn \d+ · \d+ tok/.test(s) && idIn(s) !== null))!;
    tmux.keys(run, "C-c");
    await tmux.until(run, "the stop notice", (s) => s.includes("Ctrl-C again quits at once"));
    tmux.keys(run, "C-c");
    const screen = await tmux.until(run, "the launcher gone", (s) => s.includes("[exit 130]"), 10_000);
    const last = liveArea(screen);
    expect(idIn(last)).toBe(id);
    expect(last).toMatch(/\d\d:\d\d [█░]+ of \d\d:\d\d · turn \d+ of 20 · quit · last seen (running|stopping \(user_stop\)|stopped \(user_stop\))/);
    expect(flat(last)).toContain("Quit at once (a second Ctrl-C): the manager and the workers this run started were killed, without waiting any longer for the stop.");
    expect(last).toContain(`quit; conversation ${id} is kept in Redis as it was`);
    for (const key of ["q stop", "s story", "? help", "Ctrl-C ×2", "Ctrl-C again quits at once"]) expect(last).not.toContain(key);
    expect(last).not.toMatch(/ left · |· running\b/);
    expect(last).not.toMatch(/agent\s+tokens\s+t\/s last/);
    expect((await store.get(id))!.stop_reason).toBe("user_stop");
    tmux.kill();
  }, 60_000);

  it("replay: a person's skipped turn shows as recorded, with no countdown and no input line", async () => {
    const prefix = freshPrefix();
    const { id } = await simulatedRun(prefix, ["--person", "local", "--max-turns", "3", "--set", "limits.human_turn_seconds=2", "--set", "simulated.tokens_per_second=200"]);
    const tmux = new Tmux(cliEnv(testRedisUrl()));
    // at half speed the person's two seconds last four
    const replay = tmux.start("r", dialogueCommand(["replay", id, "--prefix", prefix, "--speed", "0.5"]), { width: 100, height: 30 });
    const turn = await tmux.until(replay, "the person's turn", (s) => /▍.+ · local · turn 2 · a person/.test(liveArea(s)), 30_000);
    const live = liveArea(turn);
    expect(live).toContain("as recorded: no answer within 2 s (limits.human_turn_seconds): the turn was skipped");
    expect(live).not.toMatch(/\d+ s left|time is up/);
    expect(live).not.toContain("Your turn");
    expect(live).not.toContain("waiting for");
    expect(live).not.toContain("Enter");
    expect(live).toContain("q quit · s story · ? help");
    const end = await tmux.until(replay, "the replay's end", (s) => s.includes("[exit 0]"), 30_000);
    expect(liveArea(end)).toContain("Ended: completed (max_turns) · 3 turns (1 skipped)");
    tmux.kill();
  }, 120_000);
});
