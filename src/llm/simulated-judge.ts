/**
 * What the simulated provider writes when asked to judge a conversation (analysis/judge.ts):
 * a verdict valid against the judge's schema, derived from the figures the analysis passes in
 * and a seeded PRNG, and labelled as simulated in its summary and every reason. It names every
 * speaker (2 to 8), says which a person played, and marks engagement down when a few speakers
 * did most of the talking.
 */
import type { JudgeVerdict } from "../analysis/schema.js";
import type { Persona } from "../protocol/schemas.js";
import { Rng } from "./rng.js";
import type { GenerationTask } from "./types.js";

type JudgeTask = Extract<GenerationTask, { kind: "judge" }>;

const clampScore = (n: number): number => Math.max(1, Math.min(10, Math.round(n)));

const NUMBERS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight"];
const count = (n: number): string => NUMBERS[n] ?? String(n);

/** "Ann (buyer), Ben (lead) and Cy (a person: clerk)" */
function names(personas: readonly Persona[], people: readonly string[]): string {
  const each = personas.map((p) => `${p.name} (${people.includes(p.name) ? `a person: ${p.role}` : p.role})`);
  return each.length < 2 ? (each[0] ?? "no one") : `${each.slice(0, -1).join(", ")} and ${each.at(-1)}`;
}

export function simulateJudge(task: JudgeTask, seed: number): JudgeVerdict {
  const f = task.figures;
  const rng = new Rng(`${seed}|judge|${task.story?.title ?? ""}|${task.turns}`);
  const looping = f.flags.includes("looping") || f.stop_reason === "loop";
  const rep = f.repetition_mean ?? 0;
  const echo = f.echo_mean ?? 0;
  const n = task.personas.length;
  const who = n >= 2 ? names(task.personas, task.people) : "the agents";
  const lopsided = f.turn_balance !== null && f.turn_balance < 0.5;
  const models = n - task.personas.filter((p) => task.people.includes(p.name)).length;
  const coherence = clampScore(8 + rng.int(2) - rep * 6 - (looping ? 3 : 0));
  const engagement = clampScore(7 + rng.int(3) - echo * 4 - (f.flags.includes("short_replies") ? 3 : 0) - (looping ? 2 : 0) - (lopsided ? 2 : 0));
  const adherence = clampScore(7 + rng.int(3) - (looping ? 2 : 0));
  const trouble = f.flags.length ? ` Flags raised: ${f.flags.join(", ")}.` : " No flags were raised.";
  const keep = n === 2 && models === 2 ? "both speakers keep" : models === 1 ? "the model's speaker keeps" : `the ${count(models)} model speakers keep`;
  return {
    summary:
      `[simulated judge] A ${task.turns}-turn conversation between ${who}` +
      `${task.story ? ` in "${task.story.title}"` : ""}.${trouble} This verdict was written by the offline simulated provider from the analysis figures, not by a language model.`,
    persona_adherence: {
      score: adherence,
      reason: `[simulated] ${looping ? "the speakers stop acting as their personas once they repeat themselves" : `${keep} to their roles and goals`}`,
    },
    coherence: {
      score: coherence,
      reason: `[simulated] mean repetition ${(rep * 100).toFixed(0)}%${looping ? ", and the conversation loops" : ""}`,
    },
    engagement: {
      score: engagement,
      reason:
        `[simulated] mean echo of the previous speaker ${(echo * 100).toFixed(0)}%${f.flags.includes("short_replies") ? ", with stretches of short replies" : ""}` +
        `${lopsided ? `, and a few of the ${count(n)} speakers did most of the talking (turn balance ${(f.turn_balance ?? 0).toFixed(2)})` : ""}`,
    },
  };
}
