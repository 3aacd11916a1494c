/**
 * Which turn a person's say is for, and why it cannot be said when that turn is not the one
 * waiting for them — each refusal in one line, naming what became of the turn and which turn is
 * waiting now. A say answers the person's turn waiting when it was said, never a later one:
 * with a turn named (`dialogue say --turn N`, the API's `turn`), that turn only; without, the
 * turn waiting when the say was issued (a turn of theirs offered after that is not the one it was
 * meant for: a say that started while their turn went by, or while a model spoke, is refused rather
 * than taken for their next turn).
 *
 * Reads: log(ID) — the latest messages, or those up to turn N — only to say what became of a turn.
 * Writes nothing.
 */
import { ConflictError } from "../errors/index.js";
import { personaOf, turnOf, turnsTaken, type ConversationRecord } from "../protocol/record.js";
import { isTurn } from "../protocol/turn-count.js";
import type { DialogMessage } from "../protocol/schemas.js";
import { now } from "../redis/clock.js";
import type { Store } from "../redis/store.js";
import { skippedCause } from "./people.js";

/** the person a record waits for (say.ts personWaitedFor) */
export interface WaitingTurn {
  agent_id: string;
  seq: number;
  since: number | null;
}

const nameOf = (rec: ConversationRecord, agentId: string): string => personaOf(rec.spec, rec.personas ?? [], agentId)?.name ?? agentId;
const secs = (ms: number): string => (Math.max(0, ms) / 1000).toFixed(1);

/** the turn chosen and not yet recorded, in words: `turn 7 is Ana's` (a person's, waiting: `…, waiting for an answer`), or `no turn is waiting` */
export function turnNowText(rec: ConversationRecord, waiting: WaitingTurn | null): string {
  const c = rec.next_choice;
  if (!c || c.seq <= rec.turns) return "no turn is waiting";
  return `turn ${turnOf(c.seq, rec)} is ${nameOf(rec, c.agent_id)}'s${waiting?.seq === c.seq ? ", waiting for an answer" : ""}`;
}

/** what to do instead: answer the turn of `as` waiting now, naming it, or wait for their next */
function instead(rec: ConversationRecord, as: string, waiting: WaitingTurn | null, reach: string, wait = "wait for your next turn"): string {
  const id = rec.spec.id;
  if (waiting?.agent_id === as) {
    const t = turnOf(waiting.seq, rec);
    return `your turn now is turn ${t}: to answer it, dialogue say ${id} --turn ${t}${reach} "…"`;
  }
  return `${wait} (dialogue watch ${id}${reach} shows it)`;
}

/** the turn `m`, one of `recent` (the latest messages of the log, in order), is: every remark after it was counted in the record's turns */
function turnOfRecent(rec: ConversationRecord, recent: readonly DialogMessage[], m: DialogMessage): number {
  const seq = m.metadata.sequence_number;
  return turnOf(seq, rec) + recent.filter((x) => x.metadata.sequence_number > seq && x.metadata.source === "narrator").length;
}

/** the message recorded as turn `n` (a narrator's remarks and a copied history are not turns), or null */
async function messageOfTurn(store: Store, rec: ConversationRecord, n: number): Promise<DialogMessage | null> {
  const history = rec.history ?? 0;
  // turn n is at seq history + n at the earliest, later by the remarks before it
  const log = await store.readLog(rec.spec.id, history + 1, undefined, n + (rec.remarks ?? 0) + 1);
  return log.filter(isTurn)[n - 1] ?? null;
}

/** `m`: the skipped turn, which says why (its time ran out, or the run ended while it was open) */
const skippedText = (rec: ConversationRecord, as: string, turn: number, m: DialogMessage): string => `${as}'s turn ${turn} was skipped, ${skippedCause(rec, m)}`;

