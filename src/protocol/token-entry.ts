/**
 * A token chunk as an entry of a conversation's token stream (tokens(ID)): one stream field per
 * chunk field, with one-letter names —
 *
 *   s seq · a attempt · g agent_id · x text · n tokens · t epoch ms
 *   (and f: the notice of a failed attempt, as JSON, on the chunk that says so)
 *
 * — rather than one JSON field. Entries whose fields match the stream's first entry store only
 * their values (Redis streams keep the field names once per node), so a chunk costs its values and
 * a few bytes; a model streaming 50 tokens/s leaves about 30 chunks a message. Entries written as
 * `c` = the chunk's JSON (before this encoding) are read as well, so older runs still replay.
 */
import { TokenChunkSchema, type TokenChunk } from "./schemas.js";

/** XADD's field-value arguments for `c` (validated first: a bad chunk throws, it is not written) */
export function tokenEntryFields(c: TokenChunk): string[] {
  const v = TokenChunkSchema.parse(c);
  const fields = ["s", String(v.seq), "a", String(v.attempt), "g", v.agent_id, "x", v.text, "n", String(v.tokens), "t", String(v.t)];
  return v.failed ? [...fields, "f", JSON.stringify(v.failed)] : fields;
}

/** the chunk in a stream entry's fields (as XRANGE/XREAD return them), or null if it is not a valid chunk; never throws */
export function chunkFromEntry(fields: readonly string[]): TokenChunk | null {
  const get = (name: string): string | undefined => {
    for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
    return undefined;
  };
  let candidate: unknown;
  const legacy = get("c");
  if (legacy !== undefined) {
    try {
      candidate = JSON.parse(legacy);
    } catch {
      return null;
    }
  } else {
    const int = (name: string): number | undefined => {
      const s = get(name);
      return s !== undefined && /^\d{1,15}$/.test(s) ? Number(s) : undefined;
    };
    candidate = { seq: int("s"), attempt: int("a"), agent_id: get("g"), text: get("x"), tokens: int("n"), t: int("t") };
    const notice = get("f");
    if (notice !== undefined) {
      try {
        (candidate as Record<string, unknown>)["failed"] = JSON.parse(notice);
      } catch {
        return null;
      }
    }
  }
  const parsed = TokenChunkSchema.safeParse(candidate);
  return parsed.success ? parsed.data : null;
}
