/**
 * Places in a CSV file as an editor shows them: lines (a line break is "\n", "\r\n" or "\r") and
 * columns, both from 1. csv-parse's own count is not one to show: it counts a "\r\n" inside a
 * quoted field as two lines, and for a quote that went wrong it names the line it stopped on —
 * for a quote never closed, the end of the file; for one closed too early, a later line — while
 * the user needs the line the quoted field opened on.
 *
 * LineCounter follows the file's bytes as they are read and tells the line of a byte offset (the
 * parser gives each record's end as one); quoteStart reads the file again from where the record
 * that failed begins, up to the quote that opens the field the parser was in.
 */
import { createReadStream } from "node:fs";

/** counts the line breaks of a file's chunks, up to offsets asked for in increasing order; holds only the chunks not counted yet */
export class LineCounter {
  private chunks: Buffer[] = [];
  /** the bytes counted, and the line the next byte is on */
  private at = 0;
  private line = 1;
  /** the byte before `at` was "\r" (a "\n" after it ends no other line), or any line break */
  private cr = false;
  private broke = false;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  /** the line byte `offset` is on (offsets at or past the last one asked) */
  lineAt(offset: number): number {
    while (this.at < offset) {
      const chunk = this.chunks[0];
      if (!chunk) break;
      const end = Math.min(chunk.length, offset - this.at);
      for (let i = 0; i < end; i++) {
        const b = chunk[i];
        if (b === 0x0a) {
          if (!this.cr) this.line++;
          [this.cr, this.broke] = [false, true];
        } else if (b === 0x0d) {
          this.line++;
          [this.cr, this.broke] = [true, true];
        } else {
          [this.cr, this.broke] = [false, false];
        }
      }
      this.at += end;
      if (end === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(end);
    }
    return this.line;
  }

  /** the line a record that ends just before byte `offset` (its line break, if any, included) ends on */
  endLine(offset: number): number {
    const next = this.lineAt(offset);
    return this.broke ? next - 1 : next;
  }
}

export interface QuoteFrom {
  /** the byte where the search starts: just after the last whole record, or 0 */
  bytes: number;
  /** the line that byte is on */
  line: number;
  /** whole records to pass over first (the header, when no row was read yet) */
  skip: number;
  /** the index of the field whose quote is sought, in the record after those */
  field: number;
  delimiter: string;
}

export interface QuoteStart {
  line: number;
  column: number;
  /** with `closing`: the line of the next quote that is not one written twice (null: none before the end) */
  closedOn?: number | null;
}

type State = "start" | "plain" | "quoted" | "quote-in-quoted";

/**
 * The opening quote of field `from.field` of the record that begins at `from` (null when that
 * field does not open with a quote). `closing`: also the line of the quote that ends it (the
 * file is read on to there; without, only to the opening quote).
 */
export async function quoteStart(file: string, from: QuoteFrom, closing = false): Promise<QuoteStart | null> {
  const input = createReadStream(file, { start: from.bytes, encoding: "utf8" });
  let [line, column, skip, field] = [from.line, 0, from.skip, 0];
  let state: State = "start";
  let [empty, cr, first] = [true, false, from.bytes === 0];
  let found: QuoteStart | null = null;
  // with `found`: the line of the last quote seen in its field (it may be one written twice)
  let closeLine: number | null = null;
  try {
    for await (const chunk of input as AsyncIterable<string>) {
      for (const c of chunk) {
        if (first) {
          first = false;
          if (c === "\uFEFF") continue;
        }
        const afterCr = cr;
        cr = c === "\r";
        if (c === "\n" && afterCr) continue;
        if (c === "\n" || c === "\r") {
          [line, column] = [line + 1, 0];
          if (state === "quoted") continue;
          if (found) return { ...found, closedOn: closeLine };
          // a record ends (an empty line is no record: csv-parse skips those)
          if (!empty) skip = Math.max(0, skip - 1);
          [field, state, empty] = [0, "start", true];
          continue;
        }
        column++;
        empty = false;
        if (found) {
          // past the opening quote: the next quote not written twice ("") is the one that ends the field
          if (state === "quote-in-quoted" && c !== '"') return { ...found, closedOn: closeLine };
          if (state === "quoted" && c === '"') [state, closeLine] = ["quote-in-quoted", line];
          else state = "quoted";
          continue;
        }
        const sought = skip === 0 && field === from.field;
        if (state === "start" && sought) {
          if (c !== '"') return null;
          found = { line, column };
          if (!closing) return found;
          state = "quoted";
        } else if (state === "start") {
          state = c === '"' ? "quoted" : c === from.delimiter ? "start" : "plain";
          if (c === from.delimiter) field++;
        } else if (state === "quoted") {
          if (c === '"') state = "quote-in-quoted";
        } else if (state === "quote-in-quoted" && c === '"') {
          state = "quoted";
        } else if (c === from.delimiter) {
          state = "start";
          field++;
        } else {
          state = "plain";
        }
        if (skip === 0 && field > from.field) return null;
      }
    }
    return found ? { ...found, closedOn: state === "quote-in-quoted" ? closeLine : null } : null;
  } finally {
    input.destroy();
  }
}
