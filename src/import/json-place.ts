/**
 * Where a JSON array file breaks, for its one-line error: the item (from 1), and the line and
 * column as an editor shows them; or that the file is no JSON array at all.
 *
 * The rows are read by stream-json's parser, which cannot say where it failed: its error has no
 * place, and the items of the chunk it fails in never reach the reader. So, once it fails, the
 * file is read again twice, each time streamed (memory holds a block, whatever the file's size):
 * stream-json's verifier (verifyFile) finds the place of the break — its line, column and
 * offset, in characters after a byte-order mark — and what it expected there; then a small scan
 * reads up to that offset, counting the top-level array's items. The scan needs no more than
 * strings and brackets: the verifier has found all before the offset to be JSON.
 */
import { createReadStream } from "node:fs";
import { verifyFile, type VerifierError } from "stream-json/file/verifier.js";
import { UsageError } from "../errors/index.js";

/** where the top-level array's reading stands: just after "[", a comma, inside an item, after an item, or past "]" */
type AtItems = "open" | "comma" | "in-item" | "item" | "closed";

interface ScanAt {
  /** the first character that is not white space (a byte-order mark left out); null: none */
  first: string | null;
  /** how deep the scan is: 1 in the top-level array, 2 and over inside an item */
  depth: number;
  at: AtItems;
  /** the array's items begun before the offset */
  items: number;
  /** the character at the offset; null at the file's end */
  char: string | null;
  /** the text from the offset to its line's end, at most SHOWN characters */
  text: string;
}

const SHOWN = 24;
const isSpace = (c: string): boolean => c === " " || c === "\t" || c === "\n" || c === "\r";

/**
 * Scans `file` up to character `offset` (counted after a byte-order mark), then keeps the text
 * there; null: only to its first character that is not white space. What is no array is not
 * scanned past its first character.
 */
async function scanTo(file: string, offset: number | null): Promise<ScanAt> {
  const s: ScanAt = { first: null, depth: 0, at: "open", items: 0, char: null, text: "" };
  const input = createReadStream(file, { encoding: "utf8" });
  // `i`: the characters scanned; past the offset (or the first character of what is no array), the text there is kept
  let [i, inString, escaped, bom, showing] = [0, false, false, true, false];
  try {
    for await (const chunk of input as AsyncIterable<string>) {
      for (let k = 0; k < chunk.length; k++) {
        const c = chunk.charAt(k);
        if (bom) {
          bom = false;
          if (c === "\uFEFF") continue;
        }
        if (!showing && offset !== null && i >= offset) [showing, s.char] = [true, c];
        if (showing) {
          // a break at the start of the file: it begins there
          if (s.first === null && !isSpace(c)) s.first = c;
          if (c === "\n" || c === "\r" || s.text.length > SHOWN) return s;
          s.text += c;
          continue;
        }
        i++;
        if (inString) {
          if (escaped) escaped = false;
          else if (c === "\\") escaped = true;
          else if (c === '"') [inString, s.at] = [false, s.depth === 1 ? "item" : s.at];
          continue;
        }
        if (isSpace(c)) {
          if (s.depth === 1 && s.at === "in-item") s.at = "item";
          continue;
        }
        if (s.first === null) {
          s.first = c;
          if (c === "[") {
            if (offset === null) return s;
            s.depth = 1;
            continue;
          }
          // no array: what it begins with
          [showing, s.char, s.text] = [true, c, c];
          continue;
        }
        if (c === '"') inString = true;
        if (s.depth === 0) return s;
        if (s.depth === 1) {
          if (c === "]") [s.depth, s.at] = [0, "closed"];
          else if (c === ",") s.at = "comma";
          else if (s.at !== "in-item") {
            s.items++;
            s.at = "in-item";
            if (c === "{" || c === "[") s.depth = 2;
          }
        } else if (c === "{" || c === "[") {
          s.depth++;
        } else if (c === "}" || c === "]") {
          s.depth--;
          if (s.depth === 1) s.at = "item";
        }
      }
    }
    return s;
  } finally {
    input.destroy();
  }
}

/** where stream-json's verifier finds `file` is not JSON; null when it is */
async function verifierBreak(file: string): Promise<VerifierError | null> {
  try {
    await verifyFile(file);
    return null;
  } catch (err) {
    const e = err as Partial<VerifierError>;
    return typeof e.offset === "number" && typeof e.line === "number" && typeof e.pos === "number" ? (err as VerifierError) : null;
  }
}

const group = (n: number): string => n.toLocaleString("en-US");

