/**
 * What a run that is stopping waits for, in one line: the live web page's notice and the TUI's
 * waiting row (tui/LiveTurn.tsx); plain.ts says the same in its own words. Pure, and safe for the
 * browser: it imports types only.
 */
import type { ConversationRecord } from "../protocol/record.js";

/**
 * `open`: the person whose turn is open (observer/waiting.ts, as the server sends it with each
 * record), or null. A person's open turn is not in flight: the manager closes it (an answer
 * already sent is recorded, else the turn is skipped).
 */
export function stoppingText(r: Pick<ConversationRecord, "started_at" | "phase" | "pending_seq" | "turns">, open: { name: string; turn?: number | undefined } | null): string {
  if (r.started_at === null) return `stopping: the ${r.phase ?? "story"} being written ${r.phase === "personas" ? "are" : "is"} dropped`;
  if (open) return `stopping: closing ${open.name}'s turn${open.turn === undefined ? "" : ` ${open.turn}`}`;
  // a model's turn in flight only when one is pending (a turn already closed is not one)
  if (r.pending_seq !== null && r.pending_seq > r.turns) return "stopping: waiting for the turn being generated to come back, cut";
  return "stopping…";
}
