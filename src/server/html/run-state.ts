/**
 * What a run's page says of where the run stands, in one place for the server's HTML and the live
 * page's script (with analysis/format.ts, which the page's script has already): "Live" while the run goes on;
 * once it is over, that it has ended, with its status, stop reason, the turns that went wrong and when — never an invitation
 * to watch it live.
 */
import { runStatusText, utcSeconds } from "../../analysis/format.js";
import type { ConversationRecord } from "../../protocol/record.js";

const ENDED: ReadonlyArray<ConversationRecord["status"]> = ["completed", "stopped", "failed"];


/** null for an imported conversation: it was recorded elsewhere, and its page says so (its source) */
export function runStateText(rec: Pick<ConversationRecord, "status" | "stop_reason" | "ended_at" | "failed_turns" | "stalled_turns">): string | null {
  if (rec.status === "imported") return null;
  if (ENDED.includes(rec.status)) {
    return `This run has ended: ${runStatusText(rec)}${rec.ended_at === null ? "" : ` at ${utcSeconds(rec.ended_at)} UTC`}.`;
  }
  return `Live: this run is ${rec.status}; its messages appear here as they are generated.`;
}
