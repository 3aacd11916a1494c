/**
 * What a run lacks to go on, by the processes' heartbeats (redis/presence.ts unservedBy): no live
 * manager, the pools of its agents no live worker serves — in one place for `dialogue show` (its
 * lines, and --json's waiting_for and unserved_pools) and `dialogue serve`'s API (the answer to a
 * start, a run's GET), so they say the same.
 *
 * Reads: P:presence (and Redis' TIME). Writes nothing (but the removal of entries an hour old that
 * readPresence makes).
 */
import { waitingForLines, workerCommand } from "../observer/unserved.js";
import { isFinal, poolsOfSpec, type ConversationRecord, type ConversationSpec } from "../protocol/record.js";
import { readPresence, unservedBy, type Unserved } from "../redis/presence.js";
import type { Store } from "../redis/store.js";

/** a pool a run needs that no live worker serves: its agents, and the command that starts a worker for it */
export interface UnservedPool {
  pool: string;
  agents: string[];
  start: string;
}

/** what a run on `spec` lacks now; null when the heartbeats cannot be read (nothing is claimed either way) */
export async function unservedNow(store: Store, spec: ConversationSpec): Promise<Unserved | null> {
  try {
    return unservedBy((await readPresence(store.redis, store.keys)).processes, poolsOfSpec(spec));
  } catch {
    return null;
  }
}

/** each pool of `u` with the agents of `spec` it serves and the command that starts a worker for it (`reach`: the flags it needs to reach the run, observer/commands.ts) */
export function unservedPools(u: Unserved | null, spec: ConversationSpec, reach: string): UnservedPool[] {
  return (u?.pools ?? []).map((pool) => ({ pool, agents: spec.agents.filter((a) => a.kind === "model" && a.pool === pool).map((a) => a.id), start: workerCommand(pool, reach) }));
}

/**
 * the lines (waiting_for) and the pools (unserved_pools) of what a run lacks: for a run that is
 * over, or when the heartbeats cannot be read, none
 */
export async function lackingOf(store: Store, rec: ConversationRecord, reach: string): Promise<{ waiting_for: string[]; unserved_pools: UnservedPool[] }> {
  const u = isFinal(rec.status) ? null : await unservedNow(store, rec.spec);
  return { waiting_for: u ? waitingForLines(u, reach, rec) : [], unserved_pools: unservedPools(u, rec.spec, reach) };
}