/** a say without a turn named, when no turn of `as` is waiting: whose turn it is, and — when theirs just went by unanswered — which turn was skipped */
export async function notTheirTurn(store: Store, rec: ConversationRecord, as: string, waiting: WaitingTurn | null, reach: string): Promise<ConflictError> {
  const id = rec.spec.id;
  const nowText = turnNowText(rec, waiting);
  const recent = await store.lastMessages(id, rec.spec.agents.length + 1 + Math.min(rec.remarks ?? 0, 8));
  const mine = recent.filter((m) => m.metadata.agent_id === as).at(-1);
  if (mine?.skipped === true) {
    return new ConflictError(`${skippedText(rec, as, turnOfRecent(rec, recent, mine), mine)}, before this was said; nothing was recorded (${nowText})`, `say it again at your next turn (dialogue watch ${id}${reach} shows it)`);
  }
  return new ConflictError(`it is not ${as}'s turn (${nowText})`, `wait for your turn (dialogue watch ${id}${reach} shows it), or add a remark with --as narrator`);
}

/**
 * a say without a turn named that reached the record after the turn of `as` waiting now was
 * offered (`issuedAt`, by Redis' clock, is before `waiting.since`): it was meant for an earlier
 * turn of theirs, or said while it was not their turn, and is not taken for this one
 */
export async function cameBefore(store: Store, rec: ConversationRecord, as: string, waiting: WaitingTurn & { since: number }, issuedAt: number, reach: string): Promise<ConflictError> {
  const id = rec.spec.id;
  const t = turnOf(waiting.seq, rec);
  const recent = await store.lastMessages(id, rec.spec.agents.length + 1 + Math.min(rec.remarks ?? 0, 8));
  const before = recent.filter((m) => m.metadata.agent_id === as && m.metadata.sequence_number < waiting.seq).at(-1);
  const then = before?.skipped === true ? `${skippedText(rec, as, turnOfRecent(rec, recent, before), before)} before this say reached it` : `it was not ${as}'s turn when this was said`;
  return new ConflictError(
    `${then}; it is not taken for their turn ${t}, which began ${secs(waiting.since - issuedAt)} s after it was said: nothing was recorded`,
    `to answer turn ${t}, say it again for that turn: dialogue say ${id} --turn ${t}${reach} "…"`,
  );
}

/** a say for turn `n` when that is not the turn of `as` waiting now: what became of turn n (not come yet, someone else's, skipped, answered), and which turn is waiting */
export async function notThatTurn(store: Store, rec: ConversationRecord, as: string, n: number, waiting: WaitingTurn | null, reach: string): Promise<ConflictError> {
  const id = rec.spec.id;
  const nowText = turnNowText(rec, waiting);
  const c = rec.next_choice && rec.next_choice.seq > rec.turns ? rec.next_choice : null;
  if (c && turnOf(c.seq, rec) === n) {
    return new ConflictError(`turn ${n} of ${id} is ${nameOf(rec, c.agent_id)}'s (${c.agent_id}), not ${as}'s; nothing was recorded`, instead(rec, as, waiting, reach));
  }
  if (n > turnsTaken(rec)) {
    return new ConflictError(`turn ${n} of ${id} has not come yet (${nowText}); nothing was recorded`, instead(rec, as, waiting, reach, `say it when turn ${n} is yours`));
  }
  const m = await messageOfTurn(store, rec, n);
  if (!m) return new ConflictError(`turn ${n} of ${id} is over (${nowText}); nothing was recorded`, instead(rec, as, waiting, reach));
  if (m.metadata.agent_id !== as) {
    return new ConflictError(`turn ${n} of ${id} was ${m.speaker}'s (${m.metadata.agent_id}), not ${as}'s; nothing was recorded (${nowText})`, instead(rec, as, waiting, reach));
  }
  if (m.skipped === true) return new ConflictError(`${skippedText(rec, as, n, m)}, before this was said; nothing was recorded (${nowText})`, instead(rec, as, waiting, reach));
  return new ConflictError(`${as}'s turn ${n} was already answered, ${secs(now() - m.metadata.finished_at)} s ago; nothing was recorded (${nowText})`, instead(rec, as, waiting, reach));
}
