/**
 * Who is live, for the live pages: the processes' heartbeats (redis/presence.ts readPresence) read
 * once every POLL_MS for the whole server while any page follows a run, however many do, and handed
 * to each; nothing is read while none does.
 *
 * Reads: presence (HGETALL) and TIME. Writes nothing but what readPresence drops (entries older
 * than an hour). A read that fails hands nothing on: the pages keep what they were last told.
 */
import type { Keys } from "../../protocol/keys.js";
import type { RedisClient } from "../../redis/cluster.js";
import { readPresence, type Seen } from "../../redis/presence.js";

/** how often the heartbeats are read while a page follows a run; @defaultValue 1000 */
const POLL_MS = 1000;

export type PresenceListener = (processes: readonly Seen[]) => void;

export class PresenceWatch {
  private readonly listeners = new Set<PresenceListener>();
  private timer: NodeJS.Timeout | null = null;
  private reading = false;
  private closed = false;
  private last: { processes: Seen[]; at: number } | null = null;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly everyMs = POLL_MS,
  ) {}

  /** `listener` gets the processes now (when the last read is fresh) and after every read; returns the way to stop */
  subscribe(listener: PresenceListener): () => void {
    this.listeners.add(listener);
    if (this.last && Date.now() - this.last.at < this.everyMs) listener(this.last.processes);
    if (!this.timer && !this.reading) void this.read();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
    };
  }

  private async read(): Promise<void> {
    this.timer = null;
    if (this.closed || this.listeners.size === 0) return;
    this.reading = true;
    try {
      const { processes } = await readPresence(this.redis, this.keys);
      this.last = { processes, at: Date.now() };
      for (const l of this.listeners) {
        try {
          l(processes);
        } catch {
          // one page's trouble is not the others'
        }
      }
    } catch {
      // Redis is away: the next read tells
    } finally {
      this.reading = false;
    }
    if (!this.closed && this.listeners.size > 0) {
      this.timer = setTimeout(() => void this.read(), this.everyMs);
      this.timer.unref();
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.listeners.clear();
  }
}
