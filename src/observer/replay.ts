/**
 * Replaying a retained run with its original timing, sped up: the recorded messages and the token
 * chunks still in the token stream become a timeline of observer events, played against a virtual
 * clock that runs `speed` times faster than the wall clock (0 = everything at once).
 *
 * Reads: tokens(ID) (XRANGE, in pages). The record and the log are read by the caller.
 * Times come from the record (started_at, ended_at), each message's metadata (requested_at,
 * started_at, finished_at) and each chunk's `t` (epoch ms). The story and the personas are shown at
 * the start: when they were written is not recorded, so the replay covers the dialogue itself,
 * from started_at to ended_at. Turns whose chunks were trimmed from the token stream appear whole
 * when they finished. When each turn was requested its speaker is shown as chosen (the record's
 * next_choice, with the turn order's reason from the message), so a person's turn shows as
 * waited for until it was answered; a narrator's remark comes at its place in the log. Events
 * never go back in time: each comes no earlier than the one before it.
 */
import type { ConversationRecord } from "../protocol/record.js";
import type { DialogMessage, TokenChunk } from "../protocol/schemas.js";
import { chunkFromEntry } from "../protocol/token-entry.js";
import { outcomeFlags, type Store } from "../redis/store.js";
import type { FeedEvent } from "./feed.js";

export interface TimedEvent {
  /** epoch ms in the original run */
  at: number;
  event: FeedEvent;
}

/** every retained token chunk of a conversation, oldest first */
export async function readTokens(store: Store, id: string, pageSize = 1000): Promise<TokenChunk[]> {
  const key = store.keys.tokens(id);
  const out: TokenChunk[] = [];
  let from = "-";
  for (;;) {
    const page = await store.redis.xrange(key, from, "+", "COUNT", pageSize);
    for (const [, fields] of page) {
      const c = chunkFromEntry(fields);
      if (c) out.push(c);
    }
    if (page.length < pageSize) return out;
    from = `(${page.at(-1)?.[0] ?? "0-0"}`;
  }
}

type Counter = "failed_turns" | "cut_turns" | "stalled_turns" | "retried_turns" | "ok_turns";
/** the record's outcome counters, in the order of outcomeFlags */
const OUTCOMES: readonly Counter[] = ["failed_turns", "cut_turns", "stalled_turns", "retried_turns", "ok_turns"];

/** the record after turn `m` was recorded: counted as the append scripts count it (redis/scripts.ts) */
function afterTurn(r: ConversationRecord, m: DialogMessage): ConversationRecord {
  const next = { ...r, turns: r.turns + 1, tokens_total: r.tokens_total + m.metadata.tokens_generated };
  const flags = outcomeFlags(m);
  OUTCOMES.forEach((k, i) => {
    const n = next[k];
    if (n !== null && flags[i] === "1") next[k] = n + 1;
  });
  return next;
}

/**
 * the run as timed events: the record as it was at the start, each turn's chunks and message, the
 * end. Every record says what was counted then — messages, a narrator's remarks so far, tokens,
 * outcomes — as the live record did, so a turn's number (turnOf) and the status are those of that
 * moment, not of the end. A continued run's copied history was in the log before it started.
 */
export function timeline(record: ConversationRecord, messages: DialogMessage[], chunks: TokenChunk[]): TimedEvent[] {
  const sorted = [...messages].sort((a, b) => a.metadata.sequence_number - b.metadata.sequence_number);
  const start = record.started_at ?? record.spec.created_at;
  const lastFinish = Math.max(start, ...sorted.map((m) => m.metadata.finished_at));
  const end = Math.max(record.ended_at ?? lastFinish, lastFinish);
  const at = (t: number): number => Math.min(end, Math.max(start, t));
  // a counter the run did not keep (recorded before it was) stays unknown
  const zero = (n: number | null): number | null => (n === null ? null : 0);
  const copied = sorted.filter((m) => m.metadata.copied_from !== undefined).length;

  const opening: ConversationRecord = {
    ...record,
    status: record.started_at === null ? record.status : "running",
    phase: null,
    stop_reason: null,
    error: null,
    ended_at: null,
    turns: copied,
    tokens_total: 0,
    pending_seq: null,
    next_choice: null,
    remarks: zero(record.remarks),
    history: record.history === null ? null : copied,
    failed_turns: zero(record.failed_turns),
    cut_turns: zero(record.cut_turns),
    stalled_turns: zero(record.stalled_turns),
    retried_turns: zero(record.retried_turns),
    ok_turns: zero(record.ok_turns),
  };
  const events: TimedEvent[] = [{ at: start, event: { type: "record", record: opening, previous: null } }];
  let prev = opening;
  let t = start;
  const later = (ms: number): number => (t = Math.max(t, at(ms)));
  for (const m of sorted) {
    const md = m.metadata;
    const seq = md.sequence_number;
    if (md.copied_from !== undefined) {
      // the history: copied when the run was created, counted in the opening record
      events.push({ at: later(start), event: { type: "message", message: m } });
      continue;
    }
    const remark = md.source === "narrator";
    if (!remark) {
      // the speaker as chosen when the turn was requested (runs recorded before turn orders: round robin)
      const c = md.turn_choice ?? { how: "round_robin" as const, by: "manager", reason: "" };
      const chosen: ConversationRecord = { ...prev, pending_seq: seq, next_choice: { ...c, seq, agent_id: md.agent_id, at: md.requested_at } };
      events.push({ at: later(md.requested_at), event: { type: "record", record: chosen, previous: prev } });
      prev = chosen;
    }
    const mine = chunks.filter((c) => c.seq === seq && c.attempt === md.attempt);
    for (const c of mine) events.push({ at: later(c.t), event: { type: "tokens", chunk: c } });
    const done = later(Math.max(md.finished_at, ...mine.map((c) => c.t)));
    events.push({ at: done, event: { type: "message", message: m } });
    // a remark is counted as one (a message, not a turn), as REMARK_LUA counts it
    const next: ConversationRecord = remark ? { ...prev, turns: prev.turns + 1, remarks: (prev.remarks ?? 0) + 1 } : afterTurn(prev, m);
    events.push({ at: done, event: { type: "record", record: next, previous: prev } });
    prev = next;
  }
  events.push({ at: end, event: { type: "record", record, previous: prev } });
  events.push({ at: end, event: { type: "end", record, messages: sorted } });
  // stable: events at the same moment keep their order
  return events.map((e, i) => ({ e, i })).sort((a, b) => a.e.at - b.e.at || a.i - b.i).map(({ e }) => e);
}

/** resolves after `ms`, or at once when `signal` aborts */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

export interface Player {
  /** the replay's clock: the original run's time as it is being replayed */
  now(): number;
  /** resolves when every event was emitted, or when `signal` aborts */
  done: Promise<void>;
}

/** emits `events` at their times, `speed` times faster (0: all at once) */
export function play(events: TimedEvent[], speed: number, emit: (e: FeedEvent) => void, signal?: AbortSignal): Player {
  const first = events[0]?.at ?? 0;
  const last = events.at(-1)?.at ?? first;
  const wall0 = Date.now();
  const now = (): number => (speed === 0 ? last : Math.min(last, first + (Date.now() - wall0) * speed));
  const done = (async () => {
    let i = 0;
    while (i < events.length && !signal?.aborted) {
      const t = now();
      while (i < events.length && events[i]!.at <= t) emit(events[i++]!.event);
      if (i >= events.length) break;
      await sleep(Math.max(1, Math.min((events[i]!.at - t) / speed, 1000)), signal);
    }
  })();
  return { now, done };
}
