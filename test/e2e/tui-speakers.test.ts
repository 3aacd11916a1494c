/**
 * Five speakers in a real 80×24 terminal (tmux): `dialogue run --scenario town-hall` shows a
 * header row and a stats row for each agent, each speaker in a colour of its own, with the story
 * and the help open the live area never reaches the terminal's height (Ink would clear the whole
 * terminal, scrollback included), and nothing is drawn wider than the terminal.
 */
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { cliEnv, waitFor } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { dialogueCommand, hasTmux, Tmux } from "../helpers/tmux.js";

let redis: Redis;
let dir: string;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
  dir = mkdtempSync(path.join(tmpdir(), "dialogue-speakers-"));
});
afterAll(async () => {
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

const ESC = "\u001b";
const CLEAR_SCROLLBACK = `${ESC}[3J`;

describe.skipIf(!hasTmux())("five speakers in 80×24", () => {
  it("a header row and a stats row per agent, a colour each, the live area shorter than the terminal with the story and the help open", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const tmux = new Tmux(cliEnv(testRedisUrl()));
    const raw = path.join(dir, "town-hall.raw");
    const run = tmux.start(
      "h",
      dialogueCommand(["run", "--scenario", "town-hall", "--provider", "simulated", "--max-turns", "6", "--prefix", prefix, "--set", "simulated.tokens_per_second=40"]),
      { width: 80, height: 24 },
    );
    tmux.record(run, raw);
    const id = await waitFor("the conversation", async () => (await store.listIds())[0], 30_000);
    const ids = ["chair", "officer", "shopkeeper", "commuter", "resident"];
    const screen = await tmux.until(run, "turn 3 streaming", (s) => /▍.+ · shopkeeper · turn 3 · \d+ tok/.test(s), 60_000);
    for (const a of ids) {
      expect(screen, a).toMatch(new RegExp(`^● .+ \\(${a}\\) · simulated-1 \\[simulated\\]$`, "m"));
    }
    const stats = screen.slice(screen.indexOf("agent "));
    expect(stats.split("\n").filter((l) => /^[ ▸] \S/.test(l))).toHaveLength(5);

    tmux.keys(run, "s");
    const story = await tmux.until(run, "the story panel", (s) => /^ {2}Story: /m.test(s));
    tmux.keys(run, "?");
    // (the help comes first; with five agents there is room for a few rows of it, and the turn keeps its own)
    const help = await tmux.until(run, "the help panel", (s) => /^Keys$/m.test(s));
    for (const s of [story, help]) expect(s.split("\n").every((l) => l.length <= 80)).toBe(true);

    const end = await tmux.until(run, "the end", (s) => s.includes("[exit 0]"), 90_000);
    expect(end).toContain("Ended: completed (max_turns) · 6 turns");
    const messages = await store.readLog(id);
    expect(messages.map((m) => m.metadata.agent_id)).toEqual([...ids, "chair"]);

    // each speaker's transcript heading in a colour of its own
    const coloured = tmux.capture(run, { history: true, escapes: true });
    const colourOf = (agent: string): string | undefined =>
      // eslint-disable-next-line no-control-regex
      new RegExp(`\\u001b\\[[0-9;]*?(3[0-7]|9[0-7]|38;5;\\d+)m[^\\n]*▍[^\\n]*· ${agent} · turn`).exec(coloured)?.[1];
    const colours = ids.map(colourOf);
    expect(colours.every((c) => c !== undefined), colours.join(" ")).toBe(true);
    expect(new Set(colours).size).toBe(5);

    const history = tmux.capture(run, { history: true });
    expect(history.split("\n").filter((l) => l.length > 80)).toEqual([]);
    await waitFor("the recording", async () => readFileSync(raw, "utf8").includes("Ended: "), 15_000);
    expect(readFileSync(raw, "utf8")).not.toContain(CLEAR_SCROLLBACK);
    tmux.kill();
  }, 150_000);
});
