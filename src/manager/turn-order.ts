/**
 * The turn order: who speaks next. The one place that decides it — fed the spec, the personas
 * and the latest messages of the log, it returns the agent and the choice as it is recorded on
 * the turn (how, by whom, why). Deterministic for a seed, except the moderator's model when it is
 * a real one; a choice is written to the record before its turn is requested, so a replacement
 * manager reads it rather than choosing again.
 *
 *   round_robin  the agents in their order; with two, they alternate
 *   random       seeded rounds: each agent speaks once a round, in a drawn order; a round opens
 *                with anyone but the last speaker, so nobody speaks twice in a row (each turn
 *                records its round; a turn without one, e.g. a continued run's history, opens one)
 *   addressed    the agent named in the last reply's next_speaker, when it is another agent;
 *                otherwise round robin, saying why
 *   moderator    the manager's model picks one of the others, with a one-line reason; round robin
 *                when it fails. The others: all but the speaker of the last turn spoken and anyone
 *                whose turn was skipped since, so nobody speaks on both sides of a skipped turn
 *                (when that leaves nobody, all but the agent of the last turn)
 */
import { Rng } from "../llm/rng.js";
import { personaOf, type ConversationSpec } from "../protocol/record.js";
import type { DialogMessage, Persona, TurnChoice } from "../protocol/schemas.js";

export interface Choice extends TurnChoice {
  agent_id: string;
}

export interface Candidate {
  agent_id: string;
  name: string;
  role: string;
}

/** asks the manager's model who should speak next; throws when it cannot say */
export type Moderate = (candidates: Candidate[]) => Promise<{ next_speaker: string; reason: string; by: string }>;

export interface TurnOrderInput {
  spec: ConversationSpec;
  personas: readonly Persona[];
  /** the turn being chosen for */
  seq: number;
  /** the latest messages of the log, oldest first (the one before `seq` last) */
  recent: readonly DialogMessage[];
}

export async function chooseNext(input: TurnOrderInput, moderate?: Moderate): Promise<Choice> {
  return choose(input) ?? moderated(input, moderate);
}

/** the choice, when it needs no model (every order but a moderator choosing among several); else null */
export function choose(input: TurnOrderInput): Choice | null {
  const { spec, seq } = input;
  const agents = spec.agents;
  const name = (id: string): string => nameOf(input, id);
  const last = input.recent.findLast((m) => m.metadata.source !== "narrator" && m.metadata.sequence_number < seq);
  const seed = spec.seed ?? 0;
  const order = spec.turn_order;

  if (!last) {
    if (order === "random") {
      const first = new Rng(`${seed}|next|${seq}`).pick(agents);
      return { agent_id: first.id, how: "random", by: "manager", round: 1, reason: `round 1 opens: drawn at random (seed ${seed}) to open the conversation` };
    }
    const first = agents[0]!;
    return { agent_id: first.id, how: "first", by: "manager", reason: `${name(first.id)} (${first.id}), the first agent, opens the conversation` };
  }

  const lastId = last.metadata.agent_id;
  const roundRobin = (why: string): Choice => roundRobinAfter(input, lastId, why);
  const others = agents.filter((a) => a.id !== lastId);

  switch (order) {
    case "round_robin":
      return roundRobin("");
    case "random": {
      // rounds: the turns of the last speaker's round are in `recent`; when everyone spoke in it, a new one begins
      const lastRound = last.metadata.turn_choice?.how === "random" ? last.metadata.turn_choice.round : undefined;
      const spoke = lastRound === undefined ? new Set<string>() : new Set(input.recent.filter((m) => m.metadata.source !== "narrator" && m.metadata.sequence_number < seq && m.metadata.turn_choice?.round === lastRound).map((m) => m.metadata.agent_id));
      const left = agents.filter((a) => !spoke.has(a.id));
      const rng = new Rng(`${seed}|next|${seq}`);
      if (left.length === 0 || lastRound === undefined) {
        const round = (lastRound ?? 0) + 1;
        const pick = rng.pick(others);
        return { agent_id: pick.id, how: "random", by: "manager", round, reason: `round ${round} opens: drawn at random (seed ${seed}) from everyone but ${name(lastId)}, who spoke last` };
      }
      if (left.length === 1) {
        const only = left[0]!;
        return { agent_id: only.id, how: "random", by: "manager", round: lastRound, reason: `${name(only.id)} is the last of round ${lastRound} (random, seed ${seed}) who has not spoken` };
      }
      const pick = rng.pick(left.filter((a) => a.id !== lastId));
      return { agent_id: pick.id, how: "random", by: "manager", round: lastRound, reason: `drawn at random (seed ${seed}) from those who have not spoken in round ${lastRound}: ${left.map((a) => name(a.id)).join(", ")}` };
    }
    case "addressed": {
      const named = last.content.next_speaker;
      if (named === undefined || named === "") return roundRobin(`${name(lastId)} named no one to answer (next_speaker); round robin: `);
      const target = others.find((a) => a.id === named);
      if (!target) {
        const why = named === lastId ? "themself" : `"${named.slice(0, 60)}", who is not another agent`;
        return roundRobin(`${name(lastId)} named ${why}; round robin: `);
      }
      return { agent_id: target.id, how: "addressed", by: lastId, reason: `${name(lastId)} named ${name(target.id)} (${target.id}) to answer` };
    }
    case "moderator": {
      const { allowed, barred } = moderatorChoices(input);
      if (allowed.length === 1) {
        const only = allowed[0]!;
        return { agent_id: only.id, how: "moderator", by: "manager", reason: `${name(only.id)} is the only one who ${barred}` };
      }
      return null;
    }
  }
}

