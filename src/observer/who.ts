/**
 * Who is who, as every view says it: an agent's name (its persona's, by agent id), whether a
 * model or a person speaks for it, and the turn order's choice in a few words. Pure, and free of
 * Node: a record (or spec) in, words out (the web page's script uses it too, through stats.ts).
 */
import { modelLabel } from "../analysis/format.js";
import { personaOf } from "../protocol/persona-of.js";
import type { AgentSpec, ConversationRecord, ConversationSpec } from "../protocol/record.js";
import type { DialogMessage, TurnChoice } from "../protocol/schemas.js";
import { isTurn, placeOf, type Place } from "../protocol/turn-count.js";

export const isPerson = (a: Pick<AgentSpec, "kind">): boolean => a.kind === "human";

/** the agent's persona name, else its role, else the id */
export function nameOf(r: Pick<ConversationRecord, "spec" | "personas">, agentId: string): string {
  const agent = r.spec.agents.find((a) => a.id === agentId);
  return personaOf(r.spec, r.personas ?? [], agentId)?.name ?? agent?.role ?? agentId;
}

/** what speaks for the agent: "a person", or its model ("simulated-1 [simulated]") */
export const speaksBy = (a: AgentSpec): string => (isPerson(a) ? "a person" : modelLabel(a.model.provider, a.model.model));

/** the agent's position (its colour), or 0 for one that is not in the spec (the narrator) */
export function agentIndex(spec: ConversationSpec, agentId: string): number {
  return Math.max(0, spec.agents.findIndex((a) => a.id === agentId));
}

/**
 * a choice worth showing: the turn order picked this speaker for a reason (not the first turn, not
 * round robin) — or, in a run whose turn order is not round robin (`turnOrder`), it fell back to
 * round robin, and the reason says why (nobody named, a name not in the run, the moderator failed)
 */
export function choiceShown(c: TurnChoice | null | undefined, turnOrder?: string): c is TurnChoice {
  if (c === null || c === undefined) return false;
  if (c.how === "round_robin") return turnOrder !== undefined && turnOrder !== "round_robin" && Boolean(c.reason);
  return c.how === "random" || c.how === "addressed" || c.how === "moderator";
}

/** "moderator: keeps the panel balanced", "addressed: Lucia named Hana (local) to answer" */
export function choiceText(c: TurnChoice): string {
  return c.reason ? `${c.how}: ${c.reason}` : c.how;
}

/** "chosen (moderator): keeps the panel balanced": how a transcript says it */
export function chosenText(c: TurnChoice): string {
  return `chosen (${c.how})${c.reason ? `: ${c.reason}` : ""}`;
}

/** the turns taken so far: messages other than a narrator's remarks and a copied history */
export const turnsTaken = (messages: readonly DialogMessage[]): number => messages.filter(isTurn).length;

/**
 * The turn that the message at `seq` is, or would be: its place in the log with a narrator's
 * remarks and a copied history (run --continue) before it left out — what "turn n of max" counts.
 * `messages`: the log up to `seq` at least.
 */
export function turnAt(seq: number, messages: readonly DialogMessage[]): number {
  let before = 0;
  for (const m of messages) if (m.metadata.sequence_number < seq && !isTurn(m)) before++;
  return seq - before;
}

/** where message `m` stands among the turns (protocol/turn-count.ts Place); `messages`: the log up to it at least */
export function placeAt(m: DialogMessage, messages: readonly DialogMessage[]): Place {
  const seq = m.metadata.sequence_number;
  return placeOf(m, seq - turnAt(seq, messages));
}

const after = (n: number): string => (n >= 1 ? `after turn ${n}` : "before turn 1");

/** when a narrator's remark came: "after turn 4", "before turn 1" (no turn before it), or, copied with a history, "before this run" */
export const remarkWhen = (p: Place): string => (p.kind === "remark" ? after(p.after) : p.kind === "history" ? "before this run" : `at turn ${p.turn}`);

/** a place in words: "turn 12"; a narrator's remark "after turn 11"; a message of the copied history (run --continue) "#3, before this run" */
export function placeText(p: Place): string {
  if (p.kind === "turn") return `turn ${p.turn}`;
  return p.kind === "remark" ? after(p.after) : `#${p.seq}, before this run`;
}

/**
 * a place as the transcripts mark it (plain text, show, the exports, the web page): "[12]" for
 * turn 12; "[·]" for a narrator's remark (not a turn: no number); "[#3]" for message 3 of the copied history
 */
export function placeMark(p: Place): string {
  if (p.kind === "turn") return `[${p.turn}]`;
  return p.kind === "remark" ? "[·]" : `[#${p.seq}]`;
}

/** why a person's turn was skipped, as every view says it ("no answer within 60 s (…): the turn was skipped") */
export function skipText(note: string | null | undefined): string {
  return note && /^no answer\b/.test(note) ? note : `no answer: ${note ?? "the turn was skipped"}`;
}
