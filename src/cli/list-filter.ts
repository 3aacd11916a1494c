/**
 * `dialogue list` filters: --status (a status or a stop reason), --model (part of a provider or
 * model name, any model agent or the manager), --since (an age or a date: runs created since, and
 * conversations imported since, whatever their rows' own times — protocol/record.ts addedAt).
 * Walks the index (by each conversation's own time) newest first, from `since` on, a page at a
 * time, until `limit` conversations match; with `since`, then the conversations imported since
 * whose own time is before it. A run no live manager holds a lease on any more is finalized as
 * abandoned on the way (Store.settle).
 */
import { UsageError } from "../errors/index.js";
import { addedAt, StatusSchema, StopReasonSchema, type ConversationRecord } from "../protocol/record.js";
import type { Store } from "../redis/store.js";
import { parseWhen } from "./when.js";

export interface ListFilter {
  status?: string;
  model?: string;
  /** epoch ms: runs created, or conversations imported, since then */
  since?: number;
}

const STATUSES: readonly string[] = [...StatusSchema.options, ...StopReasonSchema.options];

export function parseFilter(opts: { status?: string; model?: string; since?: string }): ListFilter {
  const f: ListFilter = {};
  if (opts.status !== undefined) {
    const s = opts.status.toLowerCase();
    if (!STATUSES.includes(s)) throw new UsageError(`--status "${opts.status}" is not a status or stop reason`, `use one of: ${STATUSES.join(", ")}`);
    f.status = s;
  }
  if (opts.model !== undefined) f.model = opts.model.toLowerCase();
  if (opts.since !== undefined) f.since = parseWhen(opts.since, "--since");
  return f;
}

export function matches(rec: ConversationRecord, f: ListFilter): boolean {
  if (f.since !== undefined && addedAt(rec.spec) < f.since) return false;
  if (f.status && rec.status !== f.status && rec.stop_reason !== f.status) return false;
  if (f.model) {
    // a person's agent uses no model, whatever its configuration names
    const specs = [...rec.spec.agents.filter((a) => a.kind !== "human").map((a) => a.model), rec.spec.manager];
    const hit = specs.some((m) => `${m.provider}/${m.model}`.toLowerCase().includes(f.model as string));
    if (!hit) return false;
  }
  return true;
}

export type Listed = { id: string; rec: ConversationRecord | null; error?: string };

/**
 * conversations that match, newest first; an unreadable record is listed as such (unless filtered).
 * `noticedBy`: who finalizes a run found abandoned, as its error says (Store.settle)
 */
export async function* listMatching(store: Store, f: ListFilter, limit: number, noticedBy = "dialogue list"): AsyncGenerator<Listed> {
  const filtered = f.status !== undefined || f.model !== undefined;
  let shown = 0;
  // one id: its record (settled), or why it cannot be read; false when it is not to be listed
  const look = async (id: string): Promise<Listed | false> => {
    let rec: ConversationRecord | null;
    try {
      rec = await store.get(id);
      // a run whose processes are gone is shown as what it is: abandoned
      if (rec) rec = await store.settle(rec, noticedBy);
    } catch (err) {
      if (filtered) return false;
      return { id, rec: null, error: (err as Error).message.split("\n")[0] ?? "unreadable" };
    }
    return rec && matches(rec, f) ? { id, rec } : false;
  };
  for (let offset = 0; shown < limit; offset += 200) {
    const ids = await store.idsBetween(f.since ?? Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, offset, 200);
    for (const id of ids) {
      const listed = await look(id);
      if (!listed) continue;
      yield listed;
      if (++shown >= limit) return;
    }
    if (ids.length < 200) break;
  }
  if (f.since === undefined) return;
  // imported since, of rows dated before: after every conversation whose own time is since (each
  // shows its own time, so the list stays in that order)
  for (const id of await store.importedSinceDatedBefore(f.since)) {
    const listed = await look(id);
    if (!listed) continue;
    yield listed;
    if (++shown >= limit) return;
  }
}
