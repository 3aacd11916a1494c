/**
 * Following a conversation from Redis alone: live, attached late, or after the run.
 *
 * Reads: log(ID) and optionally tokens(ID) (XREAD BLOCK on a connection of its own), and record(ID)
 * each time that read returns. An observer of whole messages sends the record's read with the
 * blocking one (Redis runs it as soon as the read has its answer: one write and one wake-up per
 * batch) and reads at most every paceMs; one of token chunks handles each batch as soon as it
 * comes, and reads the record after it. One of whole messages may look for the notices of failed
 * attempts (`notices`) while no message comes. Writes nothing — unless asked to `settle`: then a run
 * whose lease ran out is finalized as abandoned when seen (Store.settle, as `list` does), so
 * the one following it is told it ended. Emits events in order: record changes, each message once, token
 * chunks while a turn is generated (a turn's chunks before its message); returns when the run is
 * final and every message was seen.
 */
import { ConversationGoneError } from "../errors/index.js";
import { duplicateClient } from "../redis/cluster.js";
import { now } from "../redis/clock.js";
import { isRedisAway } from "../redis/connect.js";
import { isFinal, type ConversationRecord } from "../protocol/record.js";
import type { DialogMessage, TokenChunk } from "../protocol/schemas.js";
import { chunkFromEntry } from "../protocol/token-entry.js";
import { parseEntry, type Store } from "../redis/store.js";

export type ObserverEvent =
  | { type: "record"; record: ConversationRecord; previous: ConversationRecord | null }
  /** `id`: the entry's id in the log stream ("<seq>-0") */
  | { type: "message"; message: DialogMessage; id?: string }
  /** `id`: the entry's id in the token stream */
  | { type: "tokens"; chunk: TokenChunk; id?: string };

export interface FollowOptions {
  tokens?: boolean;
  signal?: AbortSignal;
  /** @defaultValue 200 */
  pollMs?: number;
  /**
   * reads at most once in this long: what comes meanwhile is read together, a moment later (an
   * observer of whole messages needs no more, and a fast run's turns are not made to wait for its
   * reads at the moment each message is recorded). @defaultValue 25 without tokens, 0 with them
   * (token chunks are read as soon as they are written)
   */
  paceMs?: number;
  /**
   * without `tokens`: still tell a failed attempt of the turn in progress (the worker's notice in
   * the token stream, a chunk with `failed` set), looked for at most once a second while no
   * message comes (a fast run is never read for them)
   */
  notices?: boolean;
  /** stop following at the first final status even if not every message was read (after a grace) */
  graceMs?: number;
  /**
   * start after these stream entry ids instead of at the beginning (a web client resuming from
   * its last event); the log's ids are "<seq>-0", so messages up to that seq count as seen
   */
  from?: { log?: string; tokens?: string };
  /**
   * who follows (e.g. "dialogue watch"): a run not final whose lease has run out — no live manager
   * drives it — is finalized as abandoned (Store.settle, saying who noticed), looked at most once a
   * second, and followed to its end like any run that ends
   */
  settle?: string;
  /** the Redis followed, as the error says it when the conversation goes away, e.g. `Redis at redis://… (prefix "dialogue")` */
  where?: string;
  /**
   * told of each read that failed, and of each answered: `failed` says whether the error means
   * Redis is away (then the read is tried again a moment later, as one Redis' commands wait for its
   * reconnect, and the caller gives up when it has been away too long: watchConnection). Without
   * it, such errors are tried again for `awayMs`, then thrown.
   */
  watch?: { failed(err: unknown): boolean; answered(): void };
  /** without `watch`: how long reads are tried again while Redis is away; @defaultValue 30000 */
  awayMs?: number;
}

/** how long the follow loop waits before it reads again while Redis is away */
const AWAY_RETRY_MS = 250;

function changed(a: ConversationRecord | null, b: ConversationRecord): boolean {
  if (!a) return true;
  return (
    a.status !== b.status ||
    a.phase !== b.phase ||
    (a.story === null) !== (b.story === null) ||
    (a.personas === null) !== (b.personas === null) ||
    a.started_at !== b.started_at ||
    a.turns !== b.turns ||
    a.ended_at !== b.ended_at ||
    a.next_choice?.seq !== b.next_choice?.seq ||
    a.manager_retry?.at !== b.manager_retry?.at
  );
}

