/**
 * The analysis kept with a run, and computing it from the log page by page.
 *
 * Reads: record(ID) (via the caller), log(ID) (XRANGE pages, Store.pages), analysis(ID),
 *   material(ID) (a run with material: what each agent drew on).
 * Writes: analysis(ID) hash { version, report: Analysis JSON without the judge and notes, judge:
 *   Judge JSON, computed_at, "notes:<window label>": the windows' notes for that window size
 *   ({ notes, items: [{ index, note }] }, analysis/notes.ts) }. Only the default ("auto" window) analysis of a finished run is stored;
 *   one of another ANALYSIS_VERSION, or of fewer turns or another status than the record now has,
 *   is stale and recomputed.
 * Returns: parsed, validated Analysis documents, with the stored judge attached.
 */
import { Analyzer } from "../analysis/analyzer.js";
import { ANALYSIS_VERSION, AnalysisSchema, JudgeSchema, NotesSchema, WindowNoteSchema, type Analysis, type Judge, type Notes, type WindowNote } from "../analysis/schema.js";
import { withNotes } from "../analysis/notes.js";
import { words } from "../analysis/text.js";
import { readMaterial } from "../material/store.js";
import { z } from "zod";
import { parseAnalyzed } from "../analysis/message-view.js";
import { checkWindowCount, type WindowSpec } from "../analysis/windows.js";
import { isFinal, type ConversationRecord } from "../protocol/record.js";
import type { Store } from "./store.js";
import { now } from "./clock.js";

export interface AnalysisRequest {
  /** null: the default ("auto") windows */
  window?: WindowSpec | null;
  /** recompute even if a fresh analysis is stored */
  refresh?: boolean;
  /** XRANGE COUNT per page; @defaultValue 1000 */
  pageSize?: number;
  /** never store what was computed (observers that only read Redis) */
  readOnly?: boolean;
}

export interface Stored {
  analysis: Analysis | null;
  judge: Judge | null;
}

function parseOrNull<T>(raw: string | undefined, parse: (v: unknown) => T): T | null {
  if (!raw) return null;
  try {
    return parse(JSON.parse(raw));
  } catch {
    return null; // stale or damaged: recomputed
  }
}

export async function readStored(store: Store, id: string): Promise<Stored> {
  const h = await store.redis.hgetall(store.keys.analysis(id));
  const version = Number(h.version);
  return {
    analysis: version === ANALYSIS_VERSION ? parseOrNull(h.report, (v) => AnalysisSchema.parse(v)) : null,
    judge: parseOrNull(h.judge, (v) => JudgeSchema.parse(v)),
  };
}

const StoredNotesSchema = z.object({ notes: NotesSchema, items: z.array(z.object({ index: z.number().int().nonnegative(), note: WindowNoteSchema }).strict()) }).strict();
export type StoredNotes = { notes: Notes; items: Array<{ index: number; note: WindowNote }> };

const notesField = (label: string): string => `notes:${label}`;

export async function saveNotes(store: Store, id: string, stored: StoredNotes): Promise<void> {
  await store.redis.hset(store.keys.analysis(id), notesField(stored.notes.window), JSON.stringify(StoredNotesSchema.parse(stored)));
}

export async function readNotes(store: Store, id: string, label: string): Promise<StoredNotes | null> {
  return parseOrNull(await store.redis.hget(store.keys.analysis(id), notesField(label)) ?? undefined, (v) => StoredNotesSchema.parse(v));
}

export async function saveAnalysis(store: Store, a: Analysis): Promise<void> {
  const report = AnalysisSchema.parse({ ...a, judge: null, notes: null, windows: a.windows.map((w) => ({ ...w, note: null })) });
  await store.redis.hset(store.keys.analysis(a.conversation_id), {
    version: String(ANALYSIS_VERSION),
    report: JSON.stringify(report),
    computed_at: String(a.computed_at),
  });
}

export async function saveJudge(store: Store, id: string, judge: Judge): Promise<void> {
  await store.redis.hset(store.keys.analysis(id), { judge: JSON.stringify(JudgeSchema.parse(judge)) });
}

/** true when `a` still describes the run as the record has it now */
export function isFresh(a: Analysis, rec: ConversationRecord): boolean {
  return (
    a.version === ANALYSIS_VERSION &&
    a.window.auto &&
    // the record counts every message; the analysis, the agents' turns and the narrator's remarks
    a.run.turns + a.run.remarks + a.run.history === rec.turns &&
    a.run.status === rec.status &&
    a.run.stop_reason === rec.stop_reason &&
    a.run.ended_at === rec.ended_at
  );
}

/** the analysis from the log, one page at a time */
export async function computeAnalysis(store: Store, rec: ConversationRecord, req: AnalysisRequest = {}): Promise<Analysis> {
  const window = req.window ?? null;
  if (window) {
    const span = (rec.ended_at ?? now()) - (rec.started_at ?? rec.spec.created_at);
    checkWindowCount(window, rec.turns, span);
  }
  // the run's material, as the words of each chunk: what the agents drew on is told from them
  const material = rec.spec.materials ? new Map((await readMaterial(store, rec.spec.id)).map((c) => [c.id, new Set(words(`${c.title}\n${c.text}`))])) : undefined;
  // a run going on is timed to its latest sign of life, as list and show time it
  const end = await store.endOf(rec);
  const analyzer = new Analyzer(rec, { window, ...(material ? { material } : {}), ...(end === null ? {} : { end }) });
  // the analysis validates what it reads of each message (analysis/message-view.ts)
  for await (const page of store.pages(rec.spec.id, req.pageSize ?? 1000, parseAnalyzed)) {
    for (const entry of page) analyzer.add(entry);
  }
  return analyzer.finish();
}

/**
 * The analysis of a run: the stored one when it is fresh (and no other window or refresh is
 * asked for), else computed from the log and, for a finished run with default windows, stored.
 */
export async function analysisOf(
  store: Store,
  rec: ConversationRecord,
  req: AnalysisRequest = {},
): Promise<{ analysis: Analysis; source: "stored" | "computed" }> {
  const id = rec.spec.id;
  const stored = await readStored(store, id);
  const custom = Boolean(req.window);
  if (!custom && !req.refresh && stored.analysis && isFresh(stored.analysis, rec)) {
    const notes = await readNotes(store, id, stored.analysis.window.label);
    return { analysis: withNotes({ ...stored.analysis, judge: stored.judge }, notes), source: "stored" };
  }
  const analysis = await computeAnalysis(store, rec, req);
  if (!custom && !req.readOnly && isFinal(rec.status)) await saveAnalysis(store, analysis);
  // the notes written for this window size, when the run has not grown since
  const notes = isFinal(rec.status) ? await readNotes(store, id, analysis.window.label) : null;
  return { analysis: withNotes({ ...analysis, judge: stored.judge }, notes), source: "computed" };
}
