/**
 * `dialogue analyze` on a run made by `dialogue run --provider simulated`, read back from Redis
 * by new processes: the same report as the end screen, the JSON against the documented schema,
 * Markdown, windows, the judge, compare, and bad input.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ANALYSIS_VERSION, AnalysisSchema, type Analysis } from "../../src/analysis/schema.js";
import { Store } from "../../src/redis/store.js";
import { ROOT } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { cli, FAST, simulatedRun } from "../helpers/runs.js";

const documented = z.fromJSONSchema(JSON.parse(readFileSync(path.join(ROOT, "docs", "analysis.schema.json"), "utf8")) as Parameters<typeof z.fromJSONSchema>[0]);

let redis: Redis;
const prefix = freshPrefix();
let run: Awaited<ReturnType<typeof simulatedRun>>;
beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  run = await simulatedRun(prefix, ["--max-turns", "8", ...FAST]);
}, 90_000);
afterAll(async () => {
  await redis.quit();
});

const json = async (args: string[]): Promise<Analysis> => {
  const r = await cli(prefix, ["analyze", run.id, "--json", ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Analysis;
};

describe("after dialogue run", () => {
  it("the end screen is the analysis report, and analyze in a new process shows the same figures", async () => {
    expect(run.stdout).toContain(`Analysis of ${run.id}`);
    const stored = await cli(prefix, ["analyze", run.id]);
    expect(stored.code).toBe(0);
    expect(stored.stderr).toContain("analysis: stored");
    expect(run.stdout.endsWith(stored.stdout)).toBe(true);
    // recomputed from the log in Redis by another process: still the same
    const fresh = await cli(prefix, ["analyze", run.id, "--refresh"]);
    expect(fresh.stderr).toContain("analysis: computed");
    expect(fresh.stdout).toBe(stored.stdout);
    expect(stored.stdout).toMatch(/tokens\/s mean · p50 · p95 +[\d.,]+ · [\d.,]+ · [\d.,]+ +[\d.,]+ · [\d.,]+ · [\d.,]+/);
    expect(stored.stdout).toMatch(/Over time: 4 windows of 2t \(auto\)/);
  });

  it("the analysis is stored with the run", async () => {
    const h = await redis.hgetall(new Store(redis, prefix).keys.analysis(run.id));
    expect(h.version).toBe(String(ANALYSIS_VERSION));
    expect(AnalysisSchema.parse(JSON.parse(h.report ?? "")).run.turns).toBe(8);
  });

  it("--json validates against docs/analysis.schema.json and holds the run's figures", async () => {
    const a = await json([]);
    const check = documented.safeParse(a);
    expect(check.success, JSON.stringify(check.error?.issues.slice(0, 3))).toBe(true);
    expect(() => AnalysisSchema.parse(a)).not.toThrow();
    expect(a.conversation_id).toBe(run.id);
    expect(a.run).toMatchObject({ status: "completed", stop_reason: "max_turns", turns: 8, providers: ["simulated"] });
    const msgs = await new Store(redis, prefix).readLog(run.id);
    expect(a.run.tokens_generated).toBe(msgs.reduce((n, m) => n + m.metadata.tokens_generated, 0));
    for (const g of a.agents) {
      expect(g.turns).toBe(4);
      expect(g.tokens_per_second.p50).toBeGreaterThan(0);
      expect(g.time_to_first_token_ms.p50).toBeGreaterThanOrEqual(15);
    }
    expect(a.orchestration.handoff_ms.n).toBe(7);
    expect(a.flags).toEqual([]);
    // and what does not fit the schema is refused by it
    expect(documented.safeParse({ ...a, run: { ...a.run, turns: "8" } }).success).toBe(false);
  });

  it("--md is the report in Markdown", async () => {
    const r = await cli(prefix, ["analyze", run.id, "--md"]);
    expect(r.stdout).toContain(`# Analysis of ${run.id}`);
    expect(r.stdout).toMatch(/^\| tokens\/s mean · p50 · p95 \|/m);
  });

  it("--window by turns and by time, each window with its own figures", async () => {
    const byTurns = await json(["--window", "3t"]);
    expect(byTurns.window).toMatchObject({ kind: "turns", size: 3, auto: false });
    expect(byTurns.windows.map((w) => [w.from_turn, w.to_turn])).toEqual([[1, 3], [4, 6], [7, 8]]);
    const byTime = await json(["--window", "500ms"]);
    expect(byTime.window).toMatchObject({ kind: "time", size: 500 });
    expect(byTime.windows.reduce((n, w) => n + w.turns, 0)).toBe(8);
    // a custom window is not stored: the default analysis still is
    expect((await json([])).window.auto).toBe(true);
  });

  it("--judge asks the manager's model (simulated here: labelled as such) and stores the verdict", async () => {
    const r = await cli(prefix, ["analyze", run.id, "--judge"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Judge\n  by simulated-1 \[simulated\] on 8 of 8 turns — simulated, not a real model's opinion/);
    expect(r.stdout).toMatch(/persona adherence \d+\/10 — \[simulated\]/);
    const a = await json([]);
    expect(a.judge).toMatchObject({ provider: "simulated", simulated: true, turns_seen: 8 });
    expect(a.judge?.summary).toMatch(/^\[simulated judge\]/);
  });
});

describe("dialogue compare", () => {
  it("shows each run's per-agent tokens/s side by side", async () => {
    const other = await simulatedRun(prefix, ["--max-turns", "4", "--set", "simulated.tokens_per_second=200", "--set", "simulated.time_to_first_token_ms=20"]);
    const r = await cli(prefix, ["compare", run.id, other.id]);
    expect(r.code, r.stderr).toBe(0);
    const header = r.stdout.split("\n").find((l) => l.trimStart().startsWith("run ") && l.includes(other.id) && l.split(other.id).length === 3);
    expect(header).toBeDefined();
    const a = await json([]);
    const b = JSON.parse((await cli(prefix, ["analyze", other.id, "--json"])).stdout) as Analysis;
    const row = r.stdout.split("\n").find((l) => l.trimStart().startsWith("tokens/s mean · p50 · p95"));
    const fmt = (v: number | null) => (v ?? 0).toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    const cells = [...a.agents, ...b.agents].map((g) => `${fmt(g.tokens_per_second.mean)} · ${fmt(g.tokens_per_second.p50)} · ${fmt(g.tokens_per_second.p95)}`);
    expect(row?.replace(/\s+/g, " ").trim()).toBe(`tokens/s mean · p50 · p95 ${cells.join(" ")}`);
    const j = JSON.parse((await cli(prefix, ["compare", run.id, other.id, "--json"])).stdout) as { analyses: Analysis[] };
    expect(j.analyses.map((x) => x.conversation_id)).toEqual([run.id, other.id]);
  }, 60_000);

  it("needs two ids", async () => {
    const r = await cli(prefix, ["compare", run.id]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: compare needs at least two conversation ids\nhint: /);
  });

  it("refuses a run compared with itself", async () => {
    const r = await cli(prefix, ["compare", run.id, run.id]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: ${run.id} is named twice: a run compared with itself tells nothing\nhint: name two or more different runs; see dialogue list\n`);
    expect(r.stdout).toBe("");
  });
});

describe("bad input: one line, a hint, an exit code", () => {
  it("an unknown id exits 3", async () => {
    for (const args of [["analyze", "20990101-000000-abcde"], ["export", "20990101-000000-abcde"], ["compare", run.id, "20990101-000000-abcde"]]) {
      const r = await cli(prefix, args);
      expect(r.code, args.join(" ")).toBe(3);
      expect(r.stderr).toMatch(/^error: no conversation 20990101-000000-abcde under prefix "[^"]+"\nhint: see dialogue list/);
    }
  });
  it("a window that is not one exits 2", async () => {
    const r = await cli(prefix, ["analyze", run.id, "--window", "5x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: --window "5x" is not a window size\nhint: use a number of turns like 5t, a time like 30s, 2m or 1h (digits right before the unit), or "auto"\n');
  });
  it("--json with --md exits 2", async () => {
    expect((await cli(prefix, ["analyze", run.id, "--json", "--md"])).code).toBe(2);
  });
  it("a malformed id exits 2", async () => {
    expect((await cli(prefix, ["analyze", "../etc"])).code).toBe(2);
  });
});
