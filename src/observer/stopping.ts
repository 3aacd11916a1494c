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
/** a model's turn is in flight: one is asked for and not yet recorded (the story, or a turn already closed, is not one) */
export const turnInFlight = (r: Pick<ConversationRecord, "pending_seq" | "turns">): boolean => r.pending_seq !== null && r.pending_seq > r.turns;

export function stoppingText(r: Pick<ConversationRecord, "started_at" | "phase" | "pending_seq" | "turns">, open: { name: string; turn?: number | undefined } | null): string {
  if (r.started_at === null) return `stopping: the ${r.phase ?? "story"} being written ${r.phase === "personas" ? "are" : "is"} dropped`;
  if (open) return `stopping: closing ${open.name}'s turn${open.turn === undefined ? "" : ` ${open.turn}`}`;
  if (turnInFlight(r)) return "stopping: waiting for the turn being generated to come back, cut";
  return "stopping…";
}
