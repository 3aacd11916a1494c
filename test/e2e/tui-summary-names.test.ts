/**
 * The end summary in a real 80×24 terminal (tmux) with five agents: `dialogue run --agents 5` ends
 * on a table with a row per agent, each headed by the agent's whole name (as the live stats table
 * shows it) or, when the name cannot fit, its id — never a stump of the name — and nothing wider
 * than the terminal.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { cliEnv, waitFor } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { dialogueCommand, hasTmux, Tmux } from "../helpers/tmux.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

describe.skipIf(!hasTmux())("the end summary in 80×24", () => {
  it("names each of five agents whole (or by id), within 80 columns", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const tmux = new Tmux(cliEnv(testRedisUrl()));
    const run = tmux.start("s", dialogueCommand(["run", "--agents", "5", "--provider", "simulated", "--max-turns", "6", "--prefix", prefix, "--set", "simulated.tokens_per_second=0"]), { width: 80, height: 24 });
    const id = await waitFor("the conversation", async () => (await store.listIds())[0], 30_000);
    const end = await tmux.until(run, "the end", (s) => s.includes("[exit 0]"), 90_000);
    const history = tmux.capture(run, { history: true });
    const summary = history.slice(history.indexOf("Ended: "));
    const rows = summary.split("\n").filter((l) => l.startsWith("● "));
    const rec = await store.get(id);
    const personas = rec?.personas ?? [];
    expect(personas).toHaveLength(5);
    expect(rows).toHaveLength(5);
    personas.forEach((p, i) => {
      // the whole name, or the id: what follows it is the model, the badge or the figures
      expect(rows[i], p.name).toMatch(new RegExp(`^● (${p.name}|${p.agent_id}) (simulated|\\[simulated\\])`));
    });
    // the summary row heading holds every figure column, and nothing is wider than the terminal
    expect(summary).toMatch(/^agent\s+turns\s+tokens\s+tok\/s mean\s+ttft mean\s+queue mean$/m);
    expect(history.split("\n").filter((l) => l.length > 80)).toEqual([]);
    expect(end).toContain("Ended: completed (max_turns) · 6 turns");
    tmux.kill();
  }, 150_000);
});
