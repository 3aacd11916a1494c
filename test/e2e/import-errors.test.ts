/**
 * `dialogue import` when the file is not what it expects, with the real CLI against the test
 * Redis: column names that do not match (CSV header, JSON lines) are one line before any row is
 * read, naming every missing field and the options to map them; a semicolon-separated CSV says so
 * and --delimiter reads it; a header without rows, a missing file or a directory is one plain
 * line; bad rows of a file whose names are fine are capped at 20 printed lines; the summary counts
 * new and already-imported sessions apart and its hint fits what is left wrong. Exit 2 each time.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { cli } from "../helpers/runs.js";

let dir: string;
let redis: Redis;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "dialogue-import-errors-"));
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
const errorLines = (stderr: string): string[] => stderr.trim().split("\n");
const t = (s: number): string => new Date(Date.UTC(2024, 0, 1) + s * 1000).toISOString();

describe("dialogue import: names that do not match are one line, before any row", () => {
  it("a CSV of 5,000 rows with the header sid,who,what,when: every missing field, the columns, the options; nothing printed per row, nothing recorded", async () => {
    const prefix = freshPrefix();
    const rows = Array.from({ length: 5000 }, (_, i) => `x${Math.floor(i / 10)},a${i % 2},hi there ${i},${t(i)}`);
    const file = write("wrongbig.csv", ["sid,who,what,when", ...rows].join("\n") + "\n");
    const r = await cli(prefix, ["import", file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(errorLines(r.stderr)).toEqual([
      `error: ${file} has no column session_id, speaker, text or timestamp (its columns: sid, who, what, when): map them with --session-field sid --speaker-field who --text-field what --time-field when`,
      "hint: nothing was read or recorded; dialogue import --help shows every option",
    ]);
    expect(await redis.keys(`${prefix}:*`)).toEqual([]);

    // mapped as it says, the file imports
    const ok = await cli(prefix, ["import", file, "--session-field", "sid", "--speaker-field", "who", "--text-field", "what", "--time-field", "when"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("Imported 500 sessions");
  });

  it("JSON lines whose first rows lack fields: the same one line, with the fields they have", async () => {
    const prefix = freshPrefix();
    const file = write("other.jsonl", [0, 1, 2].map((i) => JSON.stringify({ conversation: "c", from: `p${i % 2}`, message: `m${i}`, timestamp: t(i) })).join("\n") + "\n");
    const r = await cli(prefix, ["import", file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(errorLines(r.stderr)[0]).toBe(
      `error: ${file} has no field session_id, speaker or text in any of its 3 rows (their fields: conversation, from, message, timestamp): map them with --session-field conversation --speaker-field from --text-field message`,
    );
    expect(await redis.keys(`${prefix}:*`)).toEqual([]);
  });

  it("a semicolon-separated CSV says so and names --delimiter; with --delimiter ';' it imports", async () => {
    const prefix = freshPrefix();
    const file = write("semi.csv", ["session_id;timestamp;speaker;text", `v;${t(0)};a;hi`, `v;${t(1)};b;hello, you`].join("\n") + "\n");
    const r = await cli(prefix, ["import", file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(errorLines(r.stderr)[0]).toBe(`error: ${file} looks semicolon-separated: its header is one column, "session_id;timestamp;speaker;text": import it with --delimiter ';'`);
    expect(await redis.keys(`${prefix}:*`)).toEqual([]);

    const ok = await cli(prefix, ["import", file, "--delimiter", ";"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/session v · 2 messages · a, b/);
    const help = await cli(prefix, ["import", "--help"]);
    expect(help.stdout).toContain("--delimiter <char>");
  });
});

describe("dialogue import: files with nothing to import, and files that are not there", () => {
  it("a CSV with a header and no rows is one line and exit 2, as an empty file is", async () => {
    const prefix = freshPrefix();
    const header = write("headeronly.csv", "session_id,timestamp,speaker,text\n");
    const r = await cli(prefix, ["import", header]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(errorLines(r.stderr)[0]).toBe(`error: ${header} has a header but no rows`);
    const empty = await cli(prefix, ["import", write("empty.csv", "")]);
    expect(empty.code).toBe(2);
    expect(errorLines(empty.stderr)[0]).toMatch(/^error: .*empty\.csv is empty$/);
    const none = await cli(prefix, ["import", write("none.json", "[]")]);
    expect(none.code).toBe(2);
    expect(errorLines(none.stderr)[0]).toMatch(/^error: .*none\.json has no rows$/);
    expect(await redis.keys(`${prefix}:*`)).toEqual([]);
  });

  it("no file there, or a directory: said plainly, without the system's error code", async () => {
    const prefix = freshPrefix();
    const missing = path.join(dir, "nosuch.jsonl");
    const r = await cli(prefix, ["import", missing]);
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)).toEqual([`error: no file at ${missing}`, "hint: check the path"]);
    const folder = path.join(dir, "folder.csv");
    mkdirSync(folder);
    const d = await cli(prefix, ["import", folder]);
    expect(d.code).toBe(2);
    expect(errorLines(d.stderr)[0]).toBe(`error: ${folder} is a directory, not a file`);
  });
});

describe("dialogue import: bad rows of a file whose names are fine", () => {
  it("300 bad rows: 20 printed, then how many more; the hint is about the rows", async () => {
    const prefix = freshPrefix();
    const file = write("manybad.jsonl", Array.from({ length: 300 }, (_, i) => JSON.stringify({ session_id: `s${Math.floor(i / 2)}`, timestamp: "01/02/2024", speaker: `p${i % 2}`, text: "x" })).join("\n"));
    const r = await cli(prefix, ["import", file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("Bad rows (300):");
    expect(r.stdout.split("\n").filter((l) => /^ {2}line \d+ \(session s\d+\): the time "01\/02\/2024"/.test(l))).toHaveLength(20);
    expect(r.stdout).toContain("  … and 280 more bad rows (--json lists them all)");
    expect(r.stdout).toContain("  … and 130 more sessions (--json lists them all)");
    expect(errorLines(r.stderr)).toEqual(["error: 300 bad rows (line 1, line 2, line 3, line 4, line 5, …); 150 sessions not imported", "hint: fix the bad rows and import the file again: the sessions already in are found, not added twice"]);
    const json = await cli(prefix, ["import", file, "--json"]);
    expect((JSON.parse(json.stdout) as { bad_rows: unknown[] }).bad_rows).toHaveLength(300);
  });

  it("a text over 200,000 characters: its row says to split or shorten it", async () => {
    const prefix = freshPrefix();
    const file = write("long.csv", ["session_id,timestamp,speaker,text", `H,${t(0)},a,"${"word ".repeat(50_000)}"`, `H,${t(1)},b,ok`].join("\n") + "\n");
    const r = await cli(prefix, ["import", file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("line 2 (session H): the text is 250,000 characters long, over the 200,000 a message may have: split it over several rows");
  });

  it("bad rows fixed, only speaker counts left: new and already-imported sessions counted apart, and the hint is about speakers", async () => {
    const prefix = freshPrefix();
    const row = (session: string, s: number, speaker: string, text = "x") => JSON.stringify({ session_id: session, timestamp: t(s), speaker, text });
    const good = [row("G", 0, "a", "hello"), row("G", 1, "b", "hi")];
    const alone = [row("O", 0, "a"), row("O", 1, "a")];
    const crowd = Array.from({ length: 9 }, (_, i) => row("N", i, `s${i}`));
    const file = path.join(dir, "mixed.jsonl");
    writeFileSync(file, [...good, JSON.stringify({ session_id: "T", timestamp: "yesterday", speaker: "a", text: "x" }), row("T", 1, "b"), ...alone, ...crowd, row("E", 0, "a", ""), row("E", 1, "b")].join("\n"));
    const first = await cli(prefix, ["import", file]);
    expect(first.code).toBe(2);
    expect(errorLines(first.stderr)[0]).toBe("error: 2 bad rows (line 3, line 16); 4 sessions not imported; 1 session imported");

    writeFileSync(file, [...good, row("T", 0, "a"), row("T", 1, "b"), ...alone, ...crowd, row("E", 0, "a", "fixed"), row("E", 1, "b")].join("\n"));
    const fixed = await cli(prefix, ["import", file]);
    expect(fixed.code).toBe(2);
    expect(fixed.stdout).toContain("Imported 2 sessions");
    expect(fixed.stdout).toContain("Already imported, left as they were (1)");
    expect(errorLines(fixed.stderr)).toEqual([
      "error: 2 sessions not imported; 2 sessions imported, 1 already imported",
      "hint: a session needs 2 to 8 speakers: check that --session-field and --speaker-field name the right fields, else leave those sessions out (the others are imported)",
    ]);
  });
});