/**
 * whom the moderator chooses among: all but the speaker of the last turn spoken and those whose
 * turns were skipped since (narrator remarks passed over); when that leaves nobody, all but the
 * agent of the last turn. `barred` completes "… is the only one who …".
 */
function moderatorChoices(input: TurnOrderInput): { allowed: ConversationSpec["agents"]; barred: string } {
  const turns = input.recent.filter((m) => m.metadata.source !== "narrator" && m.metadata.sequence_number < input.seq);
  const spoken = turns.findLast((m) => !m.skipped);
  const after = spoken?.metadata.sequence_number ?? 0;
  const skipped = [...new Set(turns.filter((m) => m.skipped && m.metadata.sequence_number > after).map((m) => m.metadata.agent_id))];
  const names = (ids: readonly string[]): string => ids.map((id) => nameOf(input, id)).join(", ");
  const allowed = input.spec.agents.filter((a) => a.id !== spoken?.metadata.agent_id && !skipped.includes(a.id));
  if (skipped.length === 0) return { allowed, barred: "did not speak last" };
  if (allowed.length > 0) {
    const barred = spoken ? `neither spoke last (${names([spoken.metadata.agent_id])}) nor had a turn skipped since (${names(skipped)})` : `did not have a turn skipped (${names(skipped)})`;
    return { allowed, barred };
  }
  const lastId = turns.at(-1)!.metadata.agent_id;
  return { allowed: input.spec.agents.filter((a) => a.id !== lastId), barred: `did not have the last turn, which was skipped (${names([lastId])})` };
}

/** the moderator's choice among those who may speak (moderatorChoices; round robin, saying why, when it cannot choose) */
async function moderated(input: TurnOrderInput, moderate: Moderate | undefined): Promise<Choice> {
  const lastId = input.recent.findLast((m) => m.metadata.source !== "narrator" && m.metadata.sequence_number < input.seq)?.metadata.agent_id ?? "";
  const others = moderatorChoices(input).allowed;
  if (!moderate) return roundRobinAfter(input, lastId, "no moderator model at hand; round robin: ");
  const candidates = others.map((a) => ({ agent_id: a.id, name: nameOf(input, a.id), role: a.role }));
  try {
    const m = await moderate(candidates);
    const target = others.find((a) => a.id === m.next_speaker);
    if (!target) return roundRobinAfter(input, lastId, `the moderator named "${m.next_speaker.slice(0, 60)}", who may not speak now; round robin: `);
    return { agent_id: target.id, how: "moderator", by: m.by, reason: m.reason.split("\n")[0]!.slice(0, 400) };
  } catch (err) {
    const why = (err instanceof Error ? err.message : String(err)).split("\n")[0]!.slice(0, 200);
    return roundRobinAfter(input, lastId, `the moderator could not choose (${why}); round robin: `);
  }
}

function nameOf(input: TurnOrderInput, id: string): string {
  return personaOf(input.spec, input.personas, id)?.name ?? id;
}

/** the agent after `lastId` in the agents' order; `why` opens the reason */
function roundRobinAfter(input: TurnOrderInput, lastId: string, why: string): Choice {
  const agents = input.spec.agents;
  const i = agents.findIndex((a) => a.id === lastId);
  const next = agents[(i + 1) % agents.length]!;
  return { agent_id: next.id, how: "round_robin", by: "manager", reason: `${why}after ${nameOf(input, lastId)}, in the agents' order` };
}
