/**
 * The benchmarks' smoke run: `npm run bench` at tiny sizes (--smoke), compiled and run end to end
 * as `npm run bench` does, so the bench code never rots. What is checked is the shape of its
 * output — every section there, every figure beside a baseline from the same run with their
 * ratio, every target judged — never a speed: tests run on machines of every speed.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Figure } from "../../bench/lib/report.js";
import { ROOT } from "../helpers/cli.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "dialogue-bench-smoke-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("npm run bench -- --smoke", () => {
  it("runs every section; every figure has a value, a baseline and a ratio; every target says met or not", () => {
    const tsc = spawnSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.bench.json"], { cwd: ROOT, encoding: "utf8" });
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);

    const out = path.join(tmp, "smoke.json");
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith("DIALOGUE_")) delete env[k];
    const run = spawnSync(process.execPath, [path.join(ROOT, ".bench-build", "bench", "main.js"), "--smoke", "--out", out], { cwd: ROOT, env, encoding: "utf8", timeout: 110_000 });
    expect(run.status, run.stderr.slice(-3000)).toBe(0);

    const result = JSON.parse(readFileSync(out, "utf8")) as { schema: string; smoke: boolean; figures: Figure[]; data: Record<string, unknown> };
    expect(result.schema).toBe("dialogue-llm/bench");
    expect(result.smoke).toBe(true);
    const sections = new Set(result.figures.map((f) => f.section.split(".")[0]));
    expect([...sections]).toEqual(["1", "2", "3", "4", "5", "6", "7", "8"]);
    for (const f of result.figures) {
      const what = `${f.section} / ${f.name}`;
      expect(Number.isFinite(f.value), what).toBe(true);
      expect(f.baseline.name, what).not.toBe("");
      expect(Number.isFinite(f.baseline.value), what).toBe(true);
      expect(Number.isFinite(f.ratio), what).toBe(true);
      if (f.target) expect(typeof f.target.met, what).toBe("boolean");
      // the printed table has the figure and its baseline side by side
      expect(run.stdout).toContain(f.name);
    }
    // the largest throughput batch again on a Redis Cluster, beside the single node of the same run
    const onCluster = result.figures.find((f) => /^throughput\.cluster\.\d+\.tps$/.test(f.id));
    expect(onCluster?.baseline.name).toBe("one redis-server, same run");
    expect(onCluster?.baseline.value).toBe(result.figures.find((f) => f.id === onCluster?.id.replace(".cluster", ""))?.value);
    for (const id of ["overhead.p50", "streaming.1000.p95", "startup.first_request", "engine.tps", "import.1k.rss"]) {
      expect(result.figures.find((f) => f.id === id)?.target, id).toBeTruthy();
    }
  }, 120_000);
});
