/**
 * Asking a conversation to stop, from anywhere (the `run` launcher on Ctrl-C, `dialogue stop`).
 * Marks the record "stopping" with reason user_stop, tells workers to cut the turn in flight, and
 * schedules a finalize job so the run ends even if no cut turn comes back — at once when the turn
 * open is a person's, which that job records skipped (Controller.finalizeAfterGrace). A run no
 * manager has taken up yet ends stopped at once (a manager that takes it up later leaves it).
 */
import { isFinal } from "../protocol/record.js";
import type { Queues } from "../queues/index.js";
import type { Store } from "../redis/store.js";
import { STOP_GRACE_MS } from "./controller.js";

/**
 * The launcher was told to stop (SIGTERM) and no manager ended these runs in time — under
 * --no-spawn there may be none left: each one still not final is recorded as stopped here, never
 * left "stopping".
 */
export async function endStopped(store: Store, ids: Iterable<string>): Promise<void> {
  for (const id of ids) {
    const s = await store.status(id).catch(() => null);
    if (s && !isFinal(s)) await store.finalize(id, "user_stop", "stopped on SIGTERM; no manager ended the run within 15 s, so the launcher did").catch(() => undefined);
  }
}

/**
 * "stopped": no manager had taken the run up yet, so it ended at once (nothing ran); "stopping":
 * the managers end it (see above); "already-ended": it was final, or is gone.
 */
export async function requestStop(store: Store, queues: Queues, id: string): Promise<"stopped" | "stopping" | "already-ended"> {
  let rec = await store.get(id);
  if (!rec || isFinal(rec.status)) return "already-ended";
  if (rec.status === "pending") {
    if (await store.stopPending(id, "user_stop")) return "stopped";
    // a manager took it up meanwhile: what follows goes by the record as it is now
    rec = await store.get(id);
    if (!rec || isFinal(rec.status)) return "already-ended";
  }
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
