/**
 * What `dialogue run --no-spawn` says while its run goes on and a pool it needs has no live worker
 * (by the heartbeats: cli/lacking.ts unservedNow), in the words of `dialogue show`, `status` and
 * the live page (observer/unserved.ts waitingForLines): each pool's line when it first appears or
 * changes, again at most once a minute while it stays the same, and once when the pool is served
 * again. A manager missing is left to the launcher's lease check (cli/run.ts), which says it once.
 *
 * Pure: fed what the run lacks at each check, it returns the lines to say.
 */
import { waitingForLines } from "../observer/unserved.js";
import type { ConversationRecord } from "../protocol/record.js";
import type { Unserved } from "../redis/presence.js";

/** an unchanged line is said again after this long; @defaultValue 60000 */
export const REPEAT_MS = 60_000;

type Run = Pick<ConversationRecord, "status" | "next_choice" | "spec" | "personas">;

/** each pool of `u` no live worker serves, with its line as show says it (`reach`: cli/reach.ts reachFlags) */
export function poolLines(u: Unserved, reach: string, run: Run): Map<string, string> {
  return new Map(u.pools.map((pool) => [pool, waitingForLines({ no_manager: false, pools: [pool] }, reach, run)[0] ?? ""]));
}

export class PoolNotices {
  /** the pools said to lack a worker: the line said, and when (ms) */
  private readonly said = new Map<string, { line: string; at: number }>();

  /** `lacking`: poolLines of the check at `at` (ms); returns what to say now, each line once */
  next(lacking: ReadonlyMap<string, string>, at: number): string[] {
    const out: string[] = [];
    for (const [pool, line] of lacking) {
      const before = this.said.get(pool);
      if (before && before.line === line && at - before.at < REPEAT_MS) continue;
      this.said.set(pool, { line, at });
      out.push(`… ${line}`);
    }
    // deleting the entry being visited is safe in a Map's iteration
    for (const pool of this.said.keys()) {
      if (lacking.has(pool)) continue;
      this.said.delete(pool);
      out.push(`… pool ${pool} is served again: a live worker takes its turns`);
    }
    return out;
  }
}
