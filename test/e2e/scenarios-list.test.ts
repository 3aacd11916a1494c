/**
 * `dialogue scenarios`: every scenario file of config/ is listed, read as `run --scenario` reads
 * it (its agents, turn order and limits), with the default scene first; a listed name runs.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { cliEnv, ROOT, runCli } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

interface Row {
  name: string;
  title: string;
  agents: Array<{ id: string; kind: string }>;
  cast: string[];
  turn_order: string;
  max_turns: number;
}

const files = readdirSync(path.join(ROOT, "config")).filter((f) => f.endsWith(".json") && f !== "config.schema.json" && f !== "default.json");

describe("dialogue scenarios", () => {
  it("lists the default scene and every scenario file, with the agents and turn order run would use", async () => {
    const env = cliEnv(testRedisUrl());
    const json = await runCli(["scenarios", "--json"], env);
    expect(json.code, json.stderr).toBe(0);
    const rows = json.stdout.trim().split("\n").map((l) => JSON.parse(l) as Row);
    expect(rows.map((r) => r.name)).toEqual(["default", ...files.map((f) => f.slice(0, -5)).sort()]);
    for (const f of files) {
      const doc = JSON.parse(readFileSync(path.join(ROOT, "config", f), "utf8")) as { scenario: { title: string }; agents?: Array<{ id: string }>; conversation?: { turn_order?: string } };
      const row = rows.find((r) => r.name === f.slice(0, -5))!;
      expect(row.title).toBe(doc.scenario.title);
      if (doc.agents) expect(row.agents.map((a) => a.id)).toEqual(doc.agents.map((a) => a.id));
      if (doc.conversation?.turn_order) expect(row.turn_order).toBe(doc.conversation.turn_order);
    }
    expect(rows.find((r) => r.name === "town-hall")?.agents).toHaveLength(5);
    expect(rows.find((r) => r.name === "panel")?.turn_order).toBe("moderator");
    // the default scene's cast is what --agents draws on
    expect(rows[0]!.cast.length).toBeGreaterThan(0);

    const text = await runCli(["scenarios"], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^default \(no --scenario\) +A chance meeting +2 agents \(\+\d+ with --agents\): traveller, local +round_robin +12 turns, 120 s$/m);
    expect(text.stdout).toMatch(/^town-hall +Town hall: a tram line down the high street +5 agents: chair, officer, shopkeeper, commuter, resident +round_robin/m);
  });

  it("a name it lists runs with run --scenario", async () => {
    const prefix = freshPrefix();
    const r = await runCli(["run", "--scenario", "panel", "--provider", "simulated", "--max-turns", "2", "--plain", "--prefix", prefix], cliEnv(testRedisUrl()), 90_000);
    expect(r.code, r.stderr).toBe(0);
    const [id] = await new Store(redis, prefix).listIds();
    expect((await new Store(redis, prefix).get(id!))?.spec.scenario.title).toBe("Panel: should schools ban phones?");
  }, 120_000);
});
