/**
 * Removing a finished conversation on purpose (`dialogue purge`).
 *
 * Deletes: its BullMQ jobs (control: start/deadline/finalize; requests.<pool> and
 *   responses.<pool>: "<id>.<seq>"), then record(ID), log(ID), tokens(ID), analysis(ID) and its
 *   index entry — jobs first, so an interrupted purge leaves the run listed and can be run again.
 * Returns: how many keys and jobs went.
 */
import { isFinal, type ConversationRecord } from "../protocol/record.js";
import type { Queues } from "../queues/index.js";
import type { Store } from "./store.js";

const BATCH = 100;

export interface Purged {
  keys: number;
  jobs: number;
}

export async function purgeConversation(store: Store, queues: Queues, rec: ConversationRecord): Promise<Purged> {
  if (!isFinal(rec.status)) throw new Error(`conversation ${rec.spec.id} is ${rec.status}: stop it first`);
  const id = rec.spec.id;
  const k = store.keys;
  const removals: Array<() => Promise<number>> = [
    () => queues.control().remove(k.startJobId(id)),
    () => queues.control().remove(k.deadlineJobId(id)),
    () => queues.control().remove(k.finalizeJobId(id)),
  ];
  const last = Math.max(rec.turns, rec.pending_seq ?? 0) + 1;
  for (let seq = 1; seq <= last; seq++) {
    const pool = rec.spec.agents[(seq - 1) % rec.spec.agents.length]?.pool;
    if (!pool) continue;
    const jobId = k.turnJobId(id, seq);
    removals.push(() => queues.requests(pool).remove(jobId));
    removals.push(() => queues.responses(pool).remove(jobId));
  }
  let jobs = 0;
  for (let i = 0; i < removals.length; i += BATCH) {
    const done = await Promise.all(removals.slice(i, i + BATCH).map((f) => f().catch(() => 0)));
    jobs += done.reduce((n: number, r) => n + r, 0);
  }
  const [del] = (await store.redis.multi().del(...k.conversationKeys(id)).zrem(k.index(), id).exec()) ?? [];
  return { keys: Number(del?.[1] ?? 0), jobs };
}
