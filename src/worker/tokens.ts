/**
 * Token chunks go to the conversation's token stream while a worker generates, batched: pieces
 * are buffered and written at most every `flushMs` (one XADD per flush), so a fast model does
 * not cost one Redis round trip per token. Writes are fire-and-forget during generation, each
 * sent at once (one connection keeps them in order); close() sends the rest before it returns its
 * promise — so a command sent after it on the same connection runs after it — and that promise
 * resolves once every write is done. A turn whose reply is in may take the rest instead (rest()):
 * its response carries it, and the manager writes it with the message, one write fewer a turn. A
 * publisher starts held: nothing is written until release(true) (the run is still going), and
 * nothing ever is after release(false).
 */
import type { Store } from "../redis/store.js";
import type { TokenTail } from "../protocol/schemas.js";
import { now } from "../redis/clock.js";

export interface TokenPublisherOptions {
  seq: number;
  attempt: number;
  agent_id: string;
  maxlen: number;
  /** @defaultValue 33 (about 30 writes a second) */
  flushMs?: number;
}

export class TokenPublisher {
  private buffer = "";
  private count = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly writes = new Set<Promise<void>>();
  /** null: held (tokens are buffered); true: writing; false: dropping */
  private open: boolean | null = null;

  constructor(
    private readonly store: Store,
    private readonly conversationId: string,
    private readonly opts: TokenPublisherOptions,
  ) {}

  /** lets the buffered and later tokens go out (true), or drops them all (false) */
  release(ok: boolean): void {
    this.open = ok;
    if (ok) this.flush();
    else {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.buffer = "";
      this.count = 0;
    }
  }

  push(text: string, tokens: number): void {
    if (this.opts.maxlen <= 0 || this.open === false) return;
    this.buffer += text;
    this.count += tokens;
    if (!this.timer) this.timer = setTimeout(() => this.flush(), this.opts.flushMs ?? 33);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.open !== true || (this.buffer === "" && this.count === 0)) return;
    const chunk = {
      seq: this.opts.seq,
      attempt: this.opts.attempt,
      agent_id: this.opts.agent_id,
      text: this.buffer,
      tokens: this.count,
      t: now(),
    };
    this.buffer = "";
    this.count = 0;
    const write = this.store.publishTokens(this.conversationId, chunk, this.opts.maxlen).catch(() => undefined);
    this.writes.add(write);
    void write.then(() => this.writes.delete(write));
  }

  close(): Promise<void> {
    this.flush();
    return this.settled();
  }

  /**
   * the tokens not written yet, taken for the turn's response to carry (its last chunk, which the
   * manager writes with the message), or null when there are none or none are to be written — or
   * when their text is longer than `maxText`: they are then written now, as close() does; the
   * publisher writes nothing more
   */
  rest(maxText = Number.POSITIVE_INFINITY): TokenTail | null {
    if (this.buffer.length > maxText) this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const tail = this.open === true && (this.buffer !== "" || this.count > 0) ? { text: this.buffer, tokens: this.count, t: now() } : null;
    this.open = false;
    this.buffer = "";
    this.count = 0;
    return tail;
  }

  /** resolves once every write sent is done */
  settled(): Promise<void> {
    return Promise.all(this.writes).then(() => undefined);
  }
}
