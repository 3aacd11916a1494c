/**
 * Reading the rows of a recorded conversation file, streamed: JSON lines (one object a line),
 * a JSON array of objects (stream-json: one element at a time), or CSV with a header row
 * (csv-parse: one record at a time; "," between fields — a tab in a .tsv file — unless a delimiter
 * is given). Memory holds one row, whatever the file's size.
 *
 * Each row comes with where it was — its line (JSON lines, CSV) or its place in the array (JSON)
 * — and either its object or why it is not one. A file that cannot be read as its format at all
 * (a JSON document that is not an array, or an array broken part-way; a CSV quote never closed)
 * throws a UsageError naming the place — for a JSON array, the item, line and column of the
 * break (json-place.ts); for a CSV quote, the line and column where it opened (csv-place.ts) —
 * and nothing is imported.
 */
import { createReadStream } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { parse } from "csv-parse";
import streamArray from "stream-json/streamers/stream-array.js";
import { UsageError } from "../errors/index.js";
import { LineCounter, quoteStart, type QuoteFrom } from "./csv-place.js";
import { jsonArrayProblem } from "./json-place.js";

export const FORMATS = ["jsonl", "json", "csv"] as const;
export type ImportFormat = (typeof FORMATS)[number];

export interface RawRow {
  /** the line it starts on (JSON lines) or ends on (CSV; "\r\n" inside a quoted field is one line break); null for a JSON array's element */
  line: number | null;
  /** its place in a JSON array, from 1; null otherwise */
  item: number | null;
  /** the row's fields; null when it is not an object at all */
  value: Record<string, unknown> | null;
  /** why the row is bad (its fields may still name its session) */
  error: string | null;
}

/** where a row was, for messages: "line 12" or "item 3" */
export const rowPlace = (r: Pick<RawRow, "line" | "item">): string => (r.line !== null ? `line ${r.line}` : `item ${r.item ?? "?"}`);

/** the format a file name says (.jsonl/.ndjson, .json, .csv/.tsv), or null */
export function formatOf(file: string): ImportFormat | null {
  const ext = extensionOf(file);
  if (ext === "jsonl" || ext === "ndjson") return "jsonl";
  if (ext === "json") return "json";
  if (ext === "csv" || ext === "tsv") return "csv";
  return null;
}

/** CSV: the character between fields a file name says: a tab for .tsv, else "," */
export function delimiterOfName(file: string): string {
  return extensionOf(file) === "tsv" ? "\t" : ",";
}

const extensionOf = (file: string): string => (path.basename(file).toLowerCase().split(".").at(-1) ?? "");

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

async function* jsonLines(file: string, o: ReadOptions): AsyncGenerator<RawRow> {
  const input = createReadStream(file);
  input.on("data", (chunk) => o.onChunk?.(chunk as Buffer));
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      yield { line, item: null, value: null, error: `not JSON (${(err as Error).message})` };
      continue;
    }
    yield isObject(value) ? { line, item: null, value, error: null } : { line, item: null, value: null, error: "not a JSON object" };
  }
}

async function* jsonArray(file: string, o: ReadOptions): AsyncGenerator<RawRow> {
  const input = createReadStream(file);
  input.on("data", (chunk) => o.onChunk?.(chunk as Buffer));
  const items = input.pipe(streamArray.withParserAsStream());
  input.on("error", (err) => items.destroy(err));
  try {
    for await (const { key, value } of items as AsyncIterable<{ key: number; value: unknown }>) {
      const item = key + 1;
      yield isObject(value) ? { line: null, item, value, error: null } : { line: null, item, value: null, error: "not a JSON object" };
    }
  } catch (err) {
    // the parser's error names no place, and the items of the chunk it failed in never came: json-place.ts reads the file again for the place
    throw await jsonArrayProblem(file, err as Error);
  } finally {
    input.destroy();
  }
}

