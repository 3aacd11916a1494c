/**
 * What a stop of a run that had already ended says instead (`dialogue stop`, and the web API's
 * 409 for POST /api/conversations/:id/stop): how it ended and when, on Redis' clock, in UTC.
 */
import { runStatusText, utcSeconds } from "../analysis/format.js";
import type { ConversationRecord } from "../protocol/record.js";

/** "<id> had already ended: failed (abandoned) at 2026-11-21 14:30:19 UTC; no live manager has driven it since" */
export function alreadyEndedText(rec: Pick<ConversationRecord, "spec" | "status" | "stop_reason" | "ended_at" | "failed_turns" | "stalled_turns">): string {
  const status = runStatusText(rec);
  const gone = rec.stop_reason === "abandoned" ? "; no live manager has driven it since" : "";
  return `${rec.spec.id} had already ended: ${status}${rec.ended_at === null ? "" : ` at ${utcSeconds(rec.ended_at)} UTC`}${gone}`;
}
