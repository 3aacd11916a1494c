/**
 * Reading the rows of a recorded conversation file, streamed: JSON lines (one object a line),
 * a JSON array of objects (stream-json: one element at a time), or CSV with a header row
 * (csv-parse: one record at a time; "," between fields unless a delimiter is given). Memory holds
 * one row, whatever the file's size.
 *
 * Each row comes with where it was — its line (JSON lines, CSV) or its place in the array (JSON)
 * — and either its object or why it is not one. A file that cannot be read as its format at all
 * (a JSON document that is not an array, a CSV quote never closed) throws a UsageError naming the
 * place, and nothing is imported.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { parse } from "csv-parse";
import streamArray from "stream-json/streamers/stream-array.js";
import { UsageError } from "../errors/index.js";

export const FORMATS = ["jsonl", "json", "csv"] as const;
export type ImportFormat = (typeof FORMATS)[number];

export interface RawRow {
  /** the line it starts on (JSON lines) or ends on (CSV); null for a JSON array's element */
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

/** the format a file name says (.jsonl/.ndjson, .json, .csv), or null */
export function formatOf(file: string): ImportFormat | null {
  const ext = file.toLowerCase().split(".").at(-1) ?? "";
  if (ext === "jsonl" || ext === "ndjson") return "jsonl";
  if (ext === "json") return "json";
  if (ext === "csv") return "csv";
  return null;
}

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
    throw new UsageError(`${file} is not a JSON array of objects: ${(err as Error).message}`, "a .json file holds one array of row objects; for one object per line, use .jsonl (or --format jsonl)");
  }
}

async function* csvRows(file: string, o: ReadOptions): AsyncGenerator<RawRow> {
  const input = createReadStream(file);
  input.on("data", (chunk) => o.onChunk?.(chunk as Buffer));
  const columns = (header: string[]): string[] => {
    o.onColumns?.(header);
    return header;
  };
  const parser = input.pipe(parse({ columns, delimiter: o.delimiter ?? ",", bom: true, info: true, skip_empty_lines: true, relax_column_count: true, trim: false }));
  input.on("error", (err) => parser.destroy(err));
  // csv-parse counts the records whose number of fields differs from the header's: a rise is this one
  let uneven = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number; invalid_field_length: number } }>) {
      const line = info.lines;
      if (info.invalid_field_length > uneven) {
        uneven = info.invalid_field_length;
        // the fields it has are kept, so the row can still be told to its session
        yield { line, item: null, value: record, error: "its number of fields differs from the header's" };
        continue;
      }
      yield { line, item: null, value: record, error: null };
    }
  } catch (err) {
    throw new UsageError(`${file} cannot be read as CSV: ${(err as Error).message}`, "a CSV file needs a header row naming the columns, and every quote closed");
  }
}

export interface ReadOptions {
  /** gets each chunk of the file as it is read */
  onChunk?: (chunk: Buffer) => void;
  /** CSV: gets the header's columns once read, before the first row */
  onColumns?: (columns: string[]) => void;
  /** CSV: the character between fields; @defaultValue "," */
  delimiter?: string;
}

/** the rows of `file`, in file order */
export function readRows(file: string, format: ImportFormat, o: ReadOptions = {}): AsyncGenerator<RawRow> {
  if (format === "jsonl") return jsonLines(file, o);
  if (format === "json") return jsonArray(file, o);
  return csvRows(file, o);
}
