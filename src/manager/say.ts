/**
 * Saying something in a conversation, from anywhere (`dialogue say`, the TUI's input line, the
 * web): as the person whose turn it is, or as the narrator (a remark every later speaker sees).
 * Checked here first, so a person hears at once why it cannot be said; then handed to the managers
 * as a `say` control job, which records it (and checks again).
 *
 * A person's turn takes one say: the first one added claims the turn (Keys.sayClaimId, a BullMQ
 * deduplication id, checked and set by the add's own script), and any later one for that turn —
 * from any terminal, host or page, however close behind — is refused, saying when the first was
 * said. The turn's timeout (human_timeout) claims the same id before it skips the turn: a say that
 * comes after it is refused (the turn timed out; nothing is recorded), and a timeout that comes
 * after a say leaves the turn to it — so a say that is accepted is recorded, one refused is not.
 * The run's end (its deadline, a stop) claims a turn still open the same way (Keys.runEndClaim)
 * and records it skipped: a say after that is refused, and one queued before it is waited for.
 * A say answers the person's turn waiting when it was said, never a later one (say-turn.ts): the
 * turn named (`--turn`), else the one waiting when it was issued; the say job carries the turn it
 * answers (seq), which the manager checks again. A narrator may add any number of remarks.
 *
 * Reads: record(ID) (again, to say how the run ended, when its end closed the turn); the latest messages, only to say why a say is refused; the job holding a turn's claim, only to refuse a second say. Writes: one job
 * on the control queue (and, for a person's turn, its claim). The controller's humanTimeout claims
 * a turn with Queues.claimControl, under its timeout's job id (Keys.humanTimeoutJobId).
 */
import { now } from "../redis/clock.js";
import { randomBytes } from "node:crypto";
import { ConflictError, NotFoundError, UsageError } from "../errors/index.js";
import { isFinal, turnOf, type ConversationRecord } from "../protocol/record.js";
import { MAX_TEXT, NARRATOR_ID } from "../protocol/schemas.js";
import type { Queues } from "../queues/index.js";
import type { Store } from "../redis/store.js";
import { cameBefore, notTheirTurn, notThatTurn } from "./say-turn.js";

export interface SayResult {
  as: string;
  /** the turn it answers (a person's): its sequence number in the log, or null for a remark */
  seq: number | null;
  /** that turn's number (a narrator's remarks are not turns), or null for a remark */
  turn: number | null;
}

/** what was done, in one line (dialogue say prints it, the web answers it) */
export function saidText(r: SayResult, id: string): string {
  return r.seq === null ? `remark queued for ${id}: it is recorded after the turn in flight, before the next one` : `said as ${r.as} (turn ${r.turn ?? r.seq} of ${id})`;
}

/** the person whose turn it is now, if it is a person's turn */
export function personWaitedFor(rec: ConversationRecord): { agent_id: string; seq: number; since: number | null } | null {
  const c = rec.next_choice;
  if (!c || isFinal(rec.status) || c.seq !== rec.pending_seq || c.seq <= rec.turns) return null;
  const agent = rec.spec.agents.find((a) => a.id === c.agent_id);
  return agent?.kind === "human" ? { agent_id: c.agent_id, seq: c.seq, since: c.at ?? null } : null;
}

export interface SayOptions {
  /** who says it: a person taking part (by default the one whose turn it is), or the narrator */
  as?: string | undefined;
  /** where it came from, for the record ("dialogue say", "the TUI", "the web") */
  via: string;
  /** the turn it is for, as the views number it (`dialogue say --turn`): refused unless it is the person's turn waiting now */
  turn?: number | undefined;
  /**
   * when it was said, by Redis' clock (`dialogue say`: when the command started): without a turn
   * named, a turn of the person's offered after this is not the one it was meant for, and it is
   * refused rather than taken for it
   */
  issuedAt?: number | undefined;
  /** what the commands a refusal names need to reach the run (observer/commands.ts prefixFlag, or the CLI's reachFlags) */
  reach: string;
}

