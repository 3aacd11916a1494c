/**
 * What counts as a turn: every message the record counts (`turns`) but a narrator's remarks and a
 * continued run's copied history. Only types from the schemas, so it costs a browser bundle nothing
 * (the web page's script counts turns with it).
 */
import type { ConversationRecord } from "./record.js";

type Counts = Pick<ConversationRecord, "remarks" | "history">;

/** the messages of a record that are not this run's turns: a narrator's remarks and a copied history */
export function nonTurns(rec: Counts): number {
  return (rec.remarks ?? 0) + (rec.history ?? 0);
}

/** the turns this run's agents took (every message recorded but a narrator's remarks and a copied history) */
export function turnsTaken(rec: Counts & Pick<ConversationRecord, "turns">): number {
  return rec.turns - nonTurns(rec);
}

/** the turn that `seq`, requested or in flight now, is: every remark and copied message recorded so far comes before it */
export function turnOf(seq: number, rec: Counts): number {
  return seq - nonTurns(rec);
}
