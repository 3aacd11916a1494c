/**
 * Material for the agents, end to end: a run with a CSV of monthly sales and a Markdown product
 * sheet. On the Ollama wire fake (which records every prompt), each turn's prompt carries chunks
 * of the material within the budget, the very chunks its message's metadata names, stored with
 * the run in Redis; with the simulated provider, `analyze` tells how much each agent drew on
 * them. Bad material is one line and exit 2, and nothing is started or recorded.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Analysis } from "../../src/analysis/schema.js";
import { chunkTokens } from "../../src/material/load.js";
import { readMaterial } from "../../src/material/store.js";
import type { ConversationRecord } from "../../src/protocol/record.js";
import type { DialogMessage } from "../../src/protocol/schemas.js";
import { Store } from "../../src/redis/store.js";
import { cliEnv, ROOT, runCli } from "../helpers/cli.js";
import { startFakeOllama, type FakeOllama } from "../helpers/fake-ollama.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { FAST } from "../helpers/runs.js";

const FIX = path.join(ROOT, "test", "fixtures", "material");
const MATERIAL = ["--material", path.join(FIX, "monthly-sales.csv"), "--material", path.join(FIX, "product-sheet.md")];

let ollama: FakeOllama;
let redis: Redis;
let dir: string;
beforeAll(async () => {
  ollama = await startFakeOllama({ models: ["llama3.2:latest"] });
  redis = new Redis(testRedisUrl());
  dir = mkdtempSync(path.join(tmpdir(), "dialogue-material-e2e-"));
});
afterAll(async () => {
  await ollama.close();
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

function env(): NodeJS.ProcessEnv {
  const e = cliEnv(testRedisUrl(), { OLLAMA_HOST: ollama.url });
  for (const k of ["OPENAI_BASE_URL", "OPENAI_API_KEY"]) delete e[k];
  return e;
}

const idOf = (stderr: string): string => {
  const m = /conversation (\d{8}-\d{6}-[0-9a-f]+)/.exec(stderr);
  if (!m?.[1]) throw new Error(`no id in ${stderr}`);
  return m[1];
};

describe("a run with a CSV of monthly sales and a Markdown product sheet", () => {
  it("each prompt carries chunks of the material within the budget, the chunks its message's metadata names", async () => {
    const prefix = freshPrefix();
    const before = ollama.requests.length;
    const r = await runCli(
      ["run", ...MATERIAL, "--max-turns", "4", "--models", "ollama:llama3.2,ollama:llama3.2", "--set", "manager.provider=simulated", "--set", "materials.budget_tokens=250", "--plain", "--prefix", prefix],
      env(),
      120_000,
    );
    expect(r.code, r.stderr).toBe(0);
    const id = idOf(r.stderr);
    const { record, messages } = JSON.parse((await runCli(["show", id, "--json", "--prefix", prefix], env())).stdout) as { record: ConversationRecord; messages: DialogMessage[] };
    expect(record.spec.materials?.budget_tokens).toBe(250);
    expect(record.spec.materials?.files.map((f) => [f.name, f.kind, f.chunks])).toEqual([
      ["monthly-sales.csv", "csv", 4],
      ["product-sheet.md", "markdown", 3],
    ]);
    // the chunks are kept with the run, where any worker reads them
    const chunks = new Map((await readMaterial(new Store(redis, prefix), id)).map((c) => [c.id, c]));
    expect(chunks.size).toBe(7);

    const prompts = ollama.requests.slice(before).filter((q) => q.path === "/api/chat").map((q) => (q.body.messages as Array<{ content: string }>)[0]!.content);
    expect(prompts).toHaveLength(4);
    expect(messages).toHaveLength(4);
    messages.forEach((m, i) => {
      const used = m.metadata.material!;
      expect(used.budget_tokens).toBe(250);
      expect(used.chunks.length).toBeGreaterThan(0);
      expect(used.tokens).toBeLessThanOrEqual(250);
      expect(used.tokens).toBe(used.chunks.reduce((n, c) => n + chunkTokens(chunks.get(c)!), 0));
      // the system prompt of that turn holds exactly those chunks, and no other
      const system = prompts[i]!;
      for (const c of used.chunks) expect(system).toContain(`[${c}] ${chunks.get(c)!.title}\n${chunks.get(c)!.text}`);
      for (const c of chunks.keys()) if (!used.chunks.includes(c)) expect(system).not.toContain(`[${c}]`);
    });

    const a = JSON.parse((await runCli(["analyze", id, "--json", "--prefix", prefix], env())).stdout) as Analysis;
    expect(a.material).toEqual({ files: [{ name: "monthly-sales.csv", kind: "csv", chunks: 4 }, { name: "product-sheet.md", kind: "markdown", chunks: 3 }], budget_tokens: 250, turns_with_material: 4 });
  }, 150_000);

  it("with the simulated provider, analyze tells how much each agent drew on the material", async () => {
    const prefix = freshPrefix();
    const r = await runCli(["run", "--provider", "simulated", ...MATERIAL, "--max-turns", "4", "--seed", "7", "--plain", "--prefix", prefix, ...FAST], env(), 120_000);
    expect(r.code, r.stderr).toBe(0);
    const id = idOf(r.stderr);
    const a = JSON.parse((await runCli(["analyze", id, "--json", "--prefix", prefix], env())).stdout) as Analysis;
    const { messages } = JSON.parse((await runCli(["show", id, "--json", "--prefix", prefix], env())).stdout) as { messages: DialogMessage[] };
    for (const g of a.agents) {
      const mine = messages.filter((m) => m.metadata.agent_id === g.agent_id);
      expect(g.material?.turns).toBe(mine.length);
      expect(g.material!.from_material).toBeLessThanOrEqual(g.material!.content_words);
      expect(g.material!.share).toBe(Math.round((g.material!.from_material / g.material!.content_words) * 10_000) / 10_000);
    }
    // the simulated speakers quote their top chunk: some of what they said came from it
    expect(a.agents.some((g) => (g.material?.share ?? 0) > 0.1)).toBe(true);
    const text = await runCli(["analyze", id, "--prefix", prefix], env());
    expect(text.stdout).toMatch(/material: monthly-sales\.csv \(csv, 4 chunks\), product-sheet\.md \(markdown, 3 chunks\); up to 600 tokens of it per prompt; 4 turns held some/);
    expect(text.stdout).toMatch(/drew on material \(content words found · turns with it\)\s+\d+% \(\d+\/\d+\) · 2\s+\d+% \(\d+\/\d+\) · 2/);
  }, 150_000);

  it("bad material: one line, exit 2, nothing started or recorded", async () => {
    const prefix = freshPrefix();
    const bin = path.join(dir, "scan.md");
    writeFileSync(bin, Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0x0a]));
    const cases: Array<[string[], RegExp]> = [
      [["--material", bin], /^error: material .*scan\.md is binary \(it holds NUL bytes\)\nhint: /],
      [["--material", path.join(FIX, "monthly-sales.csv"), "--set", "materials.max_file_bytes=100"], /^error: material .*monthly-sales\.csv is \d{3} bytes, over the limit of 100\nhint: /],
      [["--material", path.join(dir, "missing.txt")], /^error: material .*missing\.txt cannot be read: ENOENT\nhint: /],
      [["--material", path.join(dir, "deck.pptx")], /^error: material .*deck\.pptx: not a text, Markdown, CSV or JSON file\nhint: /],
    ];
    for (const [args, err] of cases) {
      const r = await runCli(["run", "--provider", "simulated", "--plain", "--prefix", prefix, ...args], env());
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(err);
      expect(r.stderr.trim().split("\n")).toHaveLength(2);
    }
    expect(await redis.keys(`${prefix}:*`)).toEqual([]);
  });
});