export async function say(store: Store, queues: Queues, id: string, text: string, opts: SayOptions): Promise<SayResult> {
  const rec = await store.get(id);
  if (!rec) throw new NotFoundError(`no conversation ${id}`, "see dialogue list");
  const watch = `dialogue watch ${id}${opts.reach}`;
  const trimmed = text.trim();
  if (trimmed === "") throw new UsageError("there is nothing to say", 'give the text, e.g. dialogue say <id> "I would take the early train"');
  if (trimmed.length > MAX_TEXT) throw new UsageError(`that is ${trimmed.length} characters; at most ${MAX_TEXT} can be said at once`, "say it in parts");
  // a message of this run holds at most limits.max_message_chars: more would be cut when recorded
  const most = rec.spec.limits.max_message_chars;
  if (trimmed.length > most) throw new UsageError(`that is ${trimmed.length} characters; a message in conversation ${id} holds at most ${most} (limits.max_message_chars)`, "say it in parts");
  // --as NARRATOR, --as Alice for alice: the one it can only mean (an id that matches exactly wins)
  opts = { ...opts, as: canonicalAs(opts.as, rec.spec.agents) };
  if (opts.as === NARRATOR_ID && opts.turn !== undefined) throw new UsageError("a narrator's remark answers no turn: a turn (--turn) is for a person's say", `leave the turn out to add a remark`);
  if (isFinal(rec.status)) throw new ConflictError(`conversation ${id} has ended (${rec.status})`, "nothing more can be said in it");
  const people = rec.spec.agents.filter((a) => a.kind === "human");
  const waiting = personWaitedFor(rec);
  const as = opts.as ?? waiting?.agent_id ?? (people.length === 1 ? people[0]?.id : undefined);
  if (!as) {
    throw new UsageError(
      people.length === 0 ? `conversation ${id} has no person in it` : `say as whom? ${people.map((p) => p.id).join(", ")} take part`,
      people.length === 0 ? `add a remark with --as ${NARRATOR_ID}` : `use --as <id> (or --as ${NARRATOR_ID} for a remark)`,
    );
  }
  if (as !== NARRATOR_ID) {
    const agent = rec.spec.agents.find((a) => a.id === as);
    if (!agent) throw new UsageError(`"${as}" is not in conversation ${id}`, `the agents are ${rec.spec.agents.map((a) => a.id).join(", ")}; --as ${NARRATOR_ID} adds a remark`);
    if (agent.kind !== "human") throw new UsageError(`${as} is a model, not a person: it speaks for itself`, `say as a person (${people.map((p) => p.id).join(", ") || "none here"}) or --as ${NARRATOR_ID}`);
    const mine = waiting?.agent_id === as ? waiting : null;
    // a turn named: that one only, whatever is waiting now
    if (opts.turn !== undefined && (!mine || turnOf(mine.seq, rec) !== opts.turn)) throw await notThatTurn(store, rec, as, opts.turn, waiting, opts.reach);
    if (!mine) throw await notTheirTurn(store, rec, as, waiting, opts.reach);
    // none named: the turn waiting when it was said, not one offered since (it was meant for an earlier one)
    if (opts.turn === undefined && opts.issuedAt !== undefined && mine.since !== null && mine.since > opts.issuedAt) throw await cameBefore(store, rec, as, { ...mine, since: mine.since }, opts.issuedAt, opts.reach);
  }
  const saidAt = now();
  const job = { type: "say" as const, conversation_id: id, as, text: trimmed, said_at: saidAt, via: opts.via };
  const jobId = `say.${id}.${saidAt}.${randomBytes(3).toString("hex")}`;
  // (a person's say got here only at their turn: `waiting` is theirs)
  if (as === NARRATOR_ID || !waiting) {
    await queues.addControl(job, jobId);
    return { as, seq: null, turn: null };
  }
  const turn = turnOf(waiting.seq, rec);
  const held = await queues.addControlOnce({ ...job, seq: waiting.seq }, jobId, queues.keys.sayClaimId(id, waiting.seq), sayClaimTtlMs(rec));
  if (held !== null) throw await alreadySaid(store, queues, held, as, { seq: waiting.seq, turn }, rec, watch);
  return { as, seq: waiting.seq, turn };
}

/** `as` as the run spells it: the narrator, or an agent's id, in any case when only one matches that way */
export function canonicalAs(as: string | undefined, agents: readonly { id: string }[]): string | undefined {
  if (as === undefined || as === NARRATOR_ID || agents.some((a) => a.id === as)) return as;
  const lower = as.toLowerCase();
  const matches = [...agents.map((a) => a.id), NARRATOR_ID].filter((x) => x.toLowerCase() === lower);
  return matches.length === 1 ? matches[0] : as;
}

/** how long a person's turn stays claimed by its say (or its timeout): longer than the turn can wait, and a day more for a manager to come back */
export const sayClaimTtlMs = (rec: ConversationRecord): number => Math.round(rec.spec.limits.human_turn_seconds * 1000) + 24 * 3600 * 1000;

/**
 * the refusal of a say for a turn claimed before it: by its timeout (the turn was skipped), by the
 * run's end (the turn was recorded skipped), or by a first say (what it came to, and how long ago it was said); `watch`: the command that shows the run
 */
async function alreadySaid(store: Store, queues: Queues, held: string, as: string, { seq, turn }: { seq: number; turn: number }, rec: ConversationRecord, watch: string): Promise<ConflictError> {
  const id = rec.spec.id;
  if (held === queues.keys.humanTimeoutJobId(id, seq)) {
    const waited = rec.spec.limits.human_turn_seconds;
    return new ConflictError(`${as}'s turn ${turn} timed out before this was said: it waits ${waited} s (limits.human_turn_seconds), then is skipped; nothing was recorded`, `say it again at your next turn (${watch} shows it)`);
  }
  if (held === queues.keys.runEndClaim(id)) {
    // how it ended: on the record as it is now (the one read before the say came from before the end)
    const reason = (await store.get(id).catch(() => null))?.stop_reason ?? null;
    const why = reason === "duration" ? "the run's time ran out (limits.duration_seconds)" : reason === "user_stop" ? "the run was stopped" : "the run ended";
    return new ConflictError(`${as}'s turn ${turn} was closed before this was said: ${why}, and the turn was recorded skipped; nothing was recorded`, `nothing more can be said in ${id} (${watch} shows how it ended)`);
  }
  const first = await queues.controlJob(held).catch(() => null);
  const data = first?.data as { said_at?: unknown } | undefined;
  const ago = typeof data?.said_at === "number" ? ` (said ${(Math.max(0, now() - data.said_at) / 1000).toFixed(1)} s ago)` : "";
  const what = !first?.finishedOn ? "already has an answer queued" : first.failedReason ? `already had an answer, which was not recorded (${first.failedReason})` : "was already answered";
  return new ConflictError(`${as}'s turn ${turn} ${what}${ago}`, `one answer a turn: wait for the next turn (${watch} shows it)`);
}
