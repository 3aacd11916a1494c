/**
 * `dialogue import`, below the CLI: a file of recorded conversations into retained
 * conversations, one per session, streamed.
 *
 * 0. The file's names are checked first (header.ts): a CSV header or the first JSON rows that
 *    lack a field to read, or a file with no rows, is one UsageError, and nothing is staged.
 * 1. The rows are read, once, and each good row is staged in Redis with its session (stage.ts);
 *    per session only a few numbers, its speakers and a running hash of its rows stay in memory.
 *    The file's SHA-256 is computed on the way (it is recorded as the source).
 * 2. Sessions are committed once the whole file is read: a session with any bad row, or with
 *    fewer than 2 or more than 8 speakers, is imported not at all (its staged rows are dropped).
 *    A bad row whose session cannot be told (a line that is not JSON) could belong to any
 *    session, so then nothing is imported.
 *    A file that cannot be read to its end (a CSV quote never closed, a JSON array broken off)
 *    is a UsageError from rows.ts naming the place (csv-place.ts, json-place.ts): no session is committed, and the rows staged so far are dropped.
 * 3. A session's conversation id is made of its id and the hash of its rows (session.ts
 *    importedId): importing the same file again finds every session there already and adds
 *    nothing; after fixing a bad row, the fixed session is imported and the others are found.
 */
import { createHash, randomBytes, type Hash } from "node:crypto";
import { closeSync, openSync, statSync, type Stats } from "node:fs";
import path from "node:path";
import { UsageError } from "../errors/index.js";
import type { Limits } from "../protocol/record.js";
import { MAX_AGENTS } from "../protocol/schemas.js";
import { now } from "../redis/clock.js";
import type { Store } from "../redis/store.js";
import { fieldOf, readRow, type EpochUnit, type FieldNames } from "./fields.js";
import { headerProblem, type Head } from "./header.js";
import { delimiterOfName, readRows, rowPlace, type ImportFormat, type RawRow } from "./rows.js";
import { agentIds, importedId, importedSpec, speakersProblem, stagingId } from "./session.js";
import { claim, commit, Stager } from "./stage.js";

/** bad rows listed in a report at most (all are counted) */
export const MAX_BAD_LISTED = 1000;

/** rows of a JSON file whose fields are checked before any is staged */
export const HEAD_ROWS = 20;

export interface ImportOptions {
  file: string;
  format: ImportFormat;
  fields: FieldNames;
  epoch: EpochUnit;
  /** CSV: the character between fields; @defaultValue what the file's name says: a tab for .tsv, else "," */
  delimiter?: string;
  /** recorded on each conversation (the configuration's) */
  limits: Limits;
  /** how far it has got: bytes of the second pass, rows, sessions */
  onProgress?: (p: ImportProgress) => void;
}

export interface ImportProgress {
  phase: "reading" | "committing";
  bytes: number;
  total: number;
  rows: number;
  sessions: number;
}

export interface BadRow {
  place: string;
  session: string | null;
  problem: string;
}

export interface ImportReport {
  file: string;
  sha256: string;
  format: ImportFormat;
  /** CSV: the character the fields were split by */
  delimiter?: string;
  rows: number;
  imported: Array<{ id: string; session: string; speakers: string[]; messages: number; first: number; last: number }>;
  /** sessions imported before (the same file): left as they are */
  already: Array<{ id: string; session: string }>;
  /** sessions not imported, and why (`kind`: a bad row of its own, a bad row of no session, its number of speakers, its id taken by a run) */
  rejected: Array<{ session: string; kind: RejectedKind; reason: string }>;
  /** the first MAX_BAD_LISTED bad rows, in file order */
  bad_rows: BadRow[];
  bad_row_count: number;
  /** bad rows whose session could not be told: nothing was imported */
  unattributed: number;
  /** of those, rows that are not an object at all (a line that is not JSON) */
  unreadable: number;
}

export type RejectedKind = "bad_row" | "no_session" | "speakers" | "exists";

interface SessionState {
  /** where its rows wait (stagingId) */
  stage: string;
  session: string;
  state: "staging" | "bad";
  reason: string | null;
  kind: RejectedKind | null;
  /** its rows, as read: what its conversation id is made of */
  hash: Hash;
  speakers: Map<string, string>;
  rows: number;
  first: number;
  last: number;
}

