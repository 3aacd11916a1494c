/**
 * Runs as the list shows them (the API and the runs page): `dialogue list`'s filters over the
 * index, each run with its live status and tokens per second, its agents (models, people, recorded
 * speakers) and where it came from (an import, another conversation it continues). A run no live
 * manager drives any more (its lease ran out: its launcher and manager are gone) is finalized as
 * abandoned at the moment it is read, as `dialogue list` and `show` do (Store.settle), so every
 * page and answer of the server shows it as what it is.
 */
import { listMatching, type ListFilter } from "../cli/list-filter.js";
import { parseWhen } from "../cli/when.js";
import { dialogueSeconds, isFinal, personaOf, turnsTaken, type ConversationRecord } from "../protocol/record.js";
import type { Store } from "../redis/store.js";
import type { ListItem } from "./schemas.js";
import { now as clockNow } from "../redis/clock.js";

/** who the error of a run found abandoned says noticed it */
export const NOTICER = "dialogue serve";

/** a run as it truly stands (settled: see above), or null when there is none */
export async function readRun(store: Store, id: string): Promise<ConversationRecord | null> {
  const rec = await store.get(id);
  return rec ? store.settle(rec, NOTICER) : null;
}

/** the runs going on (the active set, each settled: a run found abandoned is not one), oldest id first */
export async function runsGoingOn(store: Store): Promise<ConversationRecord[]> {
  const recs = await Promise.all(
    (await store.activeIds()).sort().map(async (id) => {
      const rec = await store.get(id).catch(() => null);
      if (!rec || isFinal(rec.status)) return null;
      // only a run whose lease looks run out can have been abandoned: the others are not written to
      const settled = rec.lease_until !== null && rec.lease_until > clockNow() ? rec : await store.settle(rec, NOTICER);
      return isFinal(settled.status) ? null : settled;
    }),
  );
  return recs.filter((r) => r !== null);
}

export interface ListQuery {
  status?: string | undefined;
  model?: string | undefined;
  since?: string | undefined;
  limit: number;
}

/** throws a UsageError (a 400) for a `since` that is neither an age nor a date */
export function toFilter(q: ListQuery): ListFilter {
  const f: ListFilter = {};
  if (q.status) f.status = q.status;
  if (q.model) f.model = q.model.toLowerCase();
  if (q.since) f.since = parseWhen(q.since, "since");
  return f;
}

/** `end`: where its time ends (Store.endOf: for a run going on, its latest sign of life), so its duration reads as `dialogue list`'s */
export function listItem(rec: ConversationRecord, end: number | null): ListItem {
  const duration = dialogueSeconds(rec, end);
  return {
    id: rec.spec.id,
    scenario: rec.spec.scenario.title,
    created_at: rec.spec.created_at,
    started_at: rec.started_at,
    ended_at: rec.ended_at,
    duration_s: duration,
    turns: turnsTaken(rec),
    status: rec.status,
    stop_reason: rec.stop_reason,
    failed_turns: rec.failed_turns,
    stalled_turns: rec.stalled_turns,
    tokens_total: rec.tokens_total,
    // a conversation no model spoke in (imported) has no speed, rather than a speed of 0
    tokens_per_second: duration !== null && duration > 0 && rec.spec.agents.some((a) => a.kind === "model") ? rec.tokens_total / duration : null,
    agents: rec.spec.agents.map((a) => {
      // a person's agent keeps the model the configuration would have given it, never used: not shown
      const person = a.kind === "human";
      return {
        id: a.id,
        name: personaOf(rec.spec, rec.personas ?? [], a.id)?.name ?? null,
        kind: a.kind,
        provider: person ? "human" : a.model.provider,
        model: person ? "person" : a.model.model,
        simulated: !person && a.model.provider === "simulated",
      };
    }),
    source: rec.spec.source ?? null,
  };
}

export async function listRuns(store: Store, q: ListQuery): Promise<{ conversations: ListItem[]; unreadable: Array<{ id: string; error: string }> }> {
  const conversations: ListItem[] = [];
  const unreadable: Array<{ id: string; error: string }> = [];
  for await (const { id, rec, error } of listMatching(store, toFilter(q), q.limit, NOTICER)) {
    if (rec) conversations.push(listItem(rec, await store.endOf(rec)));
    else unreadable.push({ id, error: error ?? "unreadable" });
  }
  return { conversations, unreadable };
}
