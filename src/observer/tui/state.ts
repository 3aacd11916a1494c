/**
 * What the TUI shows, as a pure reducer over feed events: the record, the finished messages, the
 * turn being generated (its raw structured-JSON tokens and the message text extracted so far), and
 * the append-only list of items written once into the transcript (`<Static>`).
 */
import type { ConversationRecord } from "../../protocol/record.js";
import type { AttemptNotice, DialogMessage, Persona, StoryContent, TokenChunk } from "../../protocol/schemas.js";
import { partialMessage } from "../../worker/partial-json.js";
import type { FeedEvent } from "../feed.js";
import type { RedisAway } from "../redis-away.js";
import type { Place } from "../../protocol/turn-count.js";
import { placeAt } from "../who.js";

export interface LiveTurn {
  seq: number;
  attempt: number;
  agent_id: string;
  /** the raw JSON the model wrote so far */
  raw: string;
  /** the "message" field of `raw`, as far as it goes */
  text: string;
  tokens: number;
  /** epoch ms of the first and the latest chunk */
  first_t: number;
  last_t: number;
  /** the worker said this attempt failed and the turn goes on (a notice in the token stream) */
  failed?: { notice: AttemptNotice; at: number };
}

export type TranscriptItem =
  | { key: string; kind: "story"; story: StoryContent }
  | { key: string; kind: "personas"; personas: Persona[] }
  /** `place`: the turn it is, or where a narrator's remark or a copied message stands (who.ts placeAt: they are not turns) */
  | { key: string; kind: "message"; message: DialogMessage; place: Place }
  | { key: string; kind: "notice"; text: string };

export interface ViewState {
  record: ConversationRecord | null;
  messages: DialogMessage[];
  live: LiveTurn | null;
  /** written once, in order, above the live area */
  items: TranscriptItem[];
  /** set when the run is over and every message is in `messages` */
  ended: boolean;
  /** Redis is unreachable since then (the launcher's connection says so); null: it answers */
  redis?: RedisAway | null;
}

export const initialState: ViewState = { record: null, messages: [], live: null, items: [], ended: false, redis: null };

const lastSeq = (s: ViewState): number => s.messages.at(-1)?.metadata.sequence_number ?? 0;

function withRecord(s: ViewState, record: ConversationRecord): ViewState {
  let items = s.items;
  if (record.story && !items.some((i) => i.kind === "story")) {
    items = [...items, { key: "story", kind: "story", story: record.story }];
  }
  if (record.personas && !items.some((i) => i.kind === "personas")) {
    items = [...items, { key: "personas", kind: "personas", personas: record.personas }];
  }
  return { ...s, record, items };
}

function withMessage(s: ViewState, m: DialogMessage): ViewState {
  const seq = m.metadata.sequence_number;
  if (s.messages.some((x) => x.metadata.sequence_number === seq)) return s;
  const messages = [...s.messages, m].sort((a, b) => a.metadata.sequence_number - b.metadata.sequence_number);
  const items: TranscriptItem[] = [...s.items, { key: `m${seq}`, kind: "message", message: m, place: placeAt(m, messages) }];
  const live = s.live && s.live.seq > seq ? s.live : null;
  return { ...s, messages, items, live };
}

function withTokens(s: ViewState, c: TokenChunk): ViewState {
  if (c.seq <= lastSeq(s)) return s; // that turn is already recorded
  let live = s.live;
  if (live && (c.seq < live.seq || (c.seq === live.seq && c.attempt < live.attempt))) return s; // stale
  if (c.failed) {
    // an attempt failed and the turn goes on: said under the turn until the next attempt streams
    const same = live && live.seq === c.seq && live.attempt === c.attempt ? live : { seq: c.seq, attempt: c.attempt, agent_id: c.agent_id, raw: "", text: "", tokens: 0, first_t: c.t, last_t: c.t };
    return { ...s, live: { ...same, failed: { notice: c.failed, at: c.t } } };
  }
  if (!live || live.seq !== c.seq || live.attempt !== c.attempt) {
    // a new turn, or a retried attempt that starts over
    live = { seq: c.seq, attempt: c.attempt, agent_id: c.agent_id, raw: "", text: "", tokens: 0, first_t: c.t, last_t: c.t };
  }
  const raw = live.raw + c.text;
  return { ...s, live: { ...live, raw, text: partialMessage(raw), tokens: live.tokens + c.tokens, last_t: c.t } };
}

export function apply(s: ViewState, e: FeedEvent): ViewState {
  switch (e.type) {
    case "record":
      return withRecord(s, e.record);
    case "message":
      return withMessage(s, e.message);
    case "tokens":
      return withTokens(s, e.chunk);
    case "notice":
      return { ...s, items: [...s.items, { key: `n${s.items.length}`, kind: "notice", text: e.text }] };
    case "redis":
      return { ...s, redis: e.away };
    case "end": {
      let next = withRecord(s, e.record);
      for (const m of e.messages) next = withMessage(next, m);
      return { ...next, live: null, ended: true };
    }
  }
}

export function reduce(s: ViewState, events: readonly FeedEvent[]): ViewState {
  let next = s;
  for (const e of events) next = apply(next, e);
  return next;
}
