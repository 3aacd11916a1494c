/**
 * Where a browser is in a conversation's two streams: the last log entry and the last token
 * chunk it was sent. The SSE event id is both Redis stream ids, "<log id>/<token id>" (e.g.
 * "4-0/1763728805123-2"), so a client that reconnects with Last-Event-ID resumes each stream right
 * after what it had: nothing lost, nothing sent twice.
 */
export interface Cursor {
  log: string;
  tokens: string;
}

export const START: Cursor = { log: "0-0", tokens: "0-0" };
const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

export const encodeCursor = (c: Cursor): string => `${c.log}/${c.tokens}`;

/** the cursor in an event id, or null when it is not one */
export function decodeCursor(raw: string | null | undefined): Cursor | null {
  if (!raw) return null;
  const [log, tokens, ...rest] = raw.trim().split("/");
  if (rest.length > 0 || !log || !tokens || !STREAM_ID.test(log) || !STREAM_ID.test(tokens)) return null;
  return { log, tokens };
}

/** compares two stream ids ("ms-seq") as Redis orders them */
export function compareIds(a: string, b: string): number {
  const [am = "0", as = "0"] = a.split("-");
  const [bm = "0", bs = "0"] = b.split("-");
  const x = BigInt(am) - BigInt(bm);
  if (x !== 0n) return x < 0n ? -1 : 1;
  const y = BigInt(as) - BigInt(bs);
  return y === 0n ? 0 : y < 0n ? -1 : 1;
}
