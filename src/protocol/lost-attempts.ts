/**
 * Attempts of a turn that a worker lost: it crashed or was killed (or could not renew its lock on
 * the turn) before it finished, and the queue gave the turn to a worker again once its lock ran
 * out. No worker timed such an attempt. The message's queue_wait_ms — its request to the attempt
 * that went on — holds it, with the wait until the queue gave the turn out again and, before the
 * attempt that was lost, its own wait for a worker (normally milliseconds). So every view says a
 * queue wait that holds a lost attempt is one, and the analysis counts that time as time in failed
 * attempts, not as a wait for a worker.
 */
import type { DialogMessage } from "./schemas.js";

/** how many attempts of the message's turn a worker lost (metadata.failed_attempts of cause worker_lost) */
export function lostAttempts(md: { failed_attempts: ReadonlyArray<Pick<DialogMessage["metadata"]["failed_attempts"][number], "cause">> }): number {
  let n = 0;
  for (const f of md.failed_attempts) if (f.cause === "worker_lost") n++;
  return n;
}

/**
 * the message's queue wait is no wait for a worker: a worker lost an attempt of the turn, or the
 * manager recorded it (no worker returned it; its queue_wait_ms is 0 by construction). The
 * analysis and the views leave such a turn out of queue waits and handoffs.
 */
export function noWorkerWait(md: Parameters<typeof lostAttempts>[0] & { recorded_by?: "manager" | undefined }): boolean {
  return md.recorded_by === "manager" || lostAttempts(md) > 0;
}

/** the time a turn with a lost attempt took from its request to the attempt that went on (0 when no attempt was lost) */
export function lostTimeMs(md: Pick<DialogMessage["metadata"], "requested_at" | "started_at"> & Parameters<typeof lostAttempts>[0]): number {
  return lostAttempts(md) > 0 ? Math.max(0, md.started_at - md.requested_at) : 0;
}

/** a message's queue wait as a view says it: with the lost attempts it holds named (`ms`: how the view writes milliseconds) */
export function queueWaitText(md: Pick<DialogMessage["metadata"], "queue_wait_ms"> & Parameters<typeof lostAttempts>[0], ms: (n: number) => string): string {
  const lost = lostAttempts(md);
  return lost === 0 ? ms(md.queue_wait_ms) : `${ms(md.queue_wait_ms)} with ${lost === 1 ? "a lost attempt" : `${lost} lost attempts`}`;
}
