/**
 * Catching a browser up: the log and token entries after its cursor, up to where the live feed
 * was when it joined (or to the end of the streams, for a run that is over), read with XRANGE a
 * page at a time — the rest of the turn it was in the middle of, the messages, then the chunks of
 * the turn still being generated (Outbox leaves out those of turns it now has whole).
 *
 * Reads: log(ID), tokens(ID). Writes nothing. Returns nothing; nonTurnsUpTo returns how many of the
 * messages up to a log entry are not turns (a narrator's remarks, a copied history).
 */
import type { ObserverEvent } from "../../observer/follow.js";
import { chunkFromEntry } from "../../protocol/token-entry.js";
import { isTurn } from "../../protocol/turn-count.js";
import { parseEntry, type Store } from "../../redis/store.js";
import type { Cursor } from "./cursor.js";

const PAGE = 500;

/** `upTo` "+": to the end of the stream */
async function* range(store: Store, key: string, after: string, upTo: string): AsyncGenerator<[string, string[]]> {
  let start = `(${after}`;
  for (;;) {
    const entries = await store.redis.xrange(key, start, upTo, "COUNT", PAGE);
    for (const e of entries) yield e;
    if (entries.length < PAGE) return;
    start = `(${(entries[entries.length - 1] as [string, string[]])[0]}`;
  }
}

export async function catchUp(store: Store, id: string, from: Cursor, upTo: { log: string; tokens: string }, emit: (e: ObserverEvent) => void): Promise<void> {
  const tokens = store.keys.tokens(id);
  const hasTokens = upTo.tokens === "+" || upTo.tokens !== "0-0";
  // a client that dropped out mid-turn gets the rest of that turn first, so its text is whole
  // even when the turn was recorded meanwhile (a turn's chunks come before its message)
  if (hasTokens && from.tokens !== "0-0") {
    const [at] = await store.redis.xrange(tokens, from.tokens, from.tokens);
    const resume = at ? chunkFromEntry(at[1])?.seq : undefined;
    if (resume !== undefined && resume > (Number.parseInt(from.log, 10) || 0)) {
      for await (const [entryId, fields] of range(store, tokens, from.tokens, upTo.tokens)) {
        const chunk = chunkFromEntry(fields);
        if (chunk && chunk.seq > resume) break;
        if (chunk?.seq === resume) emit({ type: "tokens", chunk, id: entryId });
      }
    }
  }
  if (upTo.log === "+" || upTo.log !== "0-0") {
    for await (const [entryId, fields] of range(store, store.keys.log(id), from.log, upTo.log)) {
      emit({ type: "message", message: parseEntry(fields), id: entryId });
    }
  }
  if (hasTokens) {
    for await (const [entryId, fields] of range(store, tokens, from.tokens, upTo.tokens)) {
      const chunk = chunkFromEntry(fields);
      if (chunk) emit({ type: "tokens", chunk, id: entryId });
    }
  }
}

/** the narrator's remarks and copied messages in the log up to entry `logId` (a browser resuming there has them: its next turn's number counts them out) */
export async function nonTurnsUpTo(store: Store, id: string, logId: string): Promise<number> {
  let n = 0;
  for await (const [, fields] of range(store, store.keys.log(id), "0-0", logId)) if (!isTurn(parseEntry(fields))) n++;
  return n;
}
