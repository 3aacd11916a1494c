/**
 * What the simulated provider writes, from the task rather than the prompt: a story, a persona
 * pair, one turn of dialogue (simulated-turn.ts) or a judge's verdict, each valid against its
 * schema. Pure and deterministic: the same seed and task give the same text. The phrase banks
 * are in simulated-phrases.ts (stories, personas) and simulated-lines.ts (turns).
 */
import type { Persona, PersonaPair, StoryContent } from "../protocol/schemas.js";
import type { Scenario } from "../protocol/record.js";
import type { GenerationTask } from "./types.js";
import { Rng } from "./rng.js";
import { simulateJudge } from "./simulated-judge.js";
import { AMBIENCE, EXTRA_GOALS, FIRST_NAMES, HOOKS, INTENTS, LAST_NAMES, STYLES, TIMES, TRAITS } from "./simulated-phrases.js";
import { simulateTurn } from "./simulated-turn.js";

export type TaskRole = { id: string; role: string; goal?: string | undefined };

/** The JSON text a model would return for `task`. */
export function simulateText(task: GenerationTask, seed: number, endAfterTurns?: number, repeatAfterTurns?: number): string {
  switch (task.kind) {
    case "story":
      return JSON.stringify(simulateStory(task.scenario, task.roles, seed));
    case "personas":
      return JSON.stringify(simulatePersonas(task.scenario, task.story, task.roles, seed));
    case "turn":
      return JSON.stringify(simulateTurn(task, seed, endAfterTurns, repeatAfterTurns));
    case "judge":
      return JSON.stringify(simulateJudge(task, seed));
  }
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
  const premise = asSentence(scenario.premise);
  const setting = scenario.setting?.trim() ? scenario.setting : `${premise} ${rng.pick(TIMES)} ${rng.pick(AMBIENCE)}`;
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
    initial_situation: clip(`${premise} ${intros.join(" ")} ${rng.pick(HOOKS)}`, 1200),
  };
}

export function simulatePersonas(
  scenario: Scenario,
  story: StoryContent,
  roles: readonly TaskRole[],
  seed: number,
): PersonaPair {
  const rng = new Rng(`${seed}|personas|${scenario.title}|${story.characters.map((c) => c.name).join("|")}`);
  const used = new Set<string>();
  const personas = [0, 1].map((i): Persona => {
    const r = roles[i] ?? { id: String(i), role: story.characters[i]?.role ?? "participant" };
    const other = roles[1 - i]?.role ?? story.characters[1 - i]?.role ?? "the other person";
    const ch =
      story.characters.find((c) => c.role === r.role && !used.has(c.name)) ??
      story.characters.find((c, j) => j === i && !used.has(c.name));
    const name = ch?.name ?? `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
    used.add(name);
    const goals = r.goal?.trim() ? [clip(r.goal.trim(), 240)] : [];
    const extra = rng.sample(EXTRA_GOALS, 1 + rng.int(3) - goals.length);
    goals.push(...extra.map((g) => clip(g.replace("{other}", theRole(other)), 240)));
    return {
      name: clip(name, 80),
      role: clip(r.role.trim() || "participant", 120),
      traits: rng.sample(TRAITS, 2 + rng.int(3)),
      goals,
      speaking_style: rng.pick(STYLES),
    };
  });
  return { personas: personas as [Persona, Persona] };
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
