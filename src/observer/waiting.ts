/**
 * The person a conversation is waiting for (manager/say.ts personWaitedFor decides it), with what
 * the views say about them: their name, and when their turn is skipped.
 */
import { personWaitedFor } from "../manager/say.js";
import type { ConversationRecord } from "../protocol/record.js";
import { nameOf } from "./who.js";
import { turnOf } from "../protocol/turn-count.js";

export interface Waiting {
  agent_id: string;
  name: string;
  seq: number;
  /** the turn it is (a narrator's remarks and a copied history are not turns) */
  turn: number;
  /** epoch ms when the turn was offered, null when not recorded */
  since: number | null;
  /** epoch ms when it is skipped (its limit, or the run's deadline if that comes first), null when not known */
  skip_at: number | null;
}

/** the person whose turn it is, if it is a person's turn */
export function waitingFor(r: ConversationRecord): Waiting | null {
  const w = personWaitedFor(r);
  if (!w) return null;
  // skipped at its limit, or when the run's time runs out first (the manager then records it skipped)
  const limit = w.since === null ? null : w.since + Math.round(r.spec.limits.human_turn_seconds * 1000);
  const skipAt = limit === null ? null : r.deadline_at === null ? limit : Math.min(limit, r.deadline_at);
  return { ...w, name: nameOf(r, w.agent_id), turn: turnOf(w.seq, r), skip_at: skipAt };
}
