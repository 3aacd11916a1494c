/**
 * Running a Lua script by its SHA1 (EVALSHA), so a command carries the script's 40-character
 * digest rather than its text. The first run on a client sends the text (EVAL, which also loads
 * it into the server's script cache); after that the digest. A server that lost its cache (a
 * restart) answers NOSCRIPT, and that run is sent again as EVAL — later than commands sent after
 * it, so callers that read what a script wrote check what they read (see Controller.onResponse).
 */
import { createHash } from "node:crypto";
import type { RedisClient } from "./cluster.js";

const shas = new Map<string, string>();
const loaded = new WeakMap<RedisClient, Set<string>>();

/** a script's SHA1 digest (what EVALSHA names it by) */
export const scriptSha = (script: string): string => {
  let sha = shas.get(script);
  if (!sha) {
    sha = createHash("sha1").update(script).digest("hex");
    shas.set(script, sha);
  }
  return sha;
};

/** the command is sent before this returns its promise */
export function runScript(redis: RedisClient, script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown> {
  return runScriptOr(redis, script, numKeys, args, args);
}

/**
 * runScript, with other arguments for the run sent again as EVAL after NOSCRIPT (by then commands
 * sent after it have run: a caller whose script must not act on what it expected then says so in
 * `again`, see Store.appendAhead)
 */
export async function runScriptOr(redis: RedisClient, script: string, numKeys: number, args: Array<string | number>, again: Array<string | number>): Promise<unknown> {
  const sha = scriptSha(script);
  let seen = loaded.get(redis);
  if (!seen) loaded.set(redis, (seen = new Set()));
  if (!seen.has(sha)) {
    const r = await redis.eval(script, numKeys, ...args);
    seen.add(sha);
    return r;
  }
  try {
    return await redis.evalsha(sha, numKeys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
    return redis.eval(script, numKeys, ...again);
  }
}