/** why `file` cannot be opened, in words: no file there, no permission, or the system's own message */
function openProblem(file: string, err: NodeJS.ErrnoException): UsageError {
  if (err.code === "ENOENT" || err.code === "ENOTDIR") {
    return new UsageError(`no file at ${file}`, path.isAbsolute(file) ? "check the path" : `check the path: it is taken from the current directory, ${process.cwd()}`);
  }
  if (err.code === "EACCES" || err.code === "EPERM") return new UsageError(`${file} cannot be read: permission denied`, "check its permissions (ls -l), or import it as a user who may read it");
  if (err.code === "EISDIR") return new UsageError(`${file} is a directory, not a file`, "name a .jsonl, .json, .csv or .tsv file of rows");
  return new UsageError(`cannot read ${file}: ${err.message}`, "check the path and its permissions");
}

/** the file is there, a file, readable, and not empty (its size); else a UsageError (exit 2) */
export function checkFile(file: string): number {
  let st: Stats;
  try {
    st = statSync(file);
    if (st.isFile()) closeSync(openSync(file, "r"));
  } catch (err) {
    throw openProblem(file, err as NodeJS.ErrnoException);
  }
  if (st.isDirectory()) throw new UsageError(`${file} is a directory, not a file`, "name a .jsonl, .json, .csv or .tsv file of rows");
  if (!st.isFile()) throw new UsageError(`${file} is not a file`, "name a .jsonl, .json, .csv or .tsv file of rows");
  if (st.size === 0) throw new UsageError(`${file} is empty`, "a file of rows {session_id, timestamp, speaker, text}, one per line (.jsonl), in an array (.json) or CSV");
  return st.size;
}

/**
 * The rows of the file, after its names are checked: the first rows are read (CSV: its header
 * and first row; JSON: up to HEAD_ROWS rows) and, when the fields to read are not among the names
 * they show, or there are no rows at all, a UsageError says so before any row is staged.
 */
async function* checkedRows(o: ImportOptions & { delimiter: string }, onChunk: (chunk: Buffer) => void): AsyncGenerator<RawRow> {
  let columns: string[] | null = null;
  const it = readRows(o.file, o.format, { onChunk, onColumns: (c) => (columns = c), delimiter: o.delimiter })[Symbol.asyncIterator]();
  const head: RawRow[] = [];
  try {
    const want = o.format === "csv" ? 1 : HEAD_ROWS;
    let all = false;
    while (head.length < want) {
      const next = await it.next();
      if (next.done) {
        all = true;
        break;
      }
      head.push(next.value);
    }
    if (head.length === 0) {
      throw columns !== null
        ? new UsageError(`${o.file} has a header but no rows`, "a CSV file has a header row, then one row per message")
        : new UsageError(`${o.file} has no rows`, "a file of rows {session_id, timestamp, speaker, text}, one per line (.jsonl), in an array (.json) or CSV");
    }
    const objects = head.flatMap((r) => (r.value !== null ? [r.value] : []));
    const shown: Head = o.format === "csv" ? { kind: "columns", columns: columns ?? [], delimiter: o.delimiter } : { kind: "rows", rows: objects, all: all && objects.length === head.length };
    const problem = headerProblem(o.file, o.fields, shown);
    if (problem) throw new UsageError(problem.message, problem.hint);

    yield* head;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    // the file is closed however this ends: a problem found, the rows all read, or the reader stopped early
    await it.return?.(undefined);
  }
}

/** the rows of `rows`; when reading them fails, `undo` runs before the error goes on */
async function* undoOnError<T>(rows: AsyncGenerator<T>, undo: () => Promise<void>): AsyncGenerator<T> {
  try {
    yield* rows;
  } catch (err) {
    await undo();
    throw err;
  }
}

