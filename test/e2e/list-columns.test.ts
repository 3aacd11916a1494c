/**
 * What `dialogue list` says of each run: how many agents it had and its scenario (runs of 2, 4 and
 * 5 agents told apart, in the table and in --json), and a duration that means one thing whatever
 * the run's end: a run going on is timed to its latest sign of life, so the figure does not shrink
 * when it is found abandoned, and a run with no turn has none ("–") however it ended.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { load } from "../../src/config/load.js";
import { buildSpec } from "../../src/manager/spec.js";
import { Store } from "../../src/redis/store.js";
import { cliEnv, runCli } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { startServe } from "../helpers/serve.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

interface Row {
  id: string;
  status: string;
  stop_reason: string | null;
  duration_s: number | null;
  turns: number;
  scenario: string;
  agent_count: number;
}

async function list(prefix: string): Promise<{ rows: Row[]; table: string[] }> {
  const env = cliEnv(testRedisUrl());
  const json = await runCli(["list", "--json", "--prefix", prefix], env);
  expect(json.code, json.stderr).toBe(0);
  const text = await runCli(["list", "--prefix", prefix], env);
  expect(text.code, text.stderr).toBe(0);
  return { rows: json.stdout.trim().split("\n").map((l) => JSON.parse(l) as Row), table: text.stdout.trim().split("\n") };
}

/** a run created as a launcher would, its record then set by hand to the state under test */
async function made(store: Store, fields: Record<string, string | number>): Promise<string> {
  const spec = buildSpec(load({ env: {} }).config!, "simulated");
  await store.create(spec);
  await redis.hset(store.keys.record(spec.id), fields);
  return spec.id;
}

describe("list: agents and scenario", () => {
  it("runs of 2, 4 and 5 agents are told apart by an AGENTS column and their scenario, in the table and in --json", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    for (const n of ["2", "4", "5"]) {
      const r = await runCli(["run", "--agents", n, "--provider", "simulated", "--max-turns", "1", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=0"], env, 90_000);
      expect(r.code, r.stderr).toBe(0);
    }
    const { rows, table } = await list(prefix);
    // newest first
    expect(rows.map((r) => r.agent_count)).toEqual([5, 4, 2]);
    for (const r of rows) expect(r.scenario).not.toBe("");
    const [head, ...lines] = table;
    expect(head).toMatch(/^ID\s+STARTED \(UTC\)\s+DURATION\s+TURNS\s+AGENTS\s+STATUS\s+SCENARIO\s+MODELS$/);
    rows.forEach((r, i) => expect(lines[i]).toMatch(new RegExp(`^${r.id}\\s+\\S+ \\S+\\s+\\S+\\s+1\\s+${r.agent_count}\\s+completed \\(max_turns\\)\\s+${r.scenario}\\s+simulated-1 \\[simulated\\]$`)));
  }, 240_000);
});

describe("list: what the duration means", () => {
  it("a run going on is timed to its latest sign of life: found abandoned, it shows the same figure; show agrees", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const now = Date.now();
    // started 10 s ago; its manager last renewed the lease 4.3 s after the start, and the lease still holds
    const id = await made(store, { status: "running", started_at: now - 10_000, renewed_at: now - 5_700, lease_until: now + 60_000, turns: 2 });
    const before = await list(prefix);
    expect(before.rows[0]).toMatchObject({ id, status: "running", duration_s: 4.3 });
    expect(before.table[1]).toMatch(new RegExp(`^${id}\\s+\\S+ \\S+\\s+4\\.3s\\s+2\\s+2\\s+running`));
    const shown = await runCli(["show", id, "--json", "--prefix", prefix], cliEnv(testRedisUrl()));
    expect((JSON.parse(shown.stdout) as { summary: { duration_s: number | null } }).summary.duration_s).toBe(4.3);

    // nothing happened since; the lease runs out: list finds it abandoned, ended at that last sign of life
    await redis.hset(store.keys.record(id), "lease_until", now - 5_699);
    const after = await list(prefix);
    expect(after.rows[0]).toMatchObject({ id, status: "failed", stop_reason: "abandoned", duration_s: 4.3 });
    expect(after.table[1]).toMatch(new RegExp(`^${id}\\s+\\S+ \\S+\\s+4\\.3s\\s+2\\s+2\\s+failed \\(abandoned\\)`));
  }, 60_000);

  it("a run with no turn has no duration, whether it was stopped before its dialogue began or abandoned once it had", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const now = Date.now();
    const stopped = await made(store, { status: "stopped", stop_reason: "user_stop", ended_at: now - 1_000 });
    const abandoned = await made(store, { status: "running", started_at: now - 3_000, lease_until: now - 2_000 });
    const { rows, table } = await list(prefix);
    for (const id of [abandoned, stopped]) expect(rows.find((r) => r.id === id)).toMatchObject({ turns: 0, duration_s: null });
    for (const id of [abandoned, stopped]) {
      expect(table.find((l) => l.startsWith(id))).toMatch(new RegExp(`^${id}\\s+\\S+ \\S+\\s+–\\s+0\\s+2\\s+(stopped|failed \\(abandoned\\))`));
    }
    expect(rows.find((r) => r.id === abandoned)?.stop_reason).toBe("abandoned");
    const shown = await runCli(["show", abandoned, "--prefix", prefix], cliEnv(testRedisUrl()));
    expect(shown.stdout).toMatch(/· 0 turns · 0 tokens · –$/m);
  }, 60_000);

  it("the web API's list gives the same durations: a run going on to its latest sign of life, none for a run with no turn", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const now = Date.now();
    const going = await made(store, { status: "running", started_at: now - 10_000, renewed_at: now - 5_700, lease_until: now + 60_000, turns: 2 });
    const stopped = await made(store, { status: "stopped", stop_reason: "user_stop", started_at: now - 3_000, ended_at: now - 1_000 });
    const server = await startServe(prefix);
    try {
      const r = await server.api("/api/conversations");
      expect(r.status).toBe(200);
      const { conversations } = (await r.json()) as { conversations: Array<{ id: string; duration_s: number | null; tokens_per_second: number | null }> };
      expect(conversations.find((c) => c.id === going)?.duration_s).toBe(4.3);
      expect(conversations.find((c) => c.id === stopped)).toMatchObject({ duration_s: null, tokens_per_second: null });
      const { rows } = await list(prefix);
      for (const c of conversations) expect(c.duration_s).toBe(rows.find((x) => x.id === c.id)?.duration_s);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
