/**
 * Who is who, as every view says it: an agent's name (its persona's, by agent id), whether a
 * model or a person speaks for it, and the turn order's choice in a few words. Pure, and free of
 * Node: a record (or spec) in, words out (the web page's script uses it too, through stats.ts).
 */
import { modelLabel } from "../analysis/format.js";
import { personaOf } from "../protocol/persona-of.js";
import type { AgentSpec, ConversationRecord, ConversationSpec } from "../protocol/record.js";
import type { DialogMessage, TurnChoice } from "../protocol/schemas.js";

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

/** the turns taken so far: messages other than a narrator's remarks */
export const turnsTaken = (messages: readonly DialogMessage[]): number => messages.filter((m) => m.metadata.source !== "narrator").length;

/**
 * The turn that the message at `seq` is: its place in the log with a narrator's remarks before it
 * and a copied history (`history` messages, run --continue) left out — what "turn n of max" counts.
 * `messages`: the log up to `seq` at least. Below 1: a message of the copied history.
 */
export function turnAt(seq: number, messages: readonly DialogMessage[], history: number): number {
  let remarks = 0;
  for (const m of messages) if (m.metadata.sequence_number < seq && m.metadata.source === "narrator") remarks++;
  return seq - history - remarks;
}

/** "turn 12", or for a message of the copied history (run --continue) "#3, before this run" */
export function turnLabel(seq: number, turn: number): string {
  return turn >= 1 ? `turn ${turn}` : `#${seq}, before this run`;
}

/** why a person's turn was skipped, as every view says it ("no answer within 60 s (…): the turn was skipped") */
export function skipText(note: string | null | undefined): string {
  return note && /^no answer\b/.test(note) ? note : `no answer: ${note ?? "the turn was skipped"}`;
}
