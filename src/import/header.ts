/**
 * Whether a file's columns (CSV: its header) or fields (JSON lines, a JSON array: those of its
 * first rows) hold the fields the import reads, checked before any row is: a file whose names do
 * not match would otherwise give one bad row per row. When some are missing, one line names every
 * missing field, the names the file has, and the options that would map them (a column that looks
 * like the field is proposed: `sid` for the session, `who` for the speaker); a CSV whose header is
 * one column holding `;`, tabs or `|` is said to be separated by that, with `--delimiter`. Pure.
 */
import { fieldOf, type FieldNames } from "./fields.js";

/** the fields the import reads, in the order they are named, with their options */
const READ: ReadonlyArray<{ key: keyof FieldNames; flag: string }> = [
  { key: "session", flag: "--session-field" },
  { key: "speaker", flag: "--speaker-field" },
  { key: "text", flag: "--text-field" },
  { key: "time", flag: "--time-field" },
  { key: "role", flag: "--role-field" },
];

/** names a column for each field often has, the likeliest first (compared without case, '_', '-', ' ') */
const LIKE: Record<keyof FieldNames, readonly string[]> = {
  session: ["sessionid", "session", "conversationid", "conversation", "convid", "conv", "chatid", "chat", "threadid", "thread", "callid", "call", "dialogid", "dialogueid", "dialog", "sid", "cid"],
  speaker: ["speaker", "speakerid", "author", "sender", "from", "who", "user", "username", "name", "participant", "role"],
  text: ["text", "message", "msg", "body", "content", "utterance", "transcript", "what", "line"],
  time: ["timestamp", "time", "ts", "datetime", "date", "createdat", "sentat", "at", "when"],
  role: ["role", "speakerrole", "type"],
};

/** separators a one-column CSV header may really be split by, with how `--delimiter` names each */
const SEPARATORS: ReadonlyArray<{ char: string; name: string; flag: string }> = [
  { char: ";", name: "semicolon", flag: "';'" },
  { char: "\t", name: "tab", flag: "tab" },
  { char: "|", name: "pipe", flag: "'|'" },
  { char: ",", name: "comma", flag: "," },
];

/** names listed at most (the rest counted) */
const LISTED = 12;

export interface HeaderProblem {
  message: string;
  hint: string;
}

/** what the file shows of its names: a CSV's header, or the first rows of JSON */
export type Head =
  | { kind: "columns"; columns: readonly string[]; delimiter: string }
  /** `all`: these are all the file's rows */
  | { kind: "rows"; rows: ReadonlyArray<Record<string, unknown>>; all: boolean };

const squash = (s: string): string => s.toLowerCase().replace(/[\s_-]+/g, "");

/** a value as a shell word: as it is when safe, else in single quotes */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_.,:@%+=/-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** "a", "a or b", "a, b or c" */
function orList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}

function listed(names: readonly string[]): string {
  const shown = names.slice(0, LISTED).map((n) => (n.length > 40 ? `${n.slice(0, 39)}…` : n) || '""');
  return names.length > LISTED ? `${shown.join(", ")}, … (${names.length} in all)` : shown.join(", ");
}

/** the fields to read that `has` does not find */
export function missingFields(fields: FieldNames, has: (name: string) => boolean): Array<{ key: keyof FieldNames; name: string; flag: string }> {
  const out: Array<{ key: keyof FieldNames; name: string; flag: string }> = [];
  for (const { key, flag } of READ) {
    const name = fields[key];
    if (name !== null && !has(name)) out.push({ key, name, flag });
  }
  return out;
}

/** for each missing field, a name the file has that looks like it (each name proposed once, none already read), or null */
export function guessColumns(missing: ReadonlyArray<{ key: keyof FieldNames; name: string }>, names: readonly string[], taken: readonly string[]): Array<string | null> {
  const used = new Set(taken);
  return missing.map(({ key, name }) => {
    const free = names.filter((n) => !used.has(n));
    const like = LIKE[key];
    // the name asked for but for case and separators, then the likeliest name, then one that contains a likely word ("message_text")
    const pick =
      free.find((n) => squash(n) === squash(name)) ??
      like.map((w) => free.find((n) => squash(n.split(".").at(-1) ?? n) === w)).find((n) => n !== undefined) ??
      like.filter((w) => w.length >= 4).map((w) => free.find((n) => squash(n).includes(w))).find((n) => n !== undefined);
    if (pick === undefined) return null;
    used.add(pick);
    return pick;
  });
}

