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

/** what placing a message among the turns needs of it (a DialogMessage, or its view for the analysis) */
interface Counted {
  metadata: { sequence_number: number; source: string; copied_from?: unknown };
}

/** a message that is a turn of this run: not a narrator's remark, not a message of a copied history (run --continue) */
export const isTurn = (m: Counted): boolean => m.metadata.source !== "narrator" && m.metadata.copied_from === undefined;

/**
 * where a message stands among the turns, as every view labels it: a turn by its number (what
 * `turnOf` said while it was requested, `say --turn` and the analysis use); a narrator's remark by
 * the turns taken before it (0: before the first); a message of a copied history by its place in the log
 */
export type Place = { kind: "turn"; turn: number } | { kind: "remark"; after: number } | { kind: "history"; seq: number };

/** the place of `m`, with `nonTurnsBefore` remarks and copied messages before it in the log */
export function placeOf(m: Counted, nonTurnsBefore = 0): Place {
  const seq = m.metadata.sequence_number;
  if (m.metadata.copied_from !== undefined) return { kind: "history", seq };
  const turn = seq - nonTurnsBefore;
  return m.metadata.source === "narrator" ? { kind: "remark", after: Math.max(0, turn - 1) } : { kind: "turn", turn };
}

/**
 * places the messages of a log handed over in order, from its start — or, resuming, after
 * `nonTurns` remarks and copied messages already passed; a message handed over again keeps its place
 */
export function turnCounter(nonTurns = 0): (m: Counted) => Place {
  const placed = new Map<number, Place>();
  return (m) => {
    const seq = m.metadata.sequence_number;
    let place = placed.get(seq);
    if (!place) {
      place = placeOf(m, nonTurns);
      placed.set(seq, place);
      if (!isTurn(m)) nonTurns++;
    }
    return place;
  };
}