/** the text at the break, quoted: '"b": 2}', or "the line's end" */
const shown = (s: ScanAt): string => (s.text === "" ? "the line's end" : `'${s.text.length > SHOWN ? `${s.text.slice(0, SHOWN)}…` : s.text}'`);

/** what is wrong inside an item, from what the verifier expected and what is there */
function insideItem(why: string, s: ScanAt): string {
  if (s.char === null) return "the file ends inside the item (cut short)";
  if (why.includes("expected ','")) return `a comma is missing before ${shown(s)}`;
  if (why.includes("unexpected token '}'") || why.includes("unexpected token ']'")) return `a comma just before its closing ${s.char} (a trailing comma)`;
  if (why.includes("expected an object key")) return `a field name is expected, in double quotes, at ${shown(s)}`;
  if (why.includes("expected ':'")) return `a colon is missing after a field name, before ${shown(s)}`;
  if (why.includes("escaped characters") && s.char < " ") return "a line break (or another control character) inside a string: write it as \\n";
  if (why.includes("escaped characters")) return `a backslash in a string starts no escape JSON knows, at ${shown(s)} (a backslash itself is written \\\\)`;
  if (why.includes("expected a value")) return `a value is expected at ${shown(s)}`;
  const closer = /expected '([\]}])'/.exec(why)?.[1];
  if (closer) return `${s.char} closes the wrong bracket (${closer} is expected there)`;
  return `${why.replace(/^Verifier (cannot parse input: )?/, "")} at ${shown(s)}`;
}

/**
 * The one-line error for a JSON array file the parser failed on: where it breaks, or that it is
 * no JSON array; `err` is the parser's error, told when neither can be found
 */
export async function jsonArrayProblem(file: string, err: Error): Promise<UsageError> {
  const end = "nothing was imported";
  const unread = new UsageError(`${file} cannot be read as a JSON array: ${err.message.replace(/\.$/, "")}; ${end}`, "check the file (ls -l), then import it again");
  const stop = await verifierBreak(file);
  // the file cannot be read again (gone, say): the parser's error is all there is
  const s = await scanTo(file, stop?.offset ?? null).catch(() => null);
  if (!s) return unread;
  const arrayHint = "a .json file holds one array of row objects, [{...}, {...}]; for one object per line, use .jsonl (or --format jsonl)";
  if (s.first !== "[") {
    // the verifier stops at "unexpected characters" only after a whole value: here, the first object
    if (s.first === "{" && stop && /unexpected characters/.test(stop.message)) {
      return new UsageError(`${file} is not a JSON array of objects: it holds one JSON object after another (JSON lines); ${end}`, "import it with --format jsonl, or name it .jsonl: a .json file holds one array of row objects, [{...}, {...}]");
    }
    const what = s.first === null ? "it holds only white space" : s.first === "{" ? "its top level is one object" : `it begins with ${shown(s)}`;
    return new UsageError(`${file} is not a JSON array of objects: ${what}; ${end}`, arrayHint);
  }
  // the verifier reads it whole: the parser's failure was not the file's JSON (reading it, say)
  if (!stop) return unread;
  const why = stop.message;
  const place = `line ${stop.line}, column ${stop.pos}`;
  const broken = (where: string, what: string): UsageError =>
    new UsageError(`${file}: the JSON array is broken ${where} (${place}): ${what}; ${end}`, "fix the file there (or export it again), then import it again");
  const at = (item: number, what: string): UsageError => broken(`at item ${group(item)}`, what);
  const after = (item: number, what: string): UsageError => broken(`after item ${group(item)}`, what);
  const n = s.items;
  if (s.at === "closed") return after(n, `text after the array's closing ]: ${shown(s)}`);
  if (s.depth >= 2 || s.at === "in-item") return at(n, insideItem(why, s));
  if (s.char === null) return s.at === "open" ? at(1, "the file ends just after its opening [ (cut short)") : after(n, "the file ends before the array's closing ] (cut short)");
  if (s.at === "comma" && s.char === "]") return after(n, `a comma after item ${group(n)}, then the closing ] (a trailing comma)`);
  if (s.at === "item") {
    // what could begin a value: a comma left out between two items
    return why.includes("expected ','") && /["{[\-\dtfn]/.test(s.char) ? at(n + 1, `a comma is missing between item ${group(n)} and item ${group(n + 1)}`) : after(n, `item ${group(n)} is followed by ${shown(s)}, not a comma or ]`);
  }
  return at(n + 1, `a value is expected at ${shown(s)}`);
}
