/**
 * The analysis of conversations of any shape, end to end with the real CLI: a four-agent panel
 * (turn order moderator), four models naming who answers (addressed), and a four-agent town hall
 * with a person (answered once with
 * `dialogue say`, skipped once) and a narrator's remark, made by `dialogue run --provider
 * simulated`; `analyze --json` against the documented schema, the Markdown and HTML exports (the
 * page as headless Chromium builds it), `compare` of a two-agent and a four-agent run; and a run
 * stored in the format used before conversations had 2 to 8 agents, which still analyzes,
 * exports and compares.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { analyze } from "../../src/analysis/analyzer.js";
import { ExportSchema } from "../../src/analysis/export-schema.js";
import { AnalysisSchema, type Analysis } from "../../src/analysis/schema.js";
import type { DialogMessage } from "../../src/protocol/schemas.js";
import { Store } from "../../src/redis/store.js";
import { cliEnv, exited, ROOT, startCli, waitFor } from "../helpers/cli.js";
import { legacyShape, storeLegacyRun } from "../helpers/legacy-run.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { cli, simulatedRun } from "../helpers/runs.js";

const documented = z.fromJSONSchema(JSON.parse(readFileSync(path.join(ROOT, "docs", "analysis.schema.json"), "utf8")) as Parameters<typeof z.fromJSONSchema>[0]);
const INSTANT = ["--set", "simulated.tokens_per_second=0"];
const chromium = spawnSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).stdout.trim() || null;

let redis: Redis;
let store: Store;
const prefix = freshPrefix();
const dir = mkdtempSync(path.join(tmpdir(), "dialogue-shapes-"));
let panel = "";
let addressed = "";
let pair = "";
let hall = "";
let legacy = "";

/** the town hall's first four agents, the commuter a person: `say` answers their first turn (4), their second (8) goes unanswered */
async function townHallWithPerson(): Promise<string> {
  const args = ["run", "--provider", "simulated", "--plain", "--prefix", prefix, "--scenario", "town-hall", "--agents", "4", "--person", "commuter", "--max-turns", "8", "--set", "limits.human_turn_seconds=3", ...INSTANT];
  const run = startCli(args, cliEnv(testRedisUrl()));
  try {
    const id = await waitFor("the run's id", async () => /Conversation (\d{8}-\d{6}-[0-9a-f]+)/.exec(run.out())?.[1], 30_000);
    const remark = await cli(prefix, ["say", id, "--as", "narrator", "The lights flicker and the projector goes dark."]);
    expect(remark.code, remark.stderr).toBe(0);
    await waitFor(
      "the commuter's first turn",
      async () => {
        const rec = await store.get(id);
        const c = rec?.next_choice;
        return rec && c && c.agent_id === "commuter" && c.seq === rec.pending_seq && c.seq > rec.turns;
      },
      30_000,
    );
    const said = await cli(prefix, ["say", id, "--as", "commuter", "The tram would get me to the <hospital> on time."]);
    expect(said.code, said.stderr).toBe(0);
    const { code } = await exited(run, 60_000);
    expect(code, run.err()).toBe(0);
    return id;
  } finally {
    if (run.exitCode === null) run.kill("SIGTERM");
  }
}

beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  store = new Store(redis, prefix);
  panel = (await simulatedRun(prefix, ["--scenario", "panel", "--max-turns", "8", ...INSTANT])).id;
  addressed = (await simulatedRun(prefix, ["--scenario", "town-hall", "--agents", "4", "--turn-order", "addressed", "--max-turns", "8", ...INSTANT])).id;
  pair = (await simulatedRun(prefix, ["--max-turns", "4", ...INSTANT])).id;
  hall = await townHallWithPerson();
  legacy = await storeLegacyRun(redis, prefix, "healthy");
}, 180_000);
afterAll(async () => {
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

const analysisJson = async (id: string): Promise<Analysis> => {
  const r = await cli(prefix, ["analyze", id, "--json"]);
  expect(r.code, r.stderr).toBe(0);
  const a = JSON.parse(r.stdout) as Analysis;
  const check = documented.safeParse(a);
  expect(check.success, JSON.stringify(check.error?.issues.slice(0, 3))).toBe(true);
  return a;
};

/** who spoke right after whom, counted from the log: the spoken turns in order */
function pairsFromLog(log: DialogMessage[], ids: string[]): number[][] {
  const m = ids.map(() => ids.map(() => 0));
  const spoken = log.filter((x) => x.metadata.source !== "narrator" && !x.skipped).map((x) => ids.indexOf(x.metadata.agent_id));
  for (let i = 1; i < spoken.length; i++) (m[spoken[i - 1]!] as number[])[spoken[i]!]! += 1;
  return m;
}

const exported = async (id: string, format: string): Promise<string> => {
  const file = path.join(dir, `${id}.${format}`);
  const r = await cli(prefix, ["export", id, "--format", format, "--out", file]);
  expect(r.code, r.stderr).toBe(0);
  return readFileSync(file, "utf8");
};

describe("a four-agent panel, turn order moderator", () => {
  it("analyze --json: figures for all four agents and the turn-taking block, as the log has it", async () => {
    const a = await analysisJson(panel);
    const log = await store.readLog(panel);
    const ids = ["host", "head", "researcher", "parent"];
    expect(a.agents.map((g) => g.agent_id)).toEqual(ids);
    expect(a.run).toMatchObject({ turns: 8, remarks: 0, skipped_turns: 0 });
    for (const g of a.agents) {
      const mine = log.filter((x) => x.metadata.agent_id === g.agent_id);
      expect(g.turns).toBe(mine.length);
      expect(g.tokens_generated).toBe(mine.reduce((n, x) => n + x.metadata.tokens_generated, 0));
      expect(g.kind).toBe("model");
    }
    expect(a.agents.reduce((n, g) => n + (g.share_of_turns ?? 0), 0)).toBeCloseTo(1, 3);
    const t = a.turn_taking;
    expect(t.turn_order).toBe("moderator");
    expect(t.agent_ids).toEqual(ids);
    expect(t.who_answered_whom).toEqual(pairsFromLog(log, ids));
    expect(t.pairs).toBe(7);
    // every turn says how it was chosen; the moderator's choices add up
    const how = (h: string) => log.filter((x) => x.metadata.turn_choice?.how === h).length;
    expect(t.chosen).toEqual({ first: how("first"), round_robin: how("round_robin"), random: 0, addressed: 0, moderator: how("moderator"), not_recorded: 0 });
    expect(t.chosen.first + t.chosen.moderator + t.chosen.round_robin).toBe(8);
    expect(t.moderator?.chosen.reduce((n, c) => n + c, 0)).toBe(t.chosen.moderator);
    expect(t.moderator?.chosen).toEqual(ids.map((id) => log.filter((x) => x.metadata.agent_id === id && x.metadata.turn_choice?.how === "moderator").length));
  });

  it("export --format md has the turn-taking table with every agent", async () => {
    const md = await exported(panel, "md");
    expect(md).toContain("### Turn-taking");
    expect(md).toContain("| spoke | share of words | share of turns | then host | then head | then researcher | then parent | moderator chose |");
    for (const id of ["host", "head", "researcher", "parent"]) expect(md).toMatch(new RegExp(`^\\| ${id} \\| \\d+% \\| \\d+% \\|`, "m"));
  });
});

describe("four models, turn order addressed", () => {
  it("each reply's named agent spoke next, every time a turn followed: the manager's choices checked from the log", async () => {
    const a = await analysisJson(addressed);
    const log = await store.readLog(addressed);
    const x = a.turn_taking.addressed!;
    expect(x.replies).toBe(8);
    expect(x.named + x.absent + x.invalid).toBe(x.replies);
    // counted from the log: a reply naming another agent, and a turn after it
    const named = log.slice(0, -1).filter((m) => m.content.next_speaker !== undefined && m.content.next_speaker !== m.metadata.agent_id && a.turn_taking.agent_ids.includes(m.content.next_speaker));
    expect(x.named_followed).toBe(named.length);
    expect(x.named_followed).toBeGreaterThan(0);
    expect(x.named_spoke_next).toBe(x.named_followed);
    expect(a.turn_taking.chosen.addressed).toBe(x.named_spoke_next);
    const r = await cli(prefix, ["analyze", addressed]);
    expect(r.stdout).toContain(`the named agent spoke next ${x.named_spoke_next} of ${x.named_followed} times a turn followed`);
  });
});

describe("a four-agent town hall with a person and a narrator's remark", () => {
  it("analyze --json: the person's turns (one answered, one skipped) without model figures, the remark counted apart", async () => {
    const a = await analysisJson(hall);
    const log = await store.readLog(hall);
    expect(log.filter((x) => x.metadata.source === "narrator")).toHaveLength(1);
    expect(a.run).toMatchObject({ turns: 8, remarks: 1, skipped_turns: 1 });
    expect(a.agents.map((g) => g.agent_id)).toEqual(["chair", "officer", "shopkeeper", "commuter"]);
    const person = a.agents[3]!;
    expect(person).toMatchObject({ kind: "human", provider: "human", model: "person", simulated: false, turns: 2, skipped_turns: 1, tokens_generated: 0 });
    expect(person.tokens_per_second).toEqual({ mean: null, p50: null, p95: null });
    expect(person.time_to_first_token_ms).toEqual({ mean: null, p50: null, p95: null });
    expect(person.answer_time_ms.p50).toBeGreaterThan(0);
    // the person's words count in the share of talk; the narrator's do not
    expect(person.words).toBe(10);
    expect(a.content.words).toBe(a.agents.reduce((n, g) => n + g.words, 0));
    expect(a.run.models.find((m) => m.role === "commuter")).toMatchObject({ provider: "human", model: "person" });
    expect(a.turn_taking.who_answered_whom).toEqual(pairsFromLog(log, a.turn_taking.agent_ids));
    expect(a.turn_taking.chosen).toMatchObject({ first: 1, round_robin: 7 });
  });

  it("the text report shows the person as a person, the skipped turn and the remark", async () => {
    const r = await cli(prefix, ["analyze", hall]);
    expect(r.code, r.stderr).toBe(0);
    // the analysis stored at the end still counts as fresh: the record's 9 messages are 8 turns and a remark
    expect(r.stderr).toContain("analysis: stored");
    expect(r.stdout).toMatch(/8 turns \(1 skipped\) · 1 narrator's remark/);
    expect(r.stdout).toContain("commuter person");
    expect(r.stdout).toMatch(/^Turn-taking\n {2}turn order round robin · speakers chosen: first 1 · round robin 7$/m);
  });

  it.skipIf(!chromium)(`export --format html, as Chromium builds it: the turn-taking table, the person, the remark, text escaped${chromium ? "" : " (skipped: no chromium)"}`, async () => {
    const file = path.join(dir, `${hall}.html`);
    await exported(hall, "html");
    const profile = mkdtempSync(path.join(tmpdir(), "dialogue-chromium-"));
    try {
      const flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", `--user-data-dir=${profile}`];
      const dom = execFileSync(chromium as string, [...flags, "--dump-dom", `file://${file}`], { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "ignore"] });
      expect(dom).toContain('<h3 id="turn-taking">Turn-taking</h3>');
      expect(dom).toContain("<th>spoke</th><th>share of words</th><th>share of turns</th><th>then chair</th><th>then officer</th><th>then shopkeeper</th><th>then commuter</th>");
      for (const id of ["chair", "officer", "shopkeeper", "commuter"]) expect(dom).toMatch(new RegExp(`<tr><td>${id}</td><td>\\d+%</td>`));
      expect(dom).toMatch(/<li class="msg narrator"[^>]*data-source="narrator">[\s\S]*?The lights flicker and the projector goes dark\./);
      expect(dom).toMatch(/<li class="msg a3 skipped"/);
      expect(dom).toContain("typed by a person: no tokens or speed");
      // what the person typed is text, not markup
      expect(dom).toContain("The tram would get me to the &lt;hospital&gt; on time.");
      expect(dom).not.toContain("<hospital>");
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  }, 90_000);
});

describe("compare: a two-agent and a four-agent run", () => {
  it("side by side, each run with its own number of agent columns", async () => {
    const r = await cli(prefix, ["compare", pair, panel]);
    expect(r.code, r.stderr).toBe(0);
    const norm = (l: string) => l.replace(/\s+/g, " ").trim();
    const lines = r.stdout.split("\n");
    expect(lines.map(norm)).toContain(`run ${pair} ${panel}`);
    expect(lines.map(norm)).toContain("agents 2 4");
    expect(lines.map(norm)).toContain("turn order round robin moderator");
    const j = JSON.parse((await cli(prefix, ["compare", pair, panel, "--json"])).stdout) as { analyses: Analysis[] };
    expect(j.analyses.map((x) => x.agents.length)).toEqual([2, 4]);
    // every agent of both runs has a column, in order, under its run (piped: one table, never cut)
    const ids = j.analyses.flatMap((x) => x.agents.map((g) => g.agent_id));
    expect(ids.slice(-4)).toEqual(["host", "head", "researcher", "parent"]);
    expect(lines.map(norm)).toContain(`agent ${ids.join(" ")}`);
    expect(lines.map(norm)).toContain(`run ${[pair, pair, panel, panel, panel, panel].join(" ")}`);
  });
});

describe("a run recorded before conversations had 2 to 8 agents", () => {
  it("is stored in the old format (no turn order, no kinds, no sources, personas by position)", async () => {
    const raw = await redis.hgetall(store.keys.record(legacy));
    expect(raw.spec).not.toContain("turn_order");
    expect(raw.spec).not.toContain('"kind"');
    expect(raw.personas).not.toContain("agent_id");
    expect(raw).not.toHaveProperty("remarks");
    const [[, fields]] = (await redis.xrange(store.keys.log(legacy), "-", "+", "COUNT", 1)) as [[string, string[]]];
    expect(fields[1]).not.toMatch(/"source"|"turn_choice"|"skipped"|"prompt_turns"/);
  });

  it("analyzes as before: the healthy fixture's hand-computed figures, read back from Redis", async () => {
    const a = await analysisJson(legacy);
    const { fixture } = legacyShape("healthy");
    const { computed_at: _c, ...expected } = analyze(fixture.record, fixture.entries);
    const { computed_at: _d, ...got } = a;
    expect(got).toEqual(expected);
    expect(a.agents.map((g) => [g.agent_id, g.name, g.kind])).toEqual([["a", "Ann Lee", "model"], ["b", "Ben Ode", "model"]]);
    expect(a.agents.map((g) => g.tokens_per_second)).toEqual([{ mean: 17.6667, p50: 18, p95: 19.8 }, { mean: 25, p50: 25, p95: 29.5 }]);
    expect(a.orchestration.handoff_ms).toEqual({ n: 5, mean: 28, p50: 20, p95: 54, p99: 58.8, max: 60 });
    expect(a.content.turn_balance).toBe(Math.round((1 - 3 / 49) * 1e4) / 1e4);
    expect(a.turn_taking.chosen.not_recorded).toBe(6);
    const text = (await cli(prefix, ["analyze", legacy])).stdout;
    expect(text).toMatch(/tokens\/s mean · p50 · p95 +17\.7 · 18\.0 · 19\.8 +25\.0 · 25\.0 · 29\.5/);
    expect(text).toContain("speakers chosen: not recorded 6");
  });

  it("exports as json, md and html, the personas matched to the agents by position", async () => {
    const doc = ExportSchema.parse(JSON.parse(await exported(legacy, "json")));
    expect(doc.messages).toEqual(await store.readLog(legacy));
    expect(AnalysisSchema.parse(doc.analysis).run.turns).toBe(6);
    const md = await exported(legacy, "md");
    expect(md).toContain("- **Ann Lee** — buyer (`a`, simulated-1 [simulated])");
    expect(md).toContain("- **Ben Ode** — project lead (`b`, simulated-1 [simulated])");
    expect(md).toContain("**[1] Ann Lee** (buyer, simulated-1 [simulated])\n\n> Good morning Ben. Can we talk about the budget?");
    const html = await exported(legacy, "html");
    expect(html).toContain('<div class="persona a1" data-agent="b"><b>Ben Ode</b>');
    expect(html).toContain('<li class="msg a1" id="turn-2"');
  });

  it("compares with a four-agent run", async () => {
    const r = await cli(prefix, ["compare", legacy, panel]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split("\n").map((l) => l.replace(/\s+/g, " ").trim());
    expect(lines).toContain(`run ${legacy} ${panel}`);
    expect(lines).toContain("agents 2 4");
    expect(lines.find((l) => l.startsWith("speakers chosen"))).toMatch(/^speakers chosen not recorded 6 first 1 /);
  });
});
