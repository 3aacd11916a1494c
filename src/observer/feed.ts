/**
 * A feed of observer events for a renderer that subscribes later than events start (the Ink TUI
 * mounts after `follow` or the replay player has begun): events pushed before anyone listens are
 * kept and delivered, in order, to the first subscriber.
 */
import type { Analysis } from "../analysis/schema.js";
import type { ConversationRecord } from "../protocol/record.js";
import type { DialogMessage } from "../protocol/schemas.js";
import type { ObserverEvent } from "./follow.js";
import type { RedisAway } from "./redis-away.js";

export type FeedEvent =
  | ObserverEvent
  /** a line from the launcher (a child restarted, a stop requested) */
  | { type: "notice"; text: string }
  /** Redis went away (`away`), or answers again (null); `at`: when, epoch ms on the TUI's clock */
  | { type: "redis"; away: RedisAway | null; at: number }
  /** the run is over and every message is known */
  | { type: "end"; record: ConversationRecord; messages: DialogMessage[]; analysis?: Analysis };

export type FeedListener = (e: FeedEvent) => void;

export class Feed {
  private listener: FeedListener | null = null;
  private backlog: FeedEvent[] = [];

  push(e: FeedEvent): void {
    if (this.listener) this.listener(e);
    else this.backlog.push(e);
  }

  /** one subscriber at a time; returns the unsubscribe function */
  subscribe(listener: FeedListener): () => void {
    this.listener = listener;
    const pending = this.backlog;
    this.backlog = [];
    for (const e of pending) listener(e);
    return () => {
      if (this.listener === listener) this.listener = null;
    };
  }
}
