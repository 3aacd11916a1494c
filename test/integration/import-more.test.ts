/**
 * `dialogue import`, with the real CLI against the test Redis, on what a tester found: a .tsv file
 * is read as tab-separated with no flag (--delimiter still overrides it); a CSV quote never closed
 * is named by the line and column where it opens (not the end of the file), exit 2, and nothing of
 * the file is left in Redis while what an earlier import recorded stays; the report of a 5,000-
 * session import lists 20 sessions and counts the rest, its totals exact, and --json lists them all.
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
  dir = mkdtempSync(path.join(tmpdir(), "dialogue-import-more-"));
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
const idsIn = (stdout: string): string[] => [...stdout.matchAll(/^ {2}(imp-\S+)\s+session/gm)].map((m) => m[1] as string);
const listedIds = async (prefix: string): Promise<string[]> => {
  const r = await cli(prefix, ["list", "--json", "--limit", "10000"]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim() ? r.stdout.trim().split("\n").map((l) => (JSON.parse(l) as { id: string }).id) : [];
};

describe("dialogue import: a .tsv file is tab-separated from its name", () => {
  it("imports with no flag (commas in the text stay in it), and shows in list and show; --help and the one-column hint say so", async () => {
    const prefix = freshPrefix();
    const file = write("calls.tsv", ["session_id\ttimestamp\tspeaker\ttext", `v\t${t(0)}\tagent\thello, how can I help?`, `v\t${t(5)}\tcaller\tmy order, number 12, is late`].join("\n") + "\n");
    const r = await cli(prefix, ["import", file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("calls.tsv: 2 rows (csv, tab-separated, sha256 ");
    expect(r.stdout).toMatch(/^ {2}imp-v-\S+ {2}session v · 2 messages · agent, caller · 2024-01-01 00:00:00 → 2024-01-01 00:00:05 UTC \(5s\)$/m);
    const [id] = idsIn(r.stdout);
    expect(id).toBeDefined();

    const list = await cli(prefix, ["list", "--status", "imported"]);
    expect(list.stdout).toContain(id);
    expect(list.stdout).toContain("imported from calls.tsv");
    const show = await cli(prefix, ["show", id!]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain("hello, how can I help?");
    expect(show.stdout).toContain("my order, number 12, is late");

    // --delimiter overrides the name: read with "," the header is one column, and the hint names tab
    const comma = await cli(prefix, ["import", file, "--delimiter", ","]);
    expect(comma.code).toBe(2);
    expect(comma.stderr.split("\n")[0]).toBe(`error: ${file} looks tab-separated: its header is one column, "session_id\\ttimestamp\\tspeaker\\ttext": import it with --delimiter tab`);
    expect(comma.stderr).toContain('hint: a .tsv file is read with tabs between fields, any other CSV with ",", unless --delimiter names another');

    const help = await cli(prefix, ["import", "--help"]);
    expect(help.stdout).toContain(".tsv");
    expect(help.stdout).toMatch(/default: a tab for a\s+\.tsv file/);
  });

  it("a tab-separated file named .csv takes --delimiter tab or '\\t' (and the same rows import as the .tsv did: already there)", async () => {
    const prefix = freshPrefix();
    const rows = ["session_id\ttimestamp\tspeaker\ttext", `w\t${t(0)}\ta\thi`, `w\t${t(1)}\tb\thello`].join("\n") + "\n";
    const tsv = await cli(prefix, ["import", write("w.tsv", rows)]);
    expect(tsv.code, tsv.stderr).toBe(0);
    const csv = write("tabs.csv", rows);
    const plain = await cli(prefix, ["import", csv]);
    expect(plain.code).toBe(2);
    expect(plain.stderr.split("\n")[0]).toMatch(/looks tab-separated: .*: import it with --delimiter tab$/);
    for (const spelled of ["tab", "\\t"]) {
      const r = await cli(prefix, ["import", csv, "--delimiter", spelled]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("Already imported, left as they were (1):");
    }
    expect(await listedIds(prefix)).toHaveLength(1);
  });
});

describe("dialogue import: a CSV quote never closed is named where it opens", () => {
  const rowsOf = (from: number, n: number, session = (i: number) => `s${Math.floor(i / 10)}`): string[] => Array.from({ length: n }, (_, k) => `${session(from + k)},${t(from + k)},p${(from + k) % 2},hello ${from + k}`);

  it("1,000 rows, an open quote on line 501: that line, column and field, in one line with a hint; exit 2; nothing of the file left, an earlier import kept", async () => {
    const prefix = freshPrefix();
    const earlier = await cli(prefix, ["import", write("earlier.csv", ["session_id,timestamp,speaker,text", `E,${t(0)},a,hi`, `E,${t(1)},b,hello`].join("\n") + "\n")]);
    expect(earlier.code, earlier.stderr).toBe(0);
    const before = (await redis.keys(`${prefix}:*`)).sort();

    const lines = ["session_id,timestamp,speaker,text", ...rowsOf(0, 499), `s50,${t(499)},p1,"it was, I think`, ...rowsOf(500, 500)];
    const file = write("unclosed.csv", lines.join("\n") + "\n");
    const r = await cli(prefix, ["import", file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const column = `s50,${t(499)},p1,`.length + 1;
    expect(r.stderr.trim().split("\n")).toEqual([
      `error: ${file}, line 501, column ${column} (field "text"): a quote opens a field there and is never closed, so the rest of the file would be that one field; nothing was imported`,
      'hint: close that quote, or remove it (a quote inside a quoted field is written twice: ""), then import the file again',
    ]);
    // nothing staged or committed from the file; what was there before is as it was
    expect((await redis.keys(`${prefix}:*`)).sort()).toEqual(before);
    expect(await listedIds(prefix)).toEqual(idsIn(earlier.stdout));

    // fixed as the hint says, the whole file imports
    writeFileSync(file, lines.map((l) => l.replace('"it was, I think', '"it was, I think"')).join("\n") + "\n");
    const fixed = await cli(prefix, ["import", file]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toContain("1,000 rows");
    expect(fixed.stdout).toContain("Imported 100 sessions");
  });

  it("Windows line ends, a text over two lines, then a quote left open that a later quoted field seems to close: the lines an editor shows, where it opened", async () => {
    const prefix = freshPrefix();
    const lines = ["session_id,timestamp,speaker,text", ...rowsOf(0, 4), `s0,${t(4)},p0,"two\r\nlines"`, `s0,${t(5)},p1,"left open`, ...rowsOf(6, 20), `s2,${t(26)},p0,"quoted, fine"`, ...rowsOf(27, 3)];
    const file = write("early.csv", lines.join("\r\n") + "\r\n");
    const r = await cli(prefix, ["import", file]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toEqual([
      `error: ${file}, line 8, column ${`s0,${t(5)},p1,`.length + 1} (field "text"): a quote opens a field there and is not closed on its line; the next quote, on line 29, is followed by "q", not a delimiter or the line's end; nothing was imported`,
      'hint: close that quote on line 8, or remove it (a quote inside a quoted field is written twice: ""), then import the file again',
    ]);
    expect(await redis.keys(`${prefix}:*`)).toEqual([]);
  });
});

describe("dialogue import: a CSV row's line is the line an editor shows", () => {
  it("Windows line ends and a text over two lines: a bad row after it is reported on its own line", async () => {
    const prefix = freshPrefix();
    const file = write("crlf.csv", ["session_id,timestamp,speaker,text", `m,${t(0)},p0,"two`, `lines"`, `m,${t(1)},p1,x`, "m,yesterday,p1,x", `m,${t(3)},p0,y`].join("\r\n") + "\r\n");
    const r = await cli(prefix, ["import", file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('  line 5 (session m): the time "yesterday" is not an ISO 8601 date');
    expect(r.stderr.split("\n")[0]).toBe("error: 1 bad row (line 5); 1 session not imported");
  });
});

describe("dialogue import: the report of a big import", () => {
  it("5,000 sessions: 20 listed, the rest counted, the totals exact; list and --json show them all; again, 'already imported' is capped too", async () => {
    const prefix = freshPrefix();
    const rows = Array.from({ length: 5000 }, (_, s) => [0, 1].map((k) => JSON.stringify({ session_id: `c${s}`, timestamp: t(s * 10 + k), speaker: `p${k}`, text: `line ${k} of ${s}` }))).flat();
    const file = write("big.jsonl", rows.join("\n") + "\n");
    const r = await cli(prefix, ["import", file], 120_000);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout.trim().split("\n");
    expect(out.length).toBeLessThan(30);
    expect(out[0]).toMatch(/^big\.jsonl: 10,000 rows \(jsonl, sha256 /);
    expect(out[1]).toBe("Imported 5,000 sessions (status imported):");
    expect(idsIn(r.stdout)).toHaveLength(20);
    expect(out).toContain(`  … and 4,980 more sessions (dialogue list --status imported --limit 5000 --prefix ${prefix} shows them; --json lists them)`);

    expect(await listedIds(prefix)).toHaveLength(5000);
    const listed = await cli(prefix, ["list", "--status", "imported", "--limit", "5000"]);
    expect(listed.stdout.trim().split("\n")).toHaveLength(5001);

    const again = await cli(prefix, ["import", file], 120_000);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("Already imported, left as they were (5,000):");
    expect(idsIn(again.stdout)).toHaveLength(20);
    expect(again.stdout).toContain(`  … and 4,980 more sessions (dialogue list --status imported --limit 5000 --prefix ${prefix} shows them; --json lists them)`);

    const json = await cli(prefix, ["import", file, "--json"], 120_000);
    const report = JSON.parse(json.stdout) as { imported: unknown[]; already: Array<{ id: string }> };
    expect(report.imported).toHaveLength(0);
    expect(report.already).toHaveLength(5000);
  }, 300_000);
});
