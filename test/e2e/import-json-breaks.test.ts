/**
 * `dialogue import` of a .json file that is broken, with the real CLI against the test Redis: a
 * JSON array broken part-way is one line naming the item of the break and its line and column —
 * deep in a file of thousands of items read over many chunks, or within the first chunk — and
 * what is wrong there (a comma missing, a trailing comma, text after the closing ], the file cut
 * short); a file that is no JSON array at all (one object, JSON lines named .json) says so, and
 * only it is pointed at .jsonl. Each time: exit 2, nothing imported, nothing left in Redis.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { cli } from "../helpers/runs.js";

let dir: string;
let redis: Redis;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "dialogue-import-json-breaks-"));
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

const write = (name: string, text: string): string => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};
const t = (s: number): string => new Date(Date.UTC(2024, 0, 1) + s * 1000).toISOString();
/** `n` rows as JSON text, 10 a session, two speakers each: item i (from 1) is rows[i - 1] */
const rows = (n: number): string[] => Array.from({ length: n }, (_, i) => JSON.stringify({ session_id: `s${Math.floor(i / 10)}`, timestamp: t(i), speaker: `p${i % 2}`, text: `line ${i}` }));
/** the rows as a JSON array, one item a line: item i is on line i + 1 */
const pretty = (items: string[]): string => `[\n${items.map((r) => `  ${r}`).join(",\n")}\n]\n`;
/** the row without the comma before its "speaker" field */
const noComma = (row: string): string => row.replace(',"speaker"', ' "speaker"');
const BROKEN_HINT = "hint: fix the file there (or export it again), then import it again";

/** imports `file` under a fresh prefix: its error line and hint line (after checking it exits 2, prints nothing on stdout and imports nothing) */
async function importBroken(file: string): Promise<[string, string]> {
  const prefix = freshPrefix();
  const r = await cli(prefix, ["import", file]);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe("");
  const lines = r.stderr.trim().split("\n");
  expect(lines).toHaveLength(2);
  expect(await redis.keys(`${prefix}:*`)).toEqual([]);
  const list = await cli(prefix, ["list", "--json"]);
  expect(list.code, list.stderr).toBe(0);
  expect(list.stdout.trim()).toBe("");
  return [lines[0] ?? "", lines[1] ?? ""];
}

describe("dialogue import: a JSON array broken part-way names the item, line and column of the break", () => {
  it("5,000 items, one a line, item 3,001 lacking a comma between two fields: item 3,001, line 3002 (thousands of rows were staged first, and dropped)", async () => {
    const items = rows(5000);
    items[3000] = noComma(items[3000] ?? "");
    const text = pretty(items);
    expect(text.length).toBeGreaterThan(6 * 65_536);
    const file = write("big.json", text);
    const column = `  ${items[3000]}`.indexOf('"speaker"') + 1;
    const [error, hint] = await importBroken(file);
    expect(error).toBe(`error: ${file}: the JSON array is broken at item 3,001 (line 3002, column ${column}): a comma is missing before '"speaker":"p0","text":"l…'; nothing was imported`);
    expect(hint).toBe(BROKEN_HINT);
  });

  it("the same 5,000 items on one line: item 3,001, line 1 and its column", async () => {
    const items = rows(5000);
    items[3000] = noComma(items[3000] ?? "");
    const text = `[${items.join(",")}]`;
    const file = write("big-one-line.json", text);
    const column = text.indexOf(' "speaker"') + 2;
    const [error] = await importBroken(file);
    expect(error).toBe(`error: ${file}: the JSON array is broken at item 3,001 (line 1, column ${column}): a comma is missing before '"speaker":"p0","text":"l…'; nothing was imported`);
  });

  it("a small file broken in item 2 (within the first chunk the parser reads): item 2", async () => {
    const items = rows(4);
    items[1] = noComma(items[1] ?? "");
    const file = write("small.json", pretty(items));
    const [error, hint] = await importBroken(file);
    expect(error).toBe(`error: ${file}: the JSON array is broken at item 2 (line 3, column ${`  ${items[1]}`.indexOf('"speaker"') + 1}): a comma is missing before '"speaker":"p1","text":"l…'; nothing was imported`);
    expect(hint).toBe(BROKEN_HINT);
  });

  it("a comma missing in the last item: that item, not 'not a JSON array'", async () => {
    const items = rows(4);
    items[3] = noComma(items[3] ?? "");
    const file = write("last.json", pretty(items));
    const [error, hint] = await importBroken(file);
    expect(error).toBe(`error: ${file}: the JSON array is broken at item 4 (line 5, column ${`  ${items[3]}`.indexOf('"speaker"') + 1}): a comma is missing before '"speaker":"p1","text":"l…'; nothing was imported`);
    expect(hint).toBe(BROKEN_HINT);
  });

  it("a comma left out between two items: the second of them", async () => {
    const items = rows(4);
    const file = write("between.json", `[\n  ${items[0]},\n  ${items[1]}\n  ${items[2]},\n  ${items[3]}\n]\n`);
    const [error] = await importBroken(file);
    expect(error).toBe(`error: ${file}: the JSON array is broken at item 3 (line 4, column 3): a comma is missing between item 2 and item 3; nothing was imported`);
  });

  it("a trailing comma, [{...},]: after the last item, on the line of the ]", async () => {
    const file = write("trailing.json", `[\n  ${rows(4).join(",\n  ")},\n]\n`);
    const [error, hint] = await importBroken(file);
    expect(error).toBe(`error: ${file}: the JSON array is broken after item 4 (line 6, column 1): a comma after item 4, then the closing ] (a trailing comma); nothing was imported`);
    expect(hint).toBe(BROKEN_HINT);
  });

  it("text after the closing ] (the array written twice): after the last item, where the text begins", async () => {
    const file = write("twice.json", pretty(rows(4)) + pretty(rows(4)));
    const [error, hint] = await importBroken(file);
    expect(error).toBe(`error: ${file}: the JSON array is broken after item 4 (line 7, column 1): text after the array's closing ]: '['; nothing was imported`);
    expect(hint).toBe(BROKEN_HINT);
  });

  it("cut short inside an item: that item, at the file's end", async () => {
    const text = `[${rows(4).join(",")}]`;
    const cut = text.slice(0, text.length - 30);
    const file = write("cut.json", cut);
    const [error] = await importBroken(file);
    expect(error).toBe(`error: ${file}: the JSON array is broken at item 4 (line 1, column ${cut.length + 1}): the file ends inside the item (cut short); nothing was imported`);
  });
});

describe("dialogue import: a .json file that is no JSON array at all", () => {
  it("one object at the top: said so, with the .jsonl hint", async () => {
    const file = write("object.json", `${rows(1)[0]}\n`);
    const [error, hint] = await importBroken(file);
    expect(error).toBe(`error: ${file} is not a JSON array of objects: its top level is one object; nothing was imported`);
    expect(hint).toBe("hint: a .json file holds one array of row objects, [{...}, {...}]; for one object per line, use .jsonl (or --format jsonl)");
  });

  it("JSON lines named .json: said so, with --format jsonl, which then imports it", async () => {
    const file = write("lines.json", `${rows(20).join("\n")}\n`);
    const [error, hint] = await importBroken(file);
    expect(error).toBe(`error: ${file} is not a JSON array of objects: it holds one JSON object after another (JSON lines); nothing was imported`);
    expect(hint).toBe("hint: import it with --format jsonl, or name it .jsonl: a .json file holds one array of row objects, [{...}, {...}]");

    const prefix = freshPrefix();
    const ok = await cli(prefix, ["import", file, "--format", "jsonl"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("Imported 2 sessions");
  });
});
