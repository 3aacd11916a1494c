/**
 * Material for the agents (`scenario.materials`, `--material <file>`): text, Markdown, CSV or
 * JSON files, checked and cut into chunks before a run starts. A file that cannot be read, is
 * binary, is over the size limit or is of another kind is a UsageError (exit 2): nothing starts.
 *
 * - Text and Markdown: paragraphs packed into chunks of about `chunk_tokens`, each titled by the
 *   nearest heading above it.
 * - CSV and JSON (an array of objects, or one object): first a summary as a data-context builder
 *   writes one — the columns with their types, ranges (numbers, dates) or most common values,
 *   and a few sample rows — then the rows themselves, a few to a chunk, one "column: value" line
 *   each, so a turn about March's sales can be given March's row.
 */
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { UsageError } from "../errors/index.js";
import type { MaterialFile } from "../protocol/record.js";

export interface MaterialSettings {
  /** tokens of material a turn's prompt may carry */
  budget_tokens: number;
  /** a chunk's size, about */
  chunk_tokens: number;
  /** larger files are refused */
  max_file_bytes: number;
}

export interface Chunk {
  /** "<file name>#<n>", n from 1 */
  id: string;
  file: string;
  title: string;
  text: string;
}

/** about 3 characters a token (worker/context.ts) */
export const CHARS_PER_TOKEN = 3;
export const chunkTokens = (c: Pick<Chunk, "title" | "text">): number => Math.ceil((c.title.length + c.text.length + 8) / CHARS_PER_TOKEN);

const KINDS: Record<string, MaterialFile["kind"]> = { ".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown", ".csv": "csv", ".json": "json" };

/** reads and checks one file: its text, or a UsageError saying what is wrong and what to do */
function readText(file: string, max: number): { text: string; bytes: number; sha256: string; kind: MaterialFile["kind"] } {
  const kind = KINDS[path.extname(file).toLowerCase()];
  if (!kind) throw new UsageError(`material ${file}: not a text, Markdown, CSV or JSON file`, "give .txt, .md, .csv or .json files (--material, scenario.materials)");
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new UsageError(`material ${file} is not a file`, "give a file (--material, scenario.materials)");
    size = st.size;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`material ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, "check the path (relative to the current directory) and its permissions");
  }
  if (size > max) throw new UsageError(`material ${file} is ${size.toLocaleString("en-US")} bytes, over the limit of ${max.toLocaleString("en-US")}`, "give a smaller file, or raise materials.max_file_bytes (--set materials.max_file_bytes=N)");
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    throw new UsageError(`material ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, "check the path and its permissions");
  }
  if (buf.includes(0)) throw new UsageError(`material ${file} is binary (it holds NUL bytes)`, "give the text itself: export a PDF or spreadsheet as .txt, .md or .csv");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(buf);
  } catch {
    throw new UsageError(`material ${file} is not UTF-8 text`, "save it as UTF-8 (or export it as .txt, .md or .csv)");
  }
  if (text.trim() === "") throw new UsageError(`material ${file} is empty`, "give a file with something in it");
  return { text: text.replace(/^\uFEFF/, ""), bytes: size, sha256: createHash("sha256").update(buf).digest("hex"), kind };
}

/** paragraphs packed into chunks of at most `max` characters, each titled by its heading */
export function chunkProse(text: string, name: string, max: number): Array<{ title: string; text: string }> {
  const out: Array<{ title: string; text: string }> = [];
  let title = name;
  let body: string[] = [];
  let size = 0;
  const flush = (): void => {
    if (body.length) out.push({ title, text: body.join("\n\n") });
    body = [];
    size = 0;
  };
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.trim().split("\n");
    const heading = /^#{1,6}\s+(.+)$/.exec(lines[0] ?? "");
    if (heading) {
      flush();
      title = heading[1]!.trim();
      lines.shift();
    }
    let para = lines.join("\n").trim();
    while (para.length > 0) {
      const piece = para.slice(0, max);
      para = para.slice(piece.length);
      if (size + piece.length > max) flush();
      body.push(piece);
      size += piece.length + 2;
    }
  }
  flush();
  return out;
}

type Rows = Array<Record<string, unknown>>;

const isDate = (s: string): boolean => /^\d{4}-\d{2}(-\d{2})?([T ][\d:.]+Z?)?$/.test(s) && Number.isFinite(Date.parse(s.length === 7 ? `${s}-01` : s));
const asNumber = (v: unknown): number | null => {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && /^-?\d[\d,]*(\.\d+)?$/.test(v.trim())) return Number(v.replace(/,/g, ""));
  return null;
};
const show = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v) ?? "");
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
/** a row's value, a date also in words ("2024-11 (November 2024)"), so a question in words finds it */
const showCell = (v: unknown): string => {
  const s = show(v);
  const m = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(s);
  const month = m ? MONTHS[Number(m[2]) - 1] : undefined;
  return m && month ? `${s} (${m[3] ? `${Number(m[3])} ` : ""}${month} ${m[1]})` : s;
};

