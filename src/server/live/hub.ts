/**
 * One follower per live conversation, shared by every browser that follows it: however many
 * clients watch a run, the server reads its record, log and token stream once (the terminal
 * observer's follow(), src/observer/follow.ts) and hands each event to every subscriber.
 *
 * Reads (through follow): record(ID) polled, log(ID) and tokens(ID) by XREAD BLOCK on a connection
 * of its own, from the streams' ends at the moment the feed starts. Writes nothing — but a run whose
 * lease ran out (no live manager drives it) is finalized as abandoned (Store.settle), as
 * `dialogue watch` does.
 *
 * A subscriber is told the feed's position when it joins (every event it is handed later comes
 * after it), so it can catch up from its own position to there with XRANGE and then go live with
 * no gap and no repeat. A feed stops when its run has ended and every message was handed on, or a
 * few seconds after its last subscriber left.
 */
import type { ConversationRecord } from "../../protocol/record.js";
import type { ObserverEvent } from "../../observer/follow.js";
import { follow } from "../../observer/follow.js";
import type { Store } from "../../redis/store.js";
import type { Cursor } from "./cursor.js";
import { NOTICER } from "../runs.js";

export interface Subscriber {
  event(e: ObserverEvent): void;
  /** the run ended (record final, every message handed on), or following failed */
  end(record: ConversationRecord | null, error: string | null): void;
}

export interface Joined {
  /** ids of the last entries the feed has handed on: the subscriber catches up to here */
  position: Cursor;
  leave(): void;
}

/** a feed lingers this long after its last subscriber left (a reconnecting browser finds it) */
const LINGER_MS = 5000;

class Feed {
  readonly subscribers = new Set<Subscriber>();
  position: Cursor;
  ended = false;
  private readonly abort = new AbortController();
  private linger: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    readonly id: string,
    start: Cursor,
    private readonly onDone: () => void,
  ) {
    this.position = { ...start };
    void this.run(start);
  }

  private async run(start: Cursor): Promise<void> {
    let final: ConversationRecord | null = null;
    let error: string | null = null;
    try {
      final = await follow(
        this.store,
        this.id,
        (e) => {
          if (e.type === "message" && e.id) this.position.log = e.id;
          if (e.type === "tokens" && e.id) this.position.tokens = e.id;
          for (const s of this.subscribers) s.event(e);
        },
        // a run whose lease runs out while followed (its launcher and manager gone) is finalized as
        // abandoned, so its pages are told it ended (as dialogue watch does)
        { tokens: true, from: start, signal: this.abort.signal, settle: NOTICER },
      );
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    if (this.abort.signal.aborted) return;
    this.ended = true;
    this.onDone();
    for (const s of this.subscribers) s.end(final, error);
    this.subscribers.clear();
  }

  join(s: Subscriber): Joined {
    if (this.linger) clearTimeout(this.linger);
    this.linger = null;
    this.subscribers.add(s);
    return {
      position: { ...this.position },
      leave: () => {
        this.subscribers.delete(s);
        if (this.subscribers.size === 0 && !this.ended) {
          this.linger ??= setTimeout(() => {
            if (this.subscribers.size === 0) this.stop();
          }, LINGER_MS);
          this.linger.unref();
        }
      },
    };
  }

  /** stops following at once; no subscriber is told (the server is closing, or nobody listens) */
  stop(): void {
    if (this.ended) return;
    this.ended = true;
    this.onDone();
    this.abort.abort();
  }
}

export class Hub {
  private readonly feeds = new Map<string, Feed>();
  private readonly starting = new Map<string, Promise<Feed>>();

  constructor(private readonly store: Store) {}

  /** joins the conversation's feed (starting one at the streams' current ends), or null if the run is over */
  async join(id: string, s: Subscriber): Promise<Joined | null> {
    const feed = this.feeds.get(id) ?? (await this.start(id));
    if (feed.ended) return null;
    return feed.join(s);
  }

  private start(id: string): Promise<Feed> {
    let p = this.starting.get(id);
    if (!p) {
      p = (async () => {
        const [log, tokens] = await Promise.all([this.lastId(this.store.keys.log(id)), this.lastId(this.store.keys.tokens(id))]);
        const feed = new Feed(this.store, id, { log, tokens }, () => {
          if (this.feeds.get(id) === feed) this.feeds.delete(id);
        });
        this.feeds.set(id, feed);
        return feed;
      })().finally(() => this.starting.delete(id));
      this.starting.set(id, p);
    }
    return p;
  }

  private async lastId(key: string): Promise<string> {
    const [last] = await this.store.redis.xrevrange(key, "+", "-", "COUNT", 1);
    return last?.[0] ?? "0-0";
  }

  /** feeds being followed now */
  get size(): number {
    return this.feeds.size;
  }

  close(): void {
    for (const f of this.feeds.values()) f.stop();
    this.feeds.clear();
  }
}
