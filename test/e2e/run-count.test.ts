/**
 * `dialogue run --count N`: N conversations of one configuration started together and served by
 * one manager and one worker per pool (the real CLI and its child processes, a real Redis).
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStored } from "../../src/redis/analysis-store.js";
import { Store } from "../../src/redis/store.js";
import { cliEnv, runCli } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { dialogueCommand, hasTmux, Tmux } from "../helpers/tmux.js";

let redis: Redis;
beforeAll(async () => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

const fast = ["--provider", "simulated", "--set", "simulated.tokens_per_second=0", "--set", "simulated.time_to_first_token_ms=0", "--set", "queues.worker_concurrency=3"];

describe("dialogue run --count 3 --max-turns 4", () => {
  const prefix = freshPrefix();
  let r: Awaited<ReturnType<typeof runCli>>;
  beforeAll(async () => {
    // the response jobs are kept, to read which manager recorded each turn
    r = await runCli(["run", "--count", "3", "--max-turns", "4", "--plain", "--prefix", prefix, ...fast, "--set", "queues.keep_responses=true"], cliEnv(testRedisUrl()));
  }, 60_000);

  it("prints a line as each conversation ends, then the total, and exits 0", () => {
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(4);
    for (const [i, line] of lines.slice(0, 3).entries()) {
      expect(line).toMatch(new RegExp(`^\\[${i + 1}/3\\] \\d{8}-\\d{6}-[0-9a-f]+ completed \\(max_turns\\) · 4 turns · [\\d,]+ tokens · [\\d.]+ s$`));
    }
    expect(lines[3]).toMatch(/^3 conversations: 3 completed · 12 turns · [\d,]+ tokens · [\d.]+ s · [\d.,]+ turns\/s$/);
    // not a terminal: no progress line redrawn in place, on either stream
    expect(r.stderr).not.toMatch(/\r|\d+ running · /);
  });

  it("records three separate conversations, each complete, with its analysis stored", async () => {
    const store = new Store(redis, prefix);
    const ids = await store.listIds();
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) {
      expect(r.stdout).toContain(id);
      const rec = await store.get(id);
      expect(rec?.status).toBe("completed");
      expect(rec?.stop_reason).toBe("max_turns");
      const msgs = await store.readLog(id);
      expect(msgs.map((m) => m.metadata.sequence_number)).toEqual([1, 2, 3, 4]);
      expect((await readStored(store, id)).analysis?.run.turns).toBe(4);
    }
  });

  it("one manager and one worker per pool served them all", async () => {
    const store = new Store(redis, prefix);
    const msgs = (await Promise.all((await store.listIds()).map((id) => store.readLog(id)))).flat();
    const workerPids = (agent: string) => new Set(msgs.filter((m) => m.metadata.agent_id === agent).map((m) => m.metadata.worker.pid));
    const agents = [...new Set(msgs.map((m) => m.metadata.agent_id))];
    expect(agents).toHaveLength(2);
    for (const a of agents) expect(workerPids(a).size).toBe(1);
    // every response job was processed by the one manager process
    const keys = (await redis.keys(`{${prefix}/*}:responses.*`)).filter((k) => /\.\d+$/.test(k));
    expect(keys).toHaveLength(12);
    const managers = new Set(await Promise.all(keys.map((k) => redis.hget(k, "processedBy"))));
    expect(managers.size).toBe(1);
  });
});

describe("dialogue run --count 2 --json", () => {
  it("one JSON object per ended conversation, then the total", async () => {
    const prefix = freshPrefix();
    const r = await runCli(["run", "--count", "2", "--max-turns", "2", "--json", "--prefix", prefix, ...fast], cliEnv(testRedisUrl()));
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.map((e) => e.type)).toEqual(["ended", "ended", "total"]);
    // with the turns that went wrong (none here), as the text lines say them
    expect(events[0]).toMatchObject({ n: 1, of: 2, status: "completed", stop_reason: "max_turns", turns: 2, failed_turns: 0, stalled_turns: 0 });
    expect(events[2]).toMatchObject({ conversations: 2, statuses: { completed: 2 }, turns: 4, failed_turns: 0, stalled_turns: 0 });
    expect(events[2]?.turns_per_second).toBeGreaterThan(0);
  }, 60_000);
});

describe("dialogue run --help", () => {
  it("documents --count", async () => {
    const r = await runCli(["run", "--help"], cliEnv(testRedisUrl()));
    expect(r.stdout).toMatch(/--count <n>/);
    expect(r.stdout).toMatch(/worker_concurrency/);
  });
});

describe.skipIf(!hasTmux())("dialogue run --count 3 on a terminal", () => {
  it("shows live progress while it waits: done, running, queued, the turns so far and a bar; the lines as each ends", async () => {
    const prefix = freshPrefix();
    const tmux = new Tmux(cliEnv(testRedisUrl()));
    const pane = tmux.start(
      "b",
      dialogueCommand(["run", "--count", "3", "--max-turns", "4", "--provider", "simulated", "--prefix", prefix, "--set", "simulated.tokens_per_second=60", "--set", "queues.worker_concurrency=3"]),
      { width: 100, height: 30 },
    );
    const live = await tmux.until(pane, "the progress line", (s) => /\[[█░]{20}\] [0-2]\/3 done · \d running · \d queued · \d+ turns? · \d+ s/.test(s), 30_000);
    const m = /\[[█░]{20}\] (\d)\/3 done · (\d) running · (\d) queued/.exec(live)!;
    expect(Number(m[1]) + Number(m[2]) + Number(m[3])).toBe(3);
    const end = await tmux.until(pane, "the end", (s) => s.includes("[exit 0]"), 60_000);
    expect(end).toMatch(/^\[3\/3\] \d{8}-\d{6}-[0-9a-f]+ completed \(max_turns\) · 4 turns/m);
    expect(end).toMatch(/^3 conversations: 3 completed · 12 turns/m);
    // the progress line is gone once it is over
    expect(end).not.toMatch(/ done · \d running · /);
    tmux.kill();
  }, 90_000);
});
