/**
 * What the TUI shows on a real terminal (tmux) where nothing is live: `dialogue replay` of a run
 * with a person shows their turn as recorded (skipped, here), never a countdown or an input line.
 */
import { describe, expect, it } from "vitest";
import { cliEnv } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { simulatedRun } from "../helpers/runs.js";
import { dialogueCommand, hasTmux, Tmux } from "../helpers/tmux.js";

/** the live area: from the header down (the transcript and its notices are above it) */
const liveArea = (screen: string): string => screen.slice(screen.lastIndexOf("DialogueLLM · "));

describe.skipIf(!hasTmux())("the TUI in a terminal, where nothing is live", () => {
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
