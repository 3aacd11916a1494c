/**
 * Removing a finished conversation on purpose (`dialogue purge`).
 *
 * Deletes: its BullMQ jobs (control: start/deadline/finalize; requests.<pool> and
 *   responses.<pool>: "<id>.<seq>", under the pool's own tag and, for runs recorded before pools
 *   had one, under the old shared tag), then record(ID), log(ID), tokens(ID), analysis(ID) (one
 *   slot, one DEL), then its index entries (index, and imported for an imported one) — jobs first, so an interrupted purge leaves the run
 *   listed and can be run again. No command spans two hash slots (Redis Cluster).
 * Returns: how many keys and jobs went.
 */
import type { Queue } from "bullmq";
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
  const candidates: Array<[Queue, string]> = [
    [queues.control(), k.startJobId(id)],
    [queues.control(), k.deadlineJobId(id)],
    [queues.control(), k.finalizeJobId(id)],
  ];
  const last = Math.max(rec.turns, rec.pending_seq ?? 0) + 1;
  // whose turn each one was depends on the turn order (and a fallback may serve it elsewhere):
  // every pool of the run's model agents is looked in
  const pools = [...new Set(rec.spec.agents.filter((a) => a.kind !== "human").map((a) => a.pool))];
  for (let seq = 1; seq <= last; seq++) {
    const jobId = k.turnJobId(id, seq);
    for (const pool of pools) {
      candidates.push([queues.requests(pool), jobId], [queues.responses(pool), jobId], [queues.legacyRequests(pool), jobId], [queues.legacyResponses(pool), jobId]);
      // a turn requested again after its request sent ahead was refused (manager/ahead.ts)
      candidates.push([queues.requests(pool), k.reissuedTurnJobId(id, seq)]);
    }
  }
  let jobs = 0;
  for (let i = 0; i < candidates.length; i += BATCH) {
    const batch = candidates.slice(i, i + BATCH);
    // BullMQ's remove answers 1 for a job that is not there: look first (its own key builder);
    // sent together, but one command each (on a cluster the jobs' keys are in several slots)
    const found = await Promise.all(batch.map(([q, jobId]) => store.redis.exists(q.toKey(jobId)).then((n) => n === 1)));
    const removed = await Promise.all(batch.map(([q, jobId], j) => (found[j] ? q.remove(jobId).catch(() => 0) : 0)));
    jobs += removed.filter((r) => r === 1).length;
  }
  const keys = await store.redis.del(...k.conversationKeys(id));
  await Promise.all([store.redis.zrem(k.index(), id), store.redis.zrem(k.imported(), id), store.redis.srem(k.active(), id)]);
  return { keys, jobs };
}
