/**
 * What the simulated provider writes, from the task rather than the prompt: a story, a persona
 * pair, one turn of dialogue (simulated-turn.ts) or a judge's verdict, each valid against its
 * schema. Pure and deterministic: the same seed and task give the same text. The phrase banks
 * are in simulated-phrases.ts (stories, personas) and simulated-lines.ts (turns).
 */
import type { ModelOptions, Persona, Personas, StoryContent } from "../protocol/schemas.js";
import type { Scenario } from "../protocol/record.js";
import type { GenerationTask } from "./types.js";
import { Rng } from "./rng.js";
import { simulateJudge } from "./simulated-judge.js";
import { simulateCast, simulateNote } from "./simulated-notes.js";
import { AMBIENCE, EXTRA_GOALS, FIRST_NAMES, GROUP_AMBIENCE, GROUP_HOOKS, HOOKS, INTENTS, LAST_NAMES, PLACES, STYLES, TIMES, TRAITS } from "./simulated-phrases.js";
import { countWord, fillCount, readsAsTopic, topicPhrase } from "../protocol/scene-words.js";
import { simulateTurn } from "./simulated-turn.js";
import { lastQuestion } from "./simulated-words.js";

export type TaskRole = { id: string; role: string; goal?: string | undefined };

/** traits that say the opposite of each other: of a pair drawn together, the one drawn first is kept */
const CLASHES: ReadonlyArray<readonly [string, string]> = [["patient", "impatient"]];

const clash = (x: string, y: string): boolean => CLASHES.some(([a, b]) => (x === a && y === b) || (x === b && y === a));

/**
 * `traits` without the later of two that contradict each other ("patient, impatient"), and — were
 * one of two left — the first trait of the bank that fits with it: at least two, the draw (and the
 * seed's later draws) unchanged otherwise
 */
export function withoutClashes(traits: readonly string[]): string[] {
  const kept = traits.filter((t, i) => !traits.slice(0, i).some((u) => clash(t, u)));
  if (kept.length < 2) kept.push(...TRAITS.filter((t) => !kept.includes(t) && !kept.some((k) => clash(t, k))).slice(0, 2 - kept.length));
  return kept;
}

/** The JSON text a model would return for `task`. */
export function simulateText(task: GenerationTask, seed: number, opts: Pick<ModelOptions, "end_after_turns" | "repeat_after_turns" | "address"> = {}): string {
  switch (task.kind) {
    case "story":
      return JSON.stringify(simulateStory(task.scenario, task.roles, seed));
    case "personas":
      return JSON.stringify(simulatePersonas(task.scenario, task.story, task.roles, seed));
    case "turn":
      return JSON.stringify(simulateTurn(task, seed, opts));
    case "judge":
      return JSON.stringify(simulateJudge(task, seed));
    case "moderator":
      return JSON.stringify(simulateModerator(task, seed));
    case "window_note":
      return JSON.stringify(simulateNote(task));
    case "from_transcript":
      return JSON.stringify(simulateCast(task));
  }
}

/**
 * The simulated moderator, choosing among the candidates it is given (turn-order.ts leaves out
 * whoever may not speak next) and keeping the conversation balanced: one the last speaker
 * addressed by first name (the one its closing question names, before one it only greeted or
 * answered; their own name, as in "I'm Nadia Castillo", does not count), unless they have
 * spoken more than one turn more than the quietest candidate in the transcript; else
 * whoever has spoken least there, then whoever has waited longest since, ties broken by the seed.
 * One who missed their latest turn in the transcript (skipped or failed) is chosen only when every
 * candidate did. The reason says which, marked simulated.
 */
export function simulateModerator(task: Extract<GenerationTask, { kind: "moderator" }>, seed: number): { next_speaker: string; reason: string } {
  const rng = new Rng(`${seed}|moderator|${task.sequence_number}`);
  // whoever missed their latest turn here (did not answer, or their model failed) is asked again
  // only when nobody else may speak
  const absent = (id: string): boolean => task.transcript.findLast((h) => !h.narrator && h.agent_id === id)?.missed !== undefined;
  const present = task.candidates.filter((c) => !absent(c.agent_id));
  if (present.length > 0 && present.length < task.candidates.length) {
    const away = task.candidates.filter((c) => absent(c.agent_id));
    const chosen = simulateModerator({ ...task, candidates: present }, seed);
    return { ...chosen, reason: `${chosen.reason}; ${away.map((c) => c.name).join(", ")} missed their last turn` };
  }
  const spoken = task.transcript.filter((h) => !h.narrator && h.missed === undefined);
  const last = spoken.at(-1);
  const first = (name: string): string => name.split(/\s+/)[0] ?? name;
  const names = (text: string, name: string): boolean => new RegExp(`\\b${first(name).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`).test(text);
  const turns = (id: string): number => spoken.filter((h) => h.agent_id === id).length;
  const fewest = Math.min(...task.candidates.map((c) => turns(c.agent_id)));
  const namedIn = (text: string) => task.candidates.filter((c) => c.agent_id !== last?.agent_id && names(text, c.name) && turns(c.agent_id) <= fewest + 1);
  const question = last ? lastQuestion(last.text) : null;
  const asked = question ? namedIn(question) : [];
  const addressed = asked.length > 0 ? asked : last ? namedIn(last.text) : [];
  if (last && addressed.length > 0) {
    const pick = rng.pick(addressed);
    return { next_speaker: pick.agent_id, reason: `[simulated moderator] ${last.speaker} addressed ${pick.name} (${pick.role}) by name` };
  }
  const lastSpoke = (id: string): number => spoken.findLastIndex((h) => h.agent_id === id);
  const least = task.candidates.filter((c) => turns(c.agent_id) === fewest).map((c) => ({ c, at: lastSpoke(c.agent_id) }));
  const longest = Math.min(...least.map((w) => w.at));
  const pick = rng.pick(least.filter((w) => w.at === longest)).c;
  const reason =
    fewest === 0
      ? `[simulated moderator] ${pick.name} (${pick.role}) has not spoken yet`
      : `[simulated moderator] ${pick.name} (${pick.role}) has spoken least (${fewest} of the latest ${spoken.length} turns) and waited longest since`;
  return { next_speaker: pick.agent_id, reason };
}

