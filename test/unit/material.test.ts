/**
 * Material for the agents: files checked and chunked (a table summarized as a data-context
 * builder does), and retrieval over a fixed corpus — the chunk that answers the question ranks
 * first, and what a prompt carries stays within its budget.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { chunkTokens, loadMaterials, summarizeTable } from "../../src/material/load.js";
import { MaterialIndex } from "../../src/material/retrieve.js";
import { ROOT } from "../helpers/cli.js";

const FIX = path.join(ROOT, "test", "fixtures", "material");
const SETTINGS = { budget_tokens: 600, chunk_tokens: 150, max_file_bytes: 2_000_000 };
const dir = mkdtempSync(path.join(tmpdir(), "dialogue-material-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const corpus = loadMaterials([path.join(FIX, "monthly-sales.csv"), path.join(FIX, "product-sheet.md")], SETTINGS);

describe("loadMaterials", () => {
  it("a CSV becomes its summary (columns, types, ranges, sample rows) and its rows; Markdown its sections", () => {
    expect(corpus.files.map((f) => [f.name, f.kind, f.chunks])).toEqual([
      ["monthly-sales.csv", "csv", 4],
      ["product-sheet.md", "markdown", 3],
    ]);
    const summary = corpus.chunks[0]!;
    expect(summary.id).toBe("monthly-sales.csv#1");
    expect(summary.text).toContain("monthly-sales.csv: 12 rows, 5 columns.");
    expect(summary.text).toContain("- month: date, 2024-01 to 2024-12");
    expect(summary.text).toContain("- region: text, 2 distinct; most common: North (6), South (6)");
    expect(summary.text).toContain("- units: number, 980 to 2140, mean 1385.83, total 16630");
    expect(summary.text).toContain("Sample rows:\n  month: 2024-01; region: North; units: 1180; revenue_eur: 35400; returns: 12");
    // every row is in some chunk, once
    const rows = corpus.chunks.filter((c) => c.file === "monthly-sales.csv").slice(1).flatMap((c) => c.text.split("\n"));
    expect(rows).toHaveLength(12);
    expect(corpus.chunks.filter((c) => c.file === "product-sheet.md").map((c) => c.title)).toEqual(["Aurora X2 espresso grinder", "Warranty and service", "Prices"]);
    for (const c of corpus.chunks) expect(chunkTokens(c)).toBeLessThanOrEqual(SETTINGS.chunk_tokens + 80);
  });

  it("a JSON array of objects is a table too", () => {
    const file = path.join(dir, "stock.json");
    writeFileSync(file, JSON.stringify([{ sku: "X2", stock: 40 }, { sku: "X3", stock: 5 }]));
    expect(summarizeTable([{ sku: "X2", stock: 40 }, { sku: "X3", stock: 5 }], "stock.json")).toContain("- stock: number, 5 to 40");
    expect(loadMaterials([file], SETTINGS).chunks.map((c) => c.title)).toEqual(["stock.json: summary", "stock.json: rows 1-2"]);
  });

  it("bad material is one line saying what is wrong and what to do: binary, over the limit, another kind, missing, not valid", () => {
    const bin = path.join(dir, "photo.txt");
    writeFileSync(bin, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]));
    expect(() => loadMaterials([bin], SETTINGS)).toThrow(/is binary \(it holds NUL bytes\)/);
    const latin = path.join(dir, "latin1.txt");
    writeFileSync(latin, Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    expect(() => loadMaterials([latin], SETTINGS)).toThrow(/is not UTF-8 text/);
    const big = path.join(dir, "big.md");
    writeFileSync(big, "x".repeat(500));
    expect(() => loadMaterials([big], { ...SETTINGS, max_file_bytes: 100 })).toThrow(/is 500 bytes, over the limit of 100/);
    expect(() => loadMaterials([path.join(dir, "deck.pdf")], SETTINGS)).toThrow(/not a text, Markdown, CSV or JSON file/);
    expect(() => loadMaterials([path.join(dir, "gone.md")], SETTINGS)).toThrow(/cannot be read: ENOENT/);
    const broken = path.join(dir, "broken.json");
    writeFileSync(broken, "{ nope");
    expect(() => loadMaterials([broken], SETTINGS)).toThrow(/is not valid JSON/);
    for (const f of [bin, big]) {
      try {
        loadMaterials([f], { ...SETTINGS, max_file_bytes: 100 });
      } catch (err) {
        expect((err as { exitCode: number }).exitCode).toBe(2);
        expect((err as Error).message).not.toContain("\n");
      }
    }
  });
});

describe("retrieval (MiniSearch, BM25) over a fixed corpus", () => {
  const index = new MaterialIndex(corpus.chunks);
  const first = (q: string): string => index.rank(q)[0]?.title ?? "(none)";

  it("ranks the chunk that answers the question first", () => {
    expect(first("How long is the warranty on the burrs and the motor?")).toBe("Warranty and service");
    expect(first("Do dealers get a volume rebate on large orders?")).toBe("Prices");
    expect(first("How many grind settings does it have, and how big is the hopper?")).toBe("Aurora X2 espresso grinder");
    expect(index.rank("What were the units and revenue in the South in November?")[0]?.text).toContain("month: 2024-11 (November 2024); region: South");
    expect(first("Which columns does the sales table have, and what range of units?")).toBe("monthly-sales.csv: summary");
  });

  it("what a prompt carries fits the budget, most relevant first; nothing matching: each file's first chunk", () => {
    for (const budget of [60, 150, 300, 600]) {
      const { chunks, tokens } = index.select("warranty burrs price rebate dealers units revenue", budget);
      expect(tokens).toBeLessThanOrEqual(budget);
      expect(tokens).toBe(chunks.reduce((n, c) => n + chunkTokens(c), 0));
    }
    const wide = index.select("warranty burrs", 600);
    expect(wide.chunks[0]?.title).toBe("Warranty and service");
    expect(index.select("zzzz qqqq", 600).chunks.map((c) => c.id)).toEqual(["monthly-sales.csv#1", "product-sheet.md#1"]);
  });
});
