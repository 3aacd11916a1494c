/**
 * `dialogue export` of a simulated run: JSON and JSON lines parse and round-trip to what is in
 * Redis, the Markdown has the transcript, and the HTML page loads in headless Chromium with the
 * transcript and the charts. Chromium is Debian's package, installed by the test set-up
 * (scripts/ensure.mjs) when missing; the HTML test is skipped, saying so, only if it cannot be.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExportLineSchema, ExportSchema } from "../../src/analysis/export-schema.js";
import { AnalysisSchema } from "../../src/analysis/schema.js";
import { Store } from "../../src/redis/store.js";
import { ROOT } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { cli, FAST, simulatedRun } from "../helpers/runs.js";

function findChromium(): string | null {
  for (const bin of ["chromium", "chromium-browser", "google-chrome"]) {
    const r = spawnSync("sh", ["-c", `command -v ${bin}`], { encoding: "utf8" });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return null;
}
// installs Debian's chromium when it is missing (root or passwordless sudo), like npm test does
const chromium = findChromium() ?? (spawnSync(process.execPath, [path.join(ROOT, "scripts", "ensure.mjs"), "--chromium"], { stdio: "inherit", timeout: 600_000 }), findChromium());

let redis: Redis;
const prefix = freshPrefix();
const dir = mkdtempSync(path.join(tmpdir(), "dialogue-export-"));
let id = "";
beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  id = (await simulatedRun(prefix, ["--max-turns", "6", "--scenario", "job-interview", ...FAST])).id;
}, 90_000);
afterAll(async () => {
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

const exported = async (format: string, file?: string): Promise<string> => {
  const r = await cli(prefix, ["export", id, "--format", format, ...(file ? ["--out", file] : [])]);
  expect(r.code, r.stderr).toBe(0);
  return file ? readFileSync(file, "utf8") : r.stdout;
};

describe("dialogue export", () => {
  it("json parses and round-trips: the record and every message as in Redis, and the analysis", async () => {
    const doc = ExportSchema.parse(JSON.parse(await exported("json")));
    const store = new Store(redis, prefix);
    expect(doc.record).toEqual(await store.get(id));
    expect(doc.messages).toEqual(await store.readLog(id));
    expect(doc.analysis.conversation_id).toBe(id);
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it("jsonl: one conversation line, one line per message, the analysis last", async () => {
    const lines = (await exported("jsonl")).trim().split("\n").map((l) => ExportLineSchema.parse(JSON.parse(l)));
    expect(lines.map((l) => l.type)).toEqual(["conversation", ...Array(6).fill("message"), "analysis"]);
    const store = new Store(redis, prefix);
    expect(lines.flatMap((l) => (l.type === "message" ? [l.message] : []))).toEqual(await store.readLog(id));
    const last = lines.at(-1);
    expect(last?.type === "analysis" && AnalysisSchema.parse(last.analysis).run.turns).toBe(6);
  });

  it("md has the story, the personas, the whole transcript and the report", async () => {
    const md = await exported("md", path.join(dir, "run.md"));
    expect(md).toMatch(/^# /);
    expect(md).toContain("## Personas");
    for (const m of await new Store(redis, prefix).readLog(id)) {
      expect(md).toContain(`**[${m.metadata.sequence_number}] ${m.speaker}**`);
      expect(md).toContain(`> ${m.content.message.slice(0, 60)}`);
    }
    expect(md).toContain(`## Analysis of ${id}`);
  });

  it("takes the format from the --out file's extension; a bad format exits 2", async () => {
    const file = path.join(dir, "by-extension.jsonl");
    const r = await cli(prefix, ["export", id, "--out", file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`wrote ${file} (jsonl, 6 messages)`);
    const bad = await cli(prefix, ["export", id, "--format", "pdf"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--format.*pdf.*(json|html)/);
  });

  it.skipIf(!chromium)(
    `html loads in headless Chromium and shows the transcript, the personas and the charts${chromium ? "" : " (skipped: chromium is not installed and could not be installed here)"}`,
    async () => {
      const file = path.join(dir, "run.html");
      const html = await exported("html", file);
      expect(html).not.toMatch(/<script|src="http|href="http/);
      const profile = mkdtempSync(path.join(tmpdir(), "dialogue-chromium-"));
      const flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", `--user-data-dir=${profile}`];
      try {
        const dom = execFileSync(chromium as string, [...flags, "--dump-dom", `file://${file}`], { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "ignore"] });
        // what the browser built from the page, not the file: the transcript …
        const store = new Store(redis, prefix);
        const rec = (await store.get(id))!;
        for (const m of await store.readLog(id)) {
          expect(dom).toContain(`id="turn-${m.metadata.sequence_number}"`);
          expect(dom).toContain(m.content.message.slice(0, 50).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"));
        }
        for (const p of rec.personas ?? []) expect(dom).toContain(p.name);
        // … and the charts, as inline SVG with their data drawn
        for (const chart of ["tokens-per-second", "sentiment", "content", "share-of-talk"]) {
          expect(dom).toMatch(new RegExp(`<svg class="chart" data-chart="${chart}"[^>]*>[\\s\\S]*?<(path d="M|rect )`));
        }
        const shot = path.join(dir, "page.png");
        execFileSync(chromium as string, [...flags, "--window-size=1000,2000", `--screenshot=${shot}`, `file://${file}`], { timeout: 60_000, stdio: "ignore" });
        expect(existsSync(shot)).toBe(true);
        expect(readFileSync(shot).subarray(1, 4).toString()).toBe("PNG");
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
    90_000,
  );
});