// ---------------------------------------------------------------- story and personas

export function simulateStory(scenario: Scenario, roles: readonly TaskRole[], seed: number): StoryContent {
  const rng = new Rng(`${seed}|story|${scenario.title}|${scenario.premise}|${roles.map((r) => r.role).join("|")}`);
  const cast: TaskRole[] = roles.slice(0, 8);
  while (cast.length < 2) cast.push({ id: `extra-${cast.length}`, role: cast.length ? "bystander" : "participant" });
  const firsts = rng.sample(FIRST_NAMES, cast.length);
  const lasts = rng.sample(LAST_NAMES, cast.length);
  const characters = cast.map((r, i) => ({
    name: `${firsts[i] ?? "Alex"} ${lasts[i] ?? "Morgan"}`,
    role: clip(r.role.trim() || "participant", 120),
  }));
  const group = characters.length > 2;
  // a topic ("whether the town should build a tram line") is what they meet to talk about, said
  // inside a sentence, in a place of its own (drawn apart, so the rest of the story is drawn as before)
  const topic = readsAsTopic(scenario.premise) ? topicPhrase(fillCount(scenario.premise, cast.length)) : null;
  const premise = topic ? `${upperFirst(countWord(cast.length))} people meet to talk about ${topic}.` : asSentence(fillCount(scenario.premise, cast.length));
  const place = topic ? new Rng(`${seed}|place|${scenario.premise}`).pick(PLACES) : premise;
  const setting = scenario.setting?.trim() ? scenario.setting : `${place} ${rng.pick(TIMES)} ${rng.pick(group ? GROUP_AMBIENCE : AMBIENCE)}`;
  const intros = characters.map((c, i) => {
    const goal = cast[i]?.goal?.trim();
    const vp = goal ? goalPhrase(goal) : null;
    const intent = vp ? `wants to ${vp}` : goal ? `has one thing in mind: "${stripEnd(goal)}"` : rng.pick(INTENTS);
    return `${c.name}, ${theRole(c.role)}, ${intent}.`;
  });
  return {
    title: clip(scenario.title.trim() || "Untitled", 160),
    setting: clip(setting, 1200),
    characters,
    initial_situation: clip(`${premise} ${intros.join(" ")} ${rng.pick(group ? GROUP_HOOKS : HOOKS)}`, 1200),
  };
}

export function simulatePersonas(
  scenario: Scenario,
  story: StoryContent,
  roles: readonly TaskRole[],
  seed: number,
): Personas {
  const rng = new Rng(`${seed}|personas|${scenario.title}|${story.characters.map((c) => c.name).join("|")}`);
  const used = new Set<string>();
  const n = Math.max(2, roles.length);
  const personas = Array.from({ length: n }, (_, i): Persona & { agent_id: string } => {
    const r = roles[i] ?? { id: String(i), role: story.characters[i]?.role ?? "participant" };
    const j = (i + 1) % n;
    const other = roles[j]?.role ?? story.characters[j]?.role ?? "the other person";
    const ch =
      story.characters.find((c) => c.role === r.role && !used.has(c.name)) ??
      story.characters.find((c, j) => j === i && !used.has(c.name));
    const name = ch?.name ?? `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
    used.add(name);
    const goals = r.goal?.trim() ? [clip(r.goal.trim(), 240)] : [];
    const extra = rng.sample(EXTRA_GOALS, 1 + rng.int(3) - goals.length);
    goals.push(...extra.map((g) => clip(g.replace("{other}", theRole(other)), 240)));
    return {
      agent_id: r.id,
      name: clip(name, 80),
      role: clip(r.role.trim() || "participant", 120),
      traits: withoutClashes(rng.sample(TRAITS, 2 + rng.int(3))),
      goals,
      speaking_style: rng.pick(STYLES),
    };
  });
  return { personas };
}

// ---------------------------------------------------------------- text helpers

/** a goal as a verb phrase ("find common ground"), or null when it reads as a sentence */
function goalPhrase(goal: string): string | null {
  const g = stripEnd(goal).replace(/^to\s+/i, "");
  if (/^(i|i'm|i’m|my|we|we're|our)\b/i.test(g) || g.includes(". ")) return null;
  return lowerFirst(g);
}

const theRole = (role: string): string => (/^(the|a|an)\s/i.test(role) ? lowerFirst(role) : `the ${lowerFirst(role)}`);
const lowerFirst = (s: string): string => (/^\p{Lu}\p{Ll}/u.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s);
const upperFirst = (s: string): string => (s ? s[0]!.toUpperCase() + s.slice(1) : s);
const stripEnd = (s: string): string => s.trim().replace(/[.!;,\s]+$/, "");
const asSentence = (s: string): string => upperFirst(/[.!?]$/.test(s.trim()) ? s.trim() : `${s.trim()}.`);
const clip = (s: string, max: number): string => (s.length <= max ? s : s.slice(0, max - 1).trimEnd() + "…");
