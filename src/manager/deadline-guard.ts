/**
 * A run's deadline is a delayed BullMQ job, and BullMQ times delayed jobs by the local clocks of
 * the process that adds one and the one that takes it. A manager whose host clock is behind
 * another's could take it early. So a deadline job that comes more than a second before the run's
 * deadline by Redis' clock (redis/clock.ts) goes back to wait for the rest, and the run is not
 * ended for `duration` before its time. A job that comes late is harmless: the workers cut the turn
 * in flight at the deadline (by Redis' clock too), and the manager ends the run on that turn.
 *
 * Reads: the control job, record(ID) (deadline_at, status). Writes: the job back to delayed.
 */
import { DelayedError, type Job } from "bullmq";
import { isFinal } from "../protocol/record.js";
import { ControlJobSchema } from "../protocol/schemas.js";
import { now } from "../redis/clock.js";
import type { Store } from "../redis/store.js";

/** how early a deadline job may come and still end the run; @defaultValue 1000 */
export const DEADLINE_SLACK_MS = 1000;

/** puts a deadline job that came too early back (throws BullMQ's DelayedError, as its docs say to); otherwise returns */
export async function holdEarlyDeadline(store: Store, job: Job, token: string | undefined): Promise<void> {
  const parsed = ControlJobSchema.safeParse(job.data);
  if (!parsed.success || parsed.data.type !== "deadline") return;
  const rec = await store.get(parsed.data.conversation_id);
  if (!rec || isFinal(rec.status) || rec.deadline_at === null) return;
  const left = rec.deadline_at - now();
  if (left <= DEADLINE_SLACK_MS) return;
  // BullMQ wants this process's own clock here: it promotes the job by its clock
  await job.moveToDelayed(Date.now() + left, token);
  throw new DelayedError(`the deadline of ${rec.spec.id} is ${left} ms away by Redis' clock`);
}
