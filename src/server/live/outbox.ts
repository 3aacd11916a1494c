/**
 * One browser's SSE connection: events go out in the order they are pushed, one write at a time,
 * each with the cursor after it as its id (cursor.ts). What the browser already has — a log or
 * token entry at or before its cursor — is not sent again; chunks of turns it already has whole
 * are left out (the cursor still moves past them), and a record it was just sent is not sent again. A browser that cannot keep up is disconnected
 * (it reconnects and catches up from its cursor) rather than buffered without end.
 */
import type { SSEReplyInterface } from "@fastify/sse";
import type { ObserverEvent } from "../../observer/follow.js";
import type { ConversationRecord } from "../../protocol/record.js";
import { compareIds, encodeCursor, type Cursor } from "./cursor.js";

export interface EventPayloads {
  /** the data of a `message` event (the message and its block of HTML), as JSON */
  message: (m: Extract<ObserverEvent, { type: "message" }>["message"]) => string;
  /** the data of a `tokens` event, as JSON */
  tokens: (c: Extract<ObserverEvent, { type: "tokens" }>["chunk"]) => string;
  /** the data of a `record` event */
  record: (r: ConversationRecord) => unknown;
}

/** events waiting to be written before a connection counts as too slow; @defaultValue 20000 */
const MAX_PENDING = 20_000;

/**
 * what a record shows, to tell one sent already: all of it but the spec (never changes) and the
 * lease (renewed every few seconds; no page shows it)
 */
function recordKey(r: ConversationRecord): string {
  const { spec: _spec, lease_until: _lease, ...shown } = r;
  return JSON.stringify(shown);
}

export class Outbox {
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private lastSeq: number;
  /** the last record sent (recordKey) */
  private lastRecord: string | null = null;
  /** events written (for tests and the bench) */
  sent = 0;

  constructor(
    private readonly sse: SSEReplyInterface,
    readonly cursor: Cursor,
    private readonly payloads: EventPayloads,
  ) {
    this.lastSeq = Number.parseInt(cursor.log, 10) || 0;
  }

  private write(make: () => Promise<{ event: string; data: unknown; id?: string } | null> | { event: string; data: unknown; id?: string } | null): void {
    if (!this.sse.isConnected) return;
    if (++this.pending > MAX_PENDING) {
      this.sse.close();
      return;
    }
    this.chain = this.chain
      .then(async () => {
        const m = await make();
        if (m && this.sse.isConnected) {
          await this.sse.send(m);
          this.sent++;
        }
      })
      .catch(() => this.sse.close())
      .finally(() => {
        this.pending--;
      });
  }

  /** a log or token entry (from the catch-up or the live feed), unless the browser has it */
  entry(e: ObserverEvent): void {
    if (e.type === "record") return this.record(e.record);
    if (!e.id) return;
    if (e.type === "message") {
      if (compareIds(e.id, this.cursor.log) <= 0) return;
      this.cursor.log = e.id;
      this.lastSeq = Math.max(this.lastSeq, e.message.metadata.sequence_number);
      const id = encodeCursor(this.cursor);
      const data = this.payloads.message(e.message);
      this.write(() => ({ event: "message", id, data }));
      return;
    }
    if (compareIds(e.id, this.cursor.tokens) <= 0) return;
    this.cursor.tokens = e.id;
    if (e.chunk.seq <= this.lastSeq) return; // that turn is recorded: the browser has it whole
    const id = encodeCursor(this.cursor);
    const data = this.payloads.tokens(e.chunk);
    this.write(() => ({ event: "tokens", id, data }));
  }

  /** a record, unless it is the one the browser was sent last (the live feed's first look at a run it starts following is the record just sent on connecting) */
  record(r: ConversationRecord): void {
    const key = recordKey(r);
    if (key === this.lastRecord) return;
    this.lastRecord = key;
    const data = this.payloads.record(r);
    this.write(() => ({ event: "record", data }));
  }

  /** an event of neither stream, with no id (the browser gets it again on reconnecting): what the run waits for */
  note(event: string, data: unknown): void {
    this.write(() => ({ event, data }));
  }

  /** the last event: `data` is made when every event before it is written */
  end(make: () => Promise<unknown>): void {
    this.write(async () => ({ event: "end", data: await make() }));
  }

  /** resolves when everything pushed so far is written */
  flushed(): Promise<void> {
    return this.chain;
  }
}