async function* csvRows(file: string, o: ReadOptions): AsyncGenerator<RawRow> {
  const input = createReadStream(file);
  // the lines are counted here, not by csv-parse (csv-place.ts): its chunks reach the counter before the parser
  const lines = new LineCounter();
  input.on("data", (chunk) => {
    lines.push(chunk as Buffer);
    o.onChunk?.(chunk as Buffer);
  });
  const delimiter = o.delimiter ?? delimiterOfName(file);
  // where the last whole record ended, kept as csv-parse reads (rows it has read may not have reached the loop when it fails)
  const whole: QuoteFrom = { bytes: 0, line: 1, skip: 0, field: 0, delimiter };
  const columns = (header: string[]): string[] => {
    whole.skip = 1;
    o.onColumns?.(header);
    return header;
  };
  // each record's line, in the parser's order (it may read a few records ahead of the loop)
  const ends: number[] = [];
  const onRecord = (record: Record<string, string>, context: { bytes_records: number }): Record<string, string> => {
    ends.push(lines.endLine(context.bytes_records));
    [whole.bytes, whole.line, whole.skip] = [context.bytes_records, lines.lineAt(context.bytes_records), 0];
    return record;
  };
  const parser = input.pipe(parse({ columns, delimiter, bom: true, info: true, skip_empty_lines: true, relax_column_count: true, trim: false, on_record: onRecord }));
  input.on("error", (err) => parser.destroy(err));
  // csv-parse counts the records whose number of fields differs from the header's: a rise is this one
  let uneven = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { invalid_field_length: number } }>) {
      const line = ends.shift() ?? null;
      if (info.invalid_field_length > uneven) {
        uneven = info.invalid_field_length;
        // the fields it has are kept, so the row can still be told to its session
        yield { line, item: null, value: record, error: "its number of fields differs from the header's" };
        continue;
      }
      yield { line, item: null, value: record, error: null };
    }
  } catch (err) {
    throw (await quoteProblem(file, err as CsvError, whole)) ?? new UsageError(`${file} cannot be read as CSV: ${(err as Error).message}; nothing was imported`, "a CSV file needs a header row naming the columns, and every quote closed");
  }
}

/** what csv-parse tells of its error: its code, the field it was in (its index, and its column's name once the header is read) */
interface CsvError extends Error {
  code?: string;
  index?: number;
  column?: unknown;
}

/**
 * A quote never closed, or closed too early, named where its field opened (csv-parse names where
 * it stopped: the end of the file, or a later line); null for any other error, or when the place
 * cannot be found
 */
async function quoteProblem(file: string, err: CsvError, whole: QuoteFrom): Promise<UsageError | null> {
  if ((err.code !== "CSV_QUOTE_NOT_CLOSED" && err.code !== "CSV_INVALID_CLOSING_QUOTE") || typeof err.index !== "number") return null;
  const at = await quoteStart(file, { ...whole, field: err.index }, err.code === "CSV_INVALID_CLOSING_QUOTE").catch(() => null);
  if (!at) return null;
  const field = typeof err.column === "string" ? `field "${err.column.length > 40 ? `${err.column.slice(0, 39)}…` : err.column}"` : `field ${err.index + 1}`;
  const place = `${file}, line ${at.line}, column ${at.column} (${field})`;
  const twice = 'a quote inside a quoted field is written twice: ""';
  if (err.code === "CSV_QUOTE_NOT_CLOSED") {
    return new UsageError(`${place}: a quote opens a field there and is never closed, so the rest of the file would be that one field; nothing was imported`, `close that quote, or remove it (${twice}), then import the file again`);
  }
  const after = /got (".*?") at line/.exec(err.message)?.[1] ?? "a character";
  const closedOn = at.closedOn ?? at.line;
  if (closedOn === at.line) {
    return new UsageError(`${place}: the quoted field that opens there ends early: a quote in it is followed by ${after}, not a delimiter or the line's end; nothing was imported`, `${twice}; fix that field, then import the file again`);
  }
  return new UsageError(
    `${place}: a quote opens a field there and is not closed on its line; the next quote, on line ${closedOn}, is followed by ${after}, not a delimiter or the line's end; nothing was imported`,
    `close that quote on line ${at.line}, or remove it (${twice}), then import the file again`,
  );
}

export interface ReadOptions {
  /** gets each chunk of the file as it is read */
  onChunk?: (chunk: Buffer) => void;
  /** CSV: gets the header's columns once read, before the first row */
  onColumns?: (columns: string[]) => void;
  /** CSV: the character between fields; @defaultValue what the file's name says (delimiterOfName): a tab for .tsv, else "," */
  delimiter?: string;
}

/** the rows of `file`, in file order */
export function readRows(file: string, format: ImportFormat, o: ReadOptions = {}): AsyncGenerator<RawRow> {
  if (format === "jsonl") return jsonLines(file, o);
  if (format === "json") return jsonArray(file, o);
  return csvRows(file, o);
}