/** how deep into nested objects a JSON row's names are listed ("meta.session" is 2) */
const DEPTH = 3;

/** the names a file shows: a CSV's columns, or every field of the first rows (a nested object's as dotted paths), in the order first seen */
function namesOf(head: Head): string[] {
  if (head.kind === "columns") return [...head.columns];
  const names = new Set<string>();
  const walk = (v: Record<string, unknown>, prefix: string, depth: number): void => {
    for (const [k, inner] of Object.entries(v)) {
      if (typeof inner === "object" && inner !== null && !Array.isArray(inner) && depth < DEPTH && Object.keys(inner).length > 0) walk(inner as Record<string, unknown>, `${prefix}${k}.`, depth + 1);
      else names.add(`${prefix}${k}`);
    }
  };
  for (const row of head.rows) walk(row, "", 1);
  return [...names];
}

/** a one-column header that holds another separator: the one it holds most, or null */
function otherSeparator(columns: readonly string[], delimiter: string): (typeof SEPARATORS)[number] | null {
  const only = columns.length === 1 ? columns[0] : undefined;
  if (only === undefined) return null;
  let best: (typeof SEPARATORS)[number] | null = null;
  let most = 0;
  for (const sep of SEPARATORS) {
    if (sep.char === delimiter) continue;
    const n = only.split(sep.char).length - 1;
    if (n > most) [best, most] = [sep, n];
  }
  return best;
}

/**
 * The one problem with a file's names, or null when every field to read is there. `file` as the
 * user wrote it; `head`: the CSV's header (and the delimiter it was split by), or the first rows
 * of a JSON file that are objects (none: nothing to judge, null).
 */
export function headerProblem(file: string, fields: FieldNames, head: Head): HeaderProblem | null {
  if (head.kind === "rows" && head.rows.length === 0) return null;
  const names = namesOf(head);
  // a JSON field that holds only objects or lists (e.g. {"speaker": {"name": …}}) is not one to read: its inner fields are
  const nested = (v: unknown): boolean => typeof v === "object" && v !== null;
  const has = head.kind === "columns" ? (n: string) => names.includes(n) : (n: string) => head.rows.some((r) => fieldOf(r, n) !== undefined && !nested(fieldOf(r, n)));
  const missing = missingFields(fields, has);
  if (missing.length === 0) return null;

  const mapping = (available: readonly string[], noun: string, isThere: (n: string) => boolean): string => {
    const present = READ.map(({ key }) => fields[key]).filter((n): n is string => n !== null && isThere(n));
    const needed = missingFields(fields, isThere);
    const guesses = guessColumns(needed, available, present);
    return needed.map((m, i) => `${m.flag} ${guesses[i] !== null && guesses[i] !== undefined ? shellWord(guesses[i]) : `<${noun}>`}`).join(" ");
  };
  const nothingRead = "nothing was read or recorded; dialogue import --help shows every option";

  if (head.kind === "columns") {
    const sep = otherSeparator(head.columns, head.delimiter);
    if (sep) {
      // as csv-parse would split it (not trimmed)
      const split = (head.columns[0] ?? "").split(sep.char);
      const stillMissing = missingFields(fields, (n) => split.includes(n)).length > 0;
      return {
        message: `${file} looks ${sep.name}-separated: its header is one column, ${JSON.stringify(head.columns[0] ?? "")}: import it with --delimiter ${sep.flag}${stillMissing ? ` ${mapping(split, "column", (n) => split.includes(n))}` : ""}`,
        hint: `a .tsv file is read with tabs between fields, any other CSV with ",", unless --delimiter names another; ${nothingRead}`,
      };
    }
    return {
      message: `${file} has no column ${orList(missing.map((m) => m.name))} (its columns: ${listed(names)}): map them with ${mapping(names, "column", has)}`,
      hint: nothingRead,
    };
  }
  const n = head.rows.length;
  const said = missing.map((m) => (head.rows.some((r) => nested(fieldOf(r, m.name))) ? `${m.name} that holds text (it holds an object or a list)` : m.name));
  return {
    message: `${file} has no field ${orList(said)} in ${head.all ? (n === 1 ? "its one row" : `any of its ${n} rows`) : n === 1 ? "its first row" : `its first ${n} rows`} (their fields: ${listed(names)}): map them with ${mapping(names, "field", has)}`,
    hint: `a dotted path reaches into nested objects (meta.session); ${nothingRead}`,
  };
}
