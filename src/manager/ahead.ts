/**
 * The next turn, requested ahead. A turn's orchestration is two hand-overs (the worker's
 * response, the next request) and, between them, the manager's append of the message. The
 * manager takes that append off the path: when it can tell what the append will find, it sends
 * the next turn's request in the same write, right behind the append — before Redis answers.
 *
 * It can tell when it handled the turn before itself (it remembers the record and the latest
 * messages as it read them then, and the log only grows), the speaker of the turn that came back
 * is the one it chose, and the turn order needs no model (round robin, random, addressed: the
 * choice depends only on the spec, the seed and the latest messages). It then works out what the
 * record will be after the append (turns, tokens_total), decides as it would after reading it —
 * no limit reached, no loop, the next speaker a model — and chooses.
 *
 * Redis keeps it honest: the append's script (APPEND_AHEAD_LUA) writes that choice — with
 * next_job "ahead" — only if the record is what the manager predicted (running, the message the
 * latest, tokens_total and remarks as expected, no narrator's remark waiting). The request,
 * marked `ahead`, runs only if its worker finds that choice on the record (turn-context.ts);
 * otherwise it is skipped, and the manager carries on as without it (Controller.afterRecorded),
 * requesting the turn, if it comes, under another job id (the refusal is kept on the record,
 * ahead_declined). A replacement manager that finds a choice made ahead requests it again as it
 * was: the same job, so it runs once.
 *
 * Not on a Redis Cluster: the request's queue and the conversation's keys are in different hash
 * slots, on different nodes, and Redis would not run the request after the append.
 *
 * Reads: nothing (what the manager read or wrote at its last step). Writes: through Store.appendAhead.
 */
import type { ConversationRecord, NextChoice } from "../protocol/record.js";
import type { DialogMessage, TurnRequest } from "../protocol/schemas.js";
import { isCluster } from "../redis/cluster.js";
import { choiceWithoutModel, requestFor, type NextTurnDeps } from "./next-turn.js";

/** conversations whose last step a manager remembers */
const MAX_HELD = 1000;

export interface AheadPlan {
  choice: NextChoice;
  request: TurnRequest;
  /** the record's tokens_total and remarks after the append, as predicted */
  expect: { tokens_total: number; remarks: number };
  /** the record after the append and the choice (its outcome counters aside), and the latest messages: what the next step starts from */
  after: ConversationRecord;
  latest: readonly DialogMessage[];
}

export class Ahead {
  /** per conversation: the record (with the choice of the turn in flight) and the latest messages, as the last step left them */
  private readonly held = new Map<string, { rec: ConversationRecord; recent: readonly DialogMessage[] }>();

  /** what a step read (or wrote: `rec` with the choice it made) */
  remember(rec: ConversationRecord, recent: readonly DialogMessage[]): void {
    const id = rec.spec.id;
    this.held.delete(id);
    this.held.set(id, { rec, recent });
    if (this.held.size > MAX_HELD) this.held.delete(this.held.keys().next().value as string);
  }

  forget(id: string): void {
    this.held.delete(id);
  }

  /**
   * the next turn after `msg`, chosen ahead, or null when the manager cannot tell (or the run
   * would end): `n` latest messages are what the manager reads after an append; `stops` is its
   * decision after reading, given the record and those messages
   */
  plan(
    deps: Pick<NextTurnDeps, "store" | "queues">,
    msg: DialogMessage,
    n: number,
    stops: (rec: ConversationRecord, msg: DialogMessage, recent: readonly DialogMessage[]) => boolean,
  ): AheadPlan | null {
    const { conversation_id: id, sequence_number: seq, agent_id: from } = msg.metadata;
    const held = this.held.get(id);
    if (!held || isCluster(deps.store.redis)) return null;
    const { rec, recent } = held;
    const spec = rec.spec;
    if (spec.turn_order === "moderator" || rec.status !== "running" || rec.turns !== seq - 1 || !rec.story || !rec.personas) return null;
    if (rec.next_choice?.seq !== seq || rec.next_choice.agent_id !== from) return null;
    if ((recent.at(-1)?.metadata.sequence_number ?? 0) !== seq - 1) return null;
    const after: ConversationRecord = { ...rec, turns: seq, tokens_total: rec.tokens_total + msg.metadata.tokens_generated };
    const latest = [...recent, msg].slice(-n);
    if (stops(after, msg, latest)) return null;
    const choice = choiceWithoutModel(after, seq + 1, latest);
    const agent = choice && spec.agents.find((a) => a.id === choice.agent_id);
    if (!choice || agent?.kind !== "model") return null;
    const ahead: NextChoice = { ...choice, ahead: true };
    return {
      choice: ahead,
      request: requestFor(deps, after, ahead, agent.pool, true),
      expect: { tokens_total: after.tokens_total, remarks: rec.remarks ?? 0 },
      after: { ...after, next_choice: ahead, pending_seq: ahead.seq },
      latest,
    };
  }
}
