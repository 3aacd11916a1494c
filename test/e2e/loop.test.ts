/**
 * The loop stop: a simulated conversation built to loop (one agent repeats itself from turn 5)
 * ends with stop reason `loop`; the example scenarios, run in full, do not.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Analysis } from "../../src/analysis/schema.js";
import { Store } from "../../src/redis/store.js";
import { ROOT } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { cli, simulatedRun } from "../helpers/runs.js";

const FULL_SPEED = ["--set", "simulated.tokens_per_second=0", "--set", "simulated.time_to_first_token_ms=0"];

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

describe("a simulated conversation that loops", () => {
  it("stops with reason loop at the third repeat, and analyze flags looping from the first", async () => {
    const prefix = freshPrefix();
    const run = await simulatedRun(prefix, ["--max-turns", "30", ...FULL_SPEED, "--set", "agents.0.options.repeat_after_turns=5"]);
    const rec = (await new Store(redis, prefix).get(run.id))!;
    expect(rec.status).toBe("completed");
    expect(rec.stop_reason).toBe("loop");
    // agent 0 speaks the odd turns: it repeats turn 3 at turns 5, 7 and 9
    expect(rec.turns).toBe(9);
    expect(run.stdout).toContain("completed (loop)");
    const a = JSON.parse((await cli(prefix, ["analyze", run.id, "--json"])).stdout) as Analysis;
    expect(a.flags).toContainEqual({ type: "looping", agent_id: rec.spec.agents[0]!.id, turn: 5, detected_turn: 9, until_turn: 9 });
    const listed = await cli(prefix, ["list", "--status", "loop"]);
    expect(listed.stdout).toContain(run.id);
  });

  it("with limits.stop_on_loop=false it runs on to max_turns, and is still flagged", async () => {
    const prefix = freshPrefix();
    const run = await simulatedRun(prefix, ["--max-turns", "12", ...FULL_SPEED, "--set", "agents.0.options.repeat_after_turns=5", "--set", "limits.stop_on_loop=false"]);
    const rec = (await new Store(redis, prefix).get(run.id))!;
    expect(rec.stop_reason).toBe("max_turns");
    expect(rec.turns).toBe(12);
    expect(run.stdout).toMatch(/looping from turn 5 \(\w+\): detected at turn 9, lasts to turn 11/);
  });
});

describe("the example scenarios do not stop with loop", () => {
  const scenarios = ["default", ...readdirSync(path.join(ROOT, "config")).filter((f) => f.endsWith(".json") && f !== "default.json" && f !== "config.schema.json").map((f) => f.replace(/\.json$/, ""))];

  it.each(scenarios)("%s runs its full length, no loop flagged", async (scenario) => {
    const prefix = freshPrefix();
    const run = await simulatedRun(prefix, [...(scenario === "default" ? [] : ["--scenario", scenario]), ...FULL_SPEED]);
    const rec = (await new Store(redis, prefix).get(run.id))!;
    expect(rec.stop_reason).toBe("max_turns");
    expect(rec.turns).toBe(rec.spec.limits.max_turns);
    const a = JSON.parse((await cli(prefix, ["analyze", run.id, "--json"])).stdout) as Analysis;
    expect(a.flag_counts.looping).toBe(0);
    expect(a.content.repetition_mean).toBeLessThan(0.2);
  }, 60_000);
});
