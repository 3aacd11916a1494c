/**
 * A worker follows the log of the conversation it served last: a blocking XREAD on its own
 * connection, from the latest entry the worker holds, so the messages said after its turn are
 * at hand when its next turn comes, and the turn starts without reading the log first
 * (turn-context.ts). Only the one conversation served last is followed (one key: this works on a
 * Redis Cluster too); a worker serving many conversations follows each as it serves it, and what
 * it does not hold it reads as before. Following stops after `idleMs` without a new message (a
 * run that ended), on a connection error, and on close(). What it reads is only a copy: the log
 * in Redis stays the record, and a turn whose held copy falls short reads the log.
 *
 * With each read it reads the record's status and next turn as they were when the latest message
 * was appended (the same round trip, sent behind the XREAD, so Redis runs it as soon as that
 * unblocks): a turn requested ahead that this shows chosen (manager/ahead.ts) needs no read to
 * know it may go on.
 *
 * When what it read shows the next turn chosen for the one agent of the conversation its worker's
 * pool serves, it reads no further until the worker is done with that turn (`pause`): nobody else
 * speaks meanwhile, and the append of the worker's own message then wakes nobody in this process. The worker holds its own message
 * as it sent it, and the next read checks it against the log entry (`unchecked`, `checked`): a
 * turn recorded otherwise (another attempt's message came first) is held as the log has it.
 */
import type { RedisClient } from "../redis/cluster.js";
import type { DialogMessage } from "../protocol/schemas.js";
import type { Store } from "../redis/store.js";

export interface FollowTarget {
  /** the sequence number of the latest message held of conversation `id`, null if none is */
  held(id: string): number | null;
  /** messages read after `after`, oldest first, and the record's state read right after them */
  add(id: string, after: number, messages: DialogMessage[], state: FollowedState): void;
  /** after `add`: resolves when the follower may read again (the worker's own turn is done), or null to read on */
  pause?(id: string, state: FollowedState): Promise<void> | null;
  /** the sequence number of a message held as the worker sent it, not yet checked against the log, or null */
  unchecked?(id: string): number | null;
  /** the log entry of message `seq` (its fields as XRANGE gives them), read to check it; null: not in the log yet */
  checked?(id: string, seq: number, fields: string[] | null): void;
}

/** the record's status and its next turn (next_seq, next_job: see APPEND_AHEAD_LUA), as a follower read them */
export interface FollowedState {
  status: string | null;
  next_seq: string | null;
  next_job: string | null;
  /** the agent chosen for next_seq */
  next_agent: string | null;
}

export interface FollowOptions {
  /**
   * how long one XREAD blocks; a switch to another conversation waits for it at most this long
   * (or, while the follower waits out its worker's own turn, until that turn is done). @defaultValue 1000
   */
  blockMs?: number;
  /** how long a follower waits for a turn chosen for its worker's pool to begin here (turn-context.ts). @defaultValue 100 */
  untilBegunMs?: number;
  /** following stops after this long without a new message. @defaultValue 30000 */
  idleMs?: number;
}

export class LogFollower {
  private target: string | null = null;
  private running = false;
  private closed = false;
  private conn: RedisClient | null = null;
  private readonly blockMs: number;
  private readonly idleMs: number;

  constructor(
    private readonly store: Store,
    /** a connection of its own (a blocking read holds it) */
    private readonly connect: () => RedisClient,
    private readonly into: FollowTarget,
    opts: FollowOptions = {},
  ) {
    this.blockMs = opts.blockMs ?? 1000;
    this.idleMs = opts.idleMs ?? 30_000;
  }

  /** follows nothing (what is under way ends within blockMs) */
  stop(): void {
    this.target = null;
  }

  /** follow conversation `id` (instead of the one followed before) */
  follow(id: string): void {
    if (this.closed) return;
    this.target = id;
    if (!this.running) void this.loop();
  }

  private async loop(): Promise<void> {
    this.running = true;
    let quietSince = Date.now();
    let id: string | null = null;
    try {
      while (!this.closed && this.target !== null) {
        if (this.target !== id) {
          id = this.target;
          quietSince = Date.now();
        }
        const after = this.into.held(id);
        if (after === null) break;
        this.conn ??= this.connect();
        const check = this.into.unchecked?.(id) ?? null;
        const pipe = this.conn.pipeline();
        pipe.xread("COUNT", 100, "BLOCK", this.blockMs, "STREAMS", this.store.keys.log(id), this.store.keys.logEntryId(after));
        pipe.hmget(this.store.keys.record(id), "status", "next_seq", "next_job", "next_agent");
        // (behind the XREAD: Redis runs it once that unblocks, when a later message shows this one recorded)
        if (check !== null) pipe.xrange(this.store.keys.log(id), this.store.keys.logEntryId(check), this.store.keys.logEntryId(check));
        const out = (await pipe.exec()) ?? [];
        for (const [err] of out) if (err) throw err;
        const res = out[0]?.[1] as Array<[string, Array<[string, string[]]>]> | null;
        const [status, nextSeq, nextJob, nextAgent] = (out[1]?.[1] ?? []) as Array<string | null>;
        if (check !== null) this.into.checked?.(id, check, ((out[2]?.[1] ?? []) as Array<[string, string[]]>)[0]?.[1] ?? null);
        const entries = res?.[0]?.[1] ?? [];
        if (entries.length > 0) {
          quietSince = Date.now();
          const state: FollowedState = { status: status ?? null, next_seq: nextSeq ?? null, next_job: nextJob ?? null, next_agent: nextAgent ?? null };
          this.into.add(id, after, this.store.entryMessages(entries), state);
          const paused = this.into.pause?.(id, state);
          // the next read goes once what arrived with this one is handled (the turn request that
          // an append sends behind itself is taken first), or after the worker's own turn
          if (paused) await paused;
          else await new Promise((resolve) => setImmediate(resolve));
          quietSince = Date.now();
        } else if (Date.now() - quietSince >= this.idleMs && this.target === id) this.target = null;
      }
    } catch {
      // the connection failed or was closed: the next turns read the log as before
      this.target = null;
    } finally {
      this.running = false;
    }
  }

  close(): void {
    this.closed = true;
    this.target = null;
    this.conn?.disconnect();
    this.conn = null;
  }
}
