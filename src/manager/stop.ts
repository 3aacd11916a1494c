/**
 * Asking a conversation to stop, from anywhere (the `run` launcher on Ctrl-C, `dialogue stop`).
 * Marks the record "stopping" with reason user_stop, tells workers to cut the turn in flight, and
 * schedules a finalize job so the run ends even if no cut turn comes back.
 */
import { isFinal } from "../protocol/record.js";
import type { Queues } from "../queues/index.js";
import type { Store } from "../redis/store.js";
import { STOP_GRACE_MS } from "./controller.js";

export async function requestStop(store: Store, queues: Queues, id: string): Promise<"stopping" | "already-ended"> {
  const rec = await store.get(id);
  if (!rec || isFinal(rec.status)) return "already-ended";
  await store.markStopping(id, "user_stop");
  await store.redis.publish(store.keys.abortChannel(), JSON.stringify({ conversation_id: id, reason: "user_stop" }));
  const inFlight = rec.pending_seq !== null && rec.pending_seq > rec.turns;
  // a person's turn comes back cut from no worker: nothing to wait for
  const person = rec.next_choice !== null && rec.spec.agents.find((a) => a.id === rec.next_choice?.agent_id)?.kind === "human";
  await queues.addControl(
    { type: "finalize", conversation_id: id, reason: "user_stop" },
    store.keys.finalizeJobId(id),
    (inFlight && !person) || rec.status === "preparing" ? STOP_GRACE_MS : 0,
  );
  return "stopping";
}
