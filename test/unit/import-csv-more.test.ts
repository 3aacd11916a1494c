/**
 * The pieces under `dialogue import`'s CSV places and report: a file's name says its format and
 * delimiter (.tsv: tab); lines are counted as an editor shows them ("\r\n" once, across chunks);
 * the opening quote of a field is found past a BOM, a header, empty lines and quoted fields over
 * several lines; the report lists 20 sessions of each kind and counts the rest.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { reportText, SHOWN } from "../../src/cli/import-report.js";
import { LineCounter, quoteStart } from "../../src/import/csv-place.js";
import type { ImportReport } from "../../src/import/importer.js";
import { delimiterOfName, formatOf } from "../../src/import/rows.js";

const dir = mkdtempSync(path.join(tmpdir(), "dialogue-csv-more-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string): string => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};

describe("a file's name: format and delimiter", () => {
  it(".tsv is CSV split by tabs; .csv by commas; the case of the name and dots in folders do not matter", () => {
    expect(formatOf("calls.tsv")).toBe("csv");
    expect(formatOf("CALLS.TSV")).toBe("csv");
    expect(delimiterOfName("calls.tsv")).toBe("\t");
    expect(delimiterOfName("CALLS.TSV")).toBe("\t");
    expect(delimiterOfName("calls.csv")).toBe(",");
    expect(formatOf("exports.tsv/calls")).toBeNull();
  });
});

describe("LineCounter", () => {
  it('counts "\\r\\n" once, even split over two chunks; a lone "\\r" or "\\n" once; a record\'s end line leaves out its own line break', () => {
    const c = new LineCounter();
    const text = 'a,b\r\n1,"x\r\ny"\r\n2,3\r\n4,5';
    c.push(Buffer.from(text.slice(0, 9)));
    c.push(Buffer.from(text.slice(9)));
    const after = (s: string): number => Buffer.byteLength(text.slice(0, text.indexOf(s) + s.length));
    expect(c.endLine(after('y"\r\n'))).toBe(3);
    expect(c.lineAt(after('y"\r\n'))).toBe(4);
    expect(c.endLine(after("2,3\r\n"))).toBe(4);
    expect(c.endLine(Buffer.byteLength(text))).toBe(5);

    const old = new LineCounter();
    old.push(Buffer.from("a\rb\nc\r"));
    old.push(Buffer.from("\nd"));
    expect(old.lineAt(8)).toBe(4);
  });
});

describe("quoteStart", () => {
  const from = { bytes: 0, line: 1, skip: 1, field: 0, delimiter: "," };

  it("past a BOM, the header, an empty line and a quoted field over two lines: the line and column of the quote", async () => {
    const file = write("q.csv", '\uFEFFa,b,c\n\n1,"multi\r\nline",x\n2,ok,"open\n3,4,5\n');
    // the record that failed is the second after the header; passing over the first, from the file's start
    expect(await quoteStart(file, { ...from, skip: 2, field: 2 })).toEqual({ line: 5, column: 6 });
    // a field that does not open with a quote: none
    expect(await quoteStart(file, { ...from, skip: 2, field: 1 })).toBeNull();
    // the header's own quote, before any record was read
    expect(await quoteStart(write("h.csv", 'a,"b,c\n1,2,3\n'), { ...from, skip: 0, field: 1 })).toEqual({ line: 1, column: 3 });
  });

  it('from a record\'s byte, with the quote that closes it: the next one not written twice ("")', async () => {
    const text = 'a,b\n1,2\n3,"it ""was"" open\n4,5\n6,"x"y\n';
    const file = write("c.csv", text);
    const bytes = Buffer.byteLength("a,b\n1,2\n");
    expect(await quoteStart(file, { ...from, bytes, line: 3, skip: 0, field: 1 }, true)).toEqual({ line: 3, column: 3, closedOn: 5 });
    expect(await quoteStart(file, { ...from, bytes, line: 3, skip: 0, field: 1 })).toEqual({ line: 3, column: 3 });
  });
});

describe("reportText: 20 sessions of each kind, the rest counted", () => {
  const base: ImportReport = { file: "big.tsv", sha256: "0".repeat(64), format: "csv", delimiter: "\t", rows: 10_000, imported: [], already: [], rejected: [], bad_rows: [], bad_row_count: 0, unattributed: 0, unreadable: 0 };
  const session = (i: number) => ({ id: `imp-s${i}-0`, session: `s${i}`, speakers: ["a", "b"], messages: 2, first: 0, last: 1000 });

  it("5,000 imported: the exact total, SHOWN lines, then how many more and where they all are; the delimiter named", () => {
    const text = reportText({ ...base, imported: Array.from({ length: 5000 }, (_, i) => session(i)) }, "");
    const lines = text.split("\n");
    expect(lines[0]).toBe("big.tsv: 10,000 rows (csv, tab-separated, sha256 000000000000…)");
    expect(lines[1]).toBe("Imported 5,000 sessions (status imported):");
    expect(lines.filter((l) => /^ {2}imp-s\d+-0 {2}session/.test(l))).toHaveLength(SHOWN);
    expect(SHOWN).toBe(20);
    expect(lines).toContain("  … and 4,980 more sessions (dialogue list --status imported --limit 5000 shows them; --json lists them)");
    expect(lines.length).toBeLessThan(30);
  });

  it("already imported: capped the same; exactly 20: no 'more' line; a comma-separated CSV names no delimiter", () => {
    const already = reportText({ ...base, delimiter: ",", already: Array.from({ length: 21 }, (_, i) => ({ id: `imp-s${i}-0`, session: `s${i}` })) }, "");
    expect(already).toContain("Already imported, left as they were (21):");
    expect(already).toContain("  … and 1 more session (dialogue list --status imported --limit 21 shows them; --json lists them)");
    expect(already.split("\n")[0]).toBe("big.tsv: 10,000 rows (csv, sha256 000000000000…)");
    const twenty = reportText({ ...base, imported: Array.from({ length: 20 }, (_, i) => session(i)) }, "");
    expect(twenty).not.toContain("more session");
  });
});
