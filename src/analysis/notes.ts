/**
 * Window notes (`analyze --notes`): for each window of an analysis, the manager's model reads the
 * window's messages and writes a short note — summary, open questions, sentiment — as structured
 * output validated with WindowNoteVerdictSchema. The simulated provider writes labelled notes of
 * its own (llm/simulated-notes.ts). Messages are put in the same windows as the analyzer puts
 * them (a narrator's remark and a copied history take no turn; times from when each message
 * finished, after the dialogue's start). Pure but for the model call.
 */
import { once, type Retrying } from "../llm/retry.js";
import { generateStructured } from "../llm/structured.js";
import type { ChatMessage, GenerationTask, LlmProvider } from "../llm/types.js";
import type { ConversationRecord } from "../protocol/record.js";
import type { HistoryEntry, ModelSpec } from "../protocol/schemas.js";
import { num, plural } from "./format.js";
import type { AnalyzedMessage } from "./message-view.js";
import { WindowNoteVerdictSchema, type Analysis, type Notes, type WindowNote } from "./schema.js";
import { windowIndex, type WindowSpec } from "./windows.js";

/** messages of one window a note is written from at most (the rest are counted), and characters of each */
export const NOTE_MESSAGES = 40;
export const NOTE_CHARS = 600;

const clip = (s: string, n: number): string => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** the window spec an analysis was made with */
export function windowOf(a: Analysis): WindowSpec {
  return a.window.kind === "turns" ? { kind: "turns", size: a.window.size } : { kind: "time", size_ms: a.window.size };
}

/** the messages of each window, as the analyzer windows them */
export class WindowBuckets {
  private turns = 0;
  private first: number | null = null;
  readonly messages = new Map<number, HistoryEntry[]>();
  readonly left = new Map<number, number>();

  constructor(
    private readonly rec: ConversationRecord,
    private readonly window: WindowSpec,
  ) {}

  add(m: AnalyzedMessage): void {
    const md = m.metadata;
    if (md.source === "narrator" || md.copied_from) return;
    this.turns++;
    this.first ??= md.requested_at;
    if (m.skipped || m.content.message.trim() === "") return;
    const k = windowIndex(this.window, this.turns, md.finished_at, this.rec.started_at ?? this.first);
    const list = this.messages.get(k) ?? [];
    if (list.length >= NOTE_MESSAGES) {
      this.left.set(k, (this.left.get(k) ?? 0) + 1);
      return;
    }
    list.push({ agent_id: md.agent_id, speaker: m.speaker, text: clip(m.content.message, NOTE_CHARS), seq: md.sequence_number });
    this.messages.set(k, list);
  }
}

export function noteTask(rec: ConversationRecord, a: Analysis, index: number, transcript: HistoryEntry[], left: number): { task: GenerationTask; messages: ChatMessage[] } {
  const w = a.windows[index];
  const where = `window ${index + 1} of ${a.windows.length}, ${a.window.kind === "time" ? `${num(w?.start_s ?? null)}-${num(w?.end_s ?? null)} s` : `turns ${w?.from_turn ?? "?"}-${w?.to_turn ?? "?"}`}`;
  const sentiments = (w?.agents ?? []).map((x) => x.sentiment_lexicon).filter((v): v is number => v !== null);
  const sentiment = sentiments.length ? sentiments.reduce((s, v) => s + v, 0) / sentiments.length : null;
  const task: GenerationTask = { kind: "window_note", window: where, transcript, sentiment };
  const messages: ChatMessage[] = [
    {
      role: "system",
      content:
        "You keep short notes on a conversation, one window of it at a time. Reply with a JSON object: " +
        '{"summary": "2-3 sentences on what happened in this window", "open_questions": ["questions raised and not yet answered"], "sentiment": <-1..1, the mood of the window>}.',
    },
    {
      role: "user",
      content: [
        `Conversation: ${rec.story?.title ?? rec.spec.scenario.title}`,
        `This is ${where}${left ? ` (the first ${transcript.length} messages; ${plural(left, "more message")} follow)` : ""}:`,
        ...transcript.map((h) => `${h.speaker}: ${h.text}`),
      ].join("\n"),
    },
  ];
  return { task, messages };
}

/**
 * A note for every window that has messages; `model`: the manager's, as resolved for this
 * analysis; `retry`: how the model is called for each note (@defaultValue once). A note that
 * cannot be written throws: the notes are all or none.
 */
export async function writeNotes(
  provider: Pick<LlmProvider, "generate">,
  model: ModelSpec,
  rec: ConversationRecord,
  a: Analysis,
  buckets: WindowBuckets,
  opts: { now?: number; retry?: Retrying } = {},
): Promise<{ notes: Notes; items: Array<{ index: number; note: WindowNote }> }> {
  const now = opts.now ?? Date.now();
  const retry = opts.retry ?? once;
  const items: Array<{ index: number; note: WindowNote }> = [];
  for (const w of a.windows) {
    const transcript = buckets.messages.get(w.index);
    if (!transcript || transcript.length === 0) continue;
    const { task, messages } = noteTask(rec, a, w.index, transcript, buckets.left.get(w.index) ?? 0);
    const { value } = await retry(`the note on window ${w.index + 1} of ${a.windows.length}`, () =>
      generateStructured(provider, WindowNoteVerdictSchema, { model: model.model, options: model.options, task, messages }),
    );
    items.push({ index: w.index, note: { ...value, simulated: model.provider === "simulated" } });
  }
  const notes: Notes = { provider: model.provider, model: model.model, simulated: model.provider === "simulated", window: a.window.label, written_at: now, notes: items.length };
  return { notes, items };
}

/** `a` with the notes put on their windows (notes for another window size are not this analysis') */
export function withNotes(a: Analysis, stored: { notes: Notes; items: Array<{ index: number; note: WindowNote }> } | null): Analysis {
  if (!stored || stored.notes.window !== a.window.label) return a;
  const byIndex = new Map(stored.items.map((i) => [i.index, i.note]));
  return { ...a, notes: stored.notes, windows: a.windows.map((w) => ({ ...w, note: byIndex.get(w.index) ?? null })) };
}