export async function importFile(store: Store, options: ImportOptions): Promise<ImportReport> {
  const o = { ...options, delimiter: options.delimiter ?? delimiterOfName(options.file) };
  const total = checkFile(o.file);
  const progress: ImportProgress = { phase: "reading", bytes: 0, total, rows: 0, sessions: 0 };
  const tell = (): void => o.onProgress?.(progress);
  const fileHash = createHash("sha256");
  const run = randomBytes(6).toString("hex");
  const sessions = new Map<string, SessionState>();
  const bad: BadRow[] = [];
  let badCount = 0;
  let unattributed = 0;
  let unreadable = 0;
  const stager = new Stager(store);
  const report = (place: string, session: string | null, problem: string): void => {
    badCount++;
    if (bad.length < MAX_BAD_LISTED) bad.push({ place, session, problem });
  };
  const turnBad = (s: SessionState, kind: RejectedKind, reason: string): void => {
    if (s.state !== "staging") return;
    s.state = "bad";
    s.kind = kind;
    s.reason = reason;
    stager.drop(s.stage);
  };
  const onChunk = (chunk: Buffer): void => {
    fileHash.update(chunk);
    progress.bytes += chunk.length;
  };

  // the file cannot be read to its end (a CSV quote never closed, a JSON array broken off): nothing is committed, and the rows staged so far go too
  const undo = async (): Promise<void> => {
    for (const s of sessions.values()) if (s.state === "staging") stager.drop(s.stage);
    await stager.flush().catch(() => undefined);
  };
  for await (const raw of undoOnError(checkedRows(o, onChunk), undo)) {
    progress.rows++;
    if (progress.rows % 1000 === 0) tell();
    const place = rowPlace(raw);
    if (raw.value === null) {
      unattributed++;
      unreadable++;
      report(place, null, raw.error ?? "unreadable");
      continue;
    }
    const row = raw.error !== null ? { problem: raw.error } : readRow(raw.value, o.fields, o.epoch);
    const named = "problem" in row ? fieldOf(raw.value, o.fields.session) : row.session;
    const sessionId = typeof named === "string" || typeof named === "number" ? String(named).trim() : "";
    let s = sessionId ? sessions.get(sessionId) : undefined;
    if (sessionId && !s) {
      s = { stage: stagingId(run, sessionId), session: sessionId, state: "staging", reason: null, kind: null, hash: createHash("sha256"), speakers: new Map(), rows: 0, first: Number.POSITIVE_INFINITY, last: Number.NEGATIVE_INFINITY };
      sessions.set(sessionId, s);
      progress.sessions = sessions.size;
    }
    if ("problem" in row) {
      if (!s) unattributed++;
      report(place, s?.session ?? null, row.problem);
      if (s) turnBad(s, "bad_row", `its ${place} is bad`);
      continue;
    }
    if (!s || s.state !== "staging") continue;
    if (!s.speakers.has(row.speaker)) {
      if (s.speakers.size >= MAX_AGENTS) {
        turnBad(s, "speakers", `more than ${MAX_AGENTS} speakers (from ${place}, "${row.speaker}"): a conversation has 2 to ${MAX_AGENTS}`);
        continue;
      }
      s.speakers.set(row.speaker, row.role ?? row.speaker);
    }
    s.rows++;
    s.first = Math.min(s.first, row.at);
    s.last = Math.max(s.last, row.at);
    s.hash.update(`${JSON.stringify([row.speaker, row.role, row.text, row.at])}\n`);
    await stager.add(s.stage, { speaker: row.speaker, text: row.text, at: row.at, time: row.time, line: raw.line, item: raw.item }, s.rows === 1);
  }
  await stager.flush();
  tell();

  const sha256 = fileHash.digest("hex");
  const out: ImportReport = { file: path.basename(o.file), sha256, format: o.format, ...(o.format === "csv" ? { delimiter: o.delimiter } : {}), rows: progress.rows, imported: [], already: [], rejected: [], bad_rows: bad, bad_row_count: badCount, unattributed, unreadable };
  progress.phase = "committing";
  // by Redis' clock, as a run's created_at is: `purge --older-than` and `list --since` count its age from it
  const importedAt = now();
  for (const s of sessions.values()) {
    const speakers = speakersProblem(s.speakers.size);
    const why: [RejectedKind, string] | null =
      s.state === "bad" && s.kind !== null
        ? [s.kind, s.reason ?? ""]
        : unattributed > 0
          ? ["no_session", "a row whose session cannot be told is bad, and it may be this session's"]
          : speakers !== null
            ? ["speakers", speakers]
            : null;
    if (why) {
      if (s.state === "staging") stager.drop(s.stage);
      out.rejected.push({ session: s.session, kind: why[0], reason: why[1] });
      continue;
    }
    const id = importedId(s.session, s.hash.digest("hex"));
    const held = await claim(store, id);
    if (held !== null) {
      stager.drop(s.stage);
      if (held === "imported") out.already.push({ id, session: s.session });
      else out.rejected.push({ session: s.session, kind: "exists", reason: `conversation ${id} exists and was not imported: left as it is` });
      continue;
    }
    const spec = importedSpec(
      { id, session: s.session, speakers: s.speakers, rows: s.rows, first: s.first, last: s.last },
      { name: out.file, sha256, format: o.format, fields: o.fields, imported_at: importedAt, limits: o.limits },
    );
    const done = await commit(store, s.stage, spec, { ids: agentIds([...s.speakers.keys()]), roles: s.speakers });
    out.imported.push({ id, session: s.session, speakers: [...s.speakers.keys()], messages: done.messages, first: done.first, last: done.last });
    tell();
  }
  await stager.flush();
  return out;
}