export async function follow(
  store: Store,
  id: string,
  onEvent: (e: ObserverEvent) => void,
  opts: FollowOptions = {},
): Promise<ConversationRecord> {
  const pollMs = opts.pollMs ?? 200;
  const paceMs = opts.paceMs ?? (opts.tokens ? 0 : 25);
  let readAt = 0;
  const reader = duplicateClient(store.redis);
  reader.on("error", () => undefined); // the caller watches the main connection
  let record: ConversationRecord | null = null;
  let lastLogId = opts.from?.log ?? "0-0";
  let lastTokenId = opts.from?.tokens ?? "0-0";
  let seen = Number.parseInt(lastLogId, 10) || 0;
  /** the latest message's sequence number, and where the last look for notices ended */
  let lastSeq = seen;
  let noticesAt = Date.now();
  let lastNoticeId = "-";
  let finalSince: number | null = null;
  let settledAt = 0;
  /** `rec` settled (see FollowOptions.settle): only a record whose lease looks run out is looked at, at most once a second */
  const settled = async (rec: ConversationRecord | null): Promise<ConversationRecord | null> => {
    if (!opts.settle || !rec || isFinal(rec.status) || (rec.lease_until !== null && rec.lease_until > now()) || Date.now() - settledAt < 1000) return rec;
    settledAt = Date.now();
    return store.settle(rec, opts.settle);
  };
  /** the record as it is now (read with the last batch of entries), told when it changed */
  const see = (next: ConversationRecord | null): ConversationRecord => {
    if (!next) throw new ConversationGoneError(id, opts.where);
    if (changed(record, next)) onEvent({ type: "record", record: next, previous: record });
    record = next;
    return next;
  };
  let awaySince: number | null = null;
  /** a read failed: wait and go on while Redis is away (the caller's watch decides for how long), else throw */
  const survive = async (err: unknown): Promise<void> => {
    const away = opts.watch ? opts.watch.failed(err) : isRedisAway(err);
    if (!away) throw err;
    awaySince ??= Date.now();
    if (!opts.watch && Date.now() - awaySince > (opts.awayMs ?? 30_000)) throw err;
    await new Promise((r) => setTimeout(r, AWAY_RETRY_MS));
  };
  const answered = (): void => {
    awaySince = null;
    opts.watch?.answered();
  };
  try {
    let current = see(
      await (async () => {
        for (;;) {
          try {
            const first = await settled(await store.get(id));
            answered();
            return first;
          } catch (err) {
            await survive(err);
          }
        }
      })(),
    );
    for (;;) {
      if (opts.signal?.aborted) break;
      try {
        const streams = [store.keys.log(id)];
        const ids = [lastLogId];
        if (opts.tokens) {
          streams.push(store.keys.tokens(id));
          ids.push(lastTokenId);
        }
        const wait = readAt + paceMs - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (opts.signal?.aborted) break;
        let res: Array<[string, Array<[string, string[]]>]> | null;
        let after: ConversationRecord | null | undefined;
        if (opts.tokens) {
          res = (await reader.xread("COUNT", 500, "BLOCK", pollMs, "STREAMS", ...streams, ...ids)) as typeof res;
        } else {
          // the blocking read, and the record once it has its answer: one pipeline on this connection
          const pipe = reader.pipeline();
          pipe.xread("COUNT", 500, "BLOCK", pollMs, "STREAMS", ...streams, ...ids);
          pipe.hgetall(store.keys.record(id));
          const replies = (await pipe.exec()) ?? [];
          for (const [err] of replies) if (err) throw err;
          res = replies[0]?.[1] as typeof res;
          after = store.recordFrom((replies[1]?.[1] ?? {}) as Record<string, string>);
        }
        readAt = Date.now();
        const logEntries = res?.find(([key]) => key === streams[0])?.[1] ?? [];
        const chunks = (res?.find(([key]) => key !== streams[0])?.[1] ?? []).map(([entryId, fields]) => [entryId, chunkFromEntry(fields)] as const);
        // the story and personas come before turn 1: when this batch has messages and the record
        // seen so far lacks them, the record read after it (which has them) is told first
        if (logEntries.length > 0 && (!current.story || !current.personas)) {
          after ??= await store.get(id);
          current = see(after);
        }
        // in the order they happened: a turn's last chunks were written before its message was
        // recorded, so the chunks read together with a message that belong to it (or earlier) go first
        let t = 0;
        const nextChunk = (): void => {
          const [entryId, chunk] = chunks[t++] as (typeof chunks)[number];
          lastTokenId = entryId;
          if (chunk) onEvent({ type: "tokens", chunk, id: entryId });
        };
        for (const [entryId, fields] of logEntries) {
          const message = parseEntry(fields);
          while (t < chunks.length && ((chunks[t] as (typeof chunks)[number])[1]?.seq ?? 0) <= message.metadata.sequence_number) nextChunk();
          lastLogId = entryId;
          seen++;
          lastSeq = Math.max(lastSeq, message.metadata.sequence_number);
          onEvent({ type: "message", message, id: entryId });
        }
        while (t < chunks.length) nextChunk();
        const wasFinal = isFinal(current.status);
        current = see(await settled(after === undefined ? await store.get(id) : after));
        // (after the record: a notice is never told before the story and personas it comes after)
        if (opts.notices && !opts.tokens && logEntries.length === 0 && !isFinal(current.status) && Date.now() - noticesAt >= 1000) {
          noticesAt = Date.now();
          // the newest entries since the last look, newest first; the notices among them, of turns not recorded yet
          const entries = (await reader.xrevrange(store.keys.tokens(id), "+", lastNoticeId === "-" ? "-" : `(${lastNoticeId}`, "COUNT", 50)) as Array<[string, string[]]>;
          if (entries.length > 0) lastNoticeId = entries[0]![0];
          for (const [entryId, fields] of entries.reverse()) {
            if (!fields.includes("f")) continue;
            const chunk = chunkFromEntry(fields);
            if (chunk?.failed && chunk.seq > lastSeq) onEvent({ type: "tokens", chunk, id: entryId });
          }
        }
        answered();
        if (wasFinal) {
          finalSince ??= Date.now();
          if (seen >= current.turns && (res === null || res.length === 0)) break;
          if (Date.now() - finalSince > (opts.graceMs ?? 3000)) break;
        }
      } catch (err) {
        await survive(err);
      }
    }
  } finally {
    reader.disconnect();
  }
  if (!record) throw new Error(`conversation ${id} not found`);
  return record;
}