/** a data-context summary of a table: columns, types, ranges or common values, sample rows */
export function summarizeTable(rows: Rows, name: string): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const lines = [`${name}: ${rows.length} rows, ${columns.length} columns.`];
  for (const c of columns) {
    const values = rows.map((r) => r[c]).filter((v) => v !== undefined && v !== null && v !== "");
    const nums = values.map(asNumber);
    if (values.length > 0 && nums.every((n) => n !== null)) {
      const ns = nums as number[];
      const sum = ns.reduce((a, b) => a + b, 0);
      lines.push(`- ${c}: number, ${Math.min(...ns)} to ${Math.max(...ns)}, mean ${(sum / ns.length).toFixed(2).replace(/\.00$/, "")}, total ${Number(sum.toFixed(2))}`);
    } else if (values.length > 0 && values.every((v) => typeof v === "string" && isDate(v))) {
      const sorted = (values as string[]).slice().sort();
      lines.push(`- ${c}: date, ${sorted[0]} to ${sorted.at(-1)}`);
    } else {
      const counts = new Map<string, number>();
      for (const v of values) counts.set(show(v), (counts.get(show(v)) ?? 0) + 1);
      const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([v, n]) => `${v.slice(0, 40)} (${n})`);
      lines.push(`- ${c}: text, ${counts.size} distinct${top.length ? `; most common: ${top.join(", ")}` : ""}`);
    }
  }
  lines.push("Sample rows:");
  for (const r of rows.slice(0, 3)) lines.push(`  ${columns.map((c) => `${c}: ${show(r[c])}`).join("; ")}`);
  return lines.join("\n");
}

/** a table as its summary, then its rows, a few to a chunk */
function tableChunks(rows: Rows, name: string, max: number): Array<{ title: string; text: string }> {
  const out = [{ title: `${name}: summary`, text: summarizeTable(rows, name) }];
  let body: string[] = [];
  let from = 1;
  rows.forEach((r, i) => {
    const line = Object.entries(r)
      .map(([k, v]) => `${k}: ${showCell(v)}`)
      .join("; ");
    if (body.length && body.join("\n").length + line.length > max) {
      out.push({ title: `${name}: rows ${from}-${i}`, text: body.join("\n") });
      body = [];
      from = i + 1;
    }
    body.push(line.slice(0, max));
  });
  if (body.length) out.push({ title: `${name}: rows ${from}-${rows.length}`, text: body.join("\n") });
  return out;
}

function jsonChunks(text: string, name: string, file: string, max: number): Array<{ title: string; text: string }> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`material ${file} is not valid JSON (${(err as Error).message})`, "fix the file, or give it as .txt");
  }
  if (Array.isArray(data) && data.length > 0 && data.every((x) => typeof x === "object" && x !== null && !Array.isArray(x))) return tableChunks(data as Rows, name, max);
  if (typeof data === "object" && data !== null && !Array.isArray(data)) {
    const entries = Object.entries(data as Record<string, unknown>);
    const tables = entries.filter(([, v]) => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "object" && x !== null && !Array.isArray(x)));
    const rest = entries.filter(([k]) => !tables.some(([t]) => t === k));
    return [
      ...(rest.length ? chunkProse(rest.map(([k, v]) => `${k}: ${show(v)}`).join("\n"), name, max) : []),
      ...tables.flatMap(([k, v]) => tableChunks(v as Rows, `${name} ${k}`, max)),
    ];
  }
  return chunkProse(JSON.stringify(data, null, 1), name, max);
}

/** every file read, checked and chunked; the spec's list of files and the chunks, in order */
export function loadMaterials(files: readonly string[], s: MaterialSettings): { files: MaterialFile[]; chunks: Chunk[] } {
  const max = s.chunk_tokens * CHARS_PER_TOKEN;
  const out: { files: MaterialFile[]; chunks: Chunk[] } = { files: [], chunks: [] };
  const names = new Set<string>();
  for (const file of files) {
    const { text, bytes, sha256, kind } = readText(file, s.max_file_bytes);
    let name = path.basename(file);
    for (let n = 2; names.has(name); n++) name = `${path.basename(file)}(${n})`;
    names.add(name);
    let parts: Array<{ title: string; text: string }>;
    if (kind === "csv") {
      let rows: Rows;
      try {
        rows = parse(text, { columns: true, skip_empty_lines: true, bom: true, relax_column_count: true }) as Rows;
      } catch (err) {
        throw new UsageError(`material ${file} is not valid CSV (${(err as Error).message})`, "a header row naming the columns, then rows; or give it as .txt");
      }
      if (rows.length === 0) throw new UsageError(`material ${file} has a header but no rows`, "give a CSV with rows");
      parts = tableChunks(rows, name, max);
    } else if (kind === "json") parts = jsonChunks(text, name, file, max);
    else parts = chunkProse(text, name, max);
    parts.forEach((p, i) => out.chunks.push({ id: `${name}#${i + 1}`, file: name, title: p.title.slice(0, 200), text: p.text }));
    out.files.push({ name, sha256, kind, bytes, chunks: parts.length });
  }
  return out;
}
