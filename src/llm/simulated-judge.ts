/**
 * What the simulated provider writes when asked to judge a conversation (analysis/judge.ts):
 * a verdict valid against the judge's schema, derived from the figures the analysis passes in
 * and a seeded PRNG, and labelled as simulated in its summary and every reason.
 */
import type { JudgeVerdict } from "../analysis/schema.js";
import { Rng } from "./rng.js";
import type { GenerationTask } from "./types.js";

type JudgeTask = Extract<GenerationTask, { kind: "judge" }>;

const clampScore = (n: number): number => Math.max(1, Math.min(10, Math.round(n)));

export function simulateJudge(task: JudgeTask, seed: number): JudgeVerdict {
  const f = task.figures;
  const rng = new Rng(`${seed}|judge|${task.story?.title ?? ""}|${task.turns}`);
  const looping = f.flags.includes("looping") || f.stop_reason === "loop";
  const rep = f.repetition_mean ?? 0;
  const echo = f.echo_mean ?? 0;
  const [a, b] = task.personas;
  const who = a && b ? `${a.name} (${a.role}) and ${b.name} (${b.role})` : "two agents";
  const coherence = clampScore(8 + rng.int(2) - rep * 6 - (looping ? 3 : 0));
  const engagement = clampScore(7 + rng.int(3) - echo * 4 - (f.flags.includes("short_replies") ? 3 : 0) - (looping ? 2 : 0));
  const adherence = clampScore(7 + rng.int(3) - (looping ? 2 : 0));
  const trouble = f.flags.length ? ` Flags raised: ${f.flags.join(", ")}.` : " No flags were raised.";
  return {
    summary:
      `[simulated judge] A ${task.turns}-turn conversation between ${who}` +
      `${task.story ? ` in "${task.story.title}"` : ""}.${trouble} This verdict was written by the offline simulated provider from the analysis figures, not by a language model.`,
    persona_adherence: {
      score: adherence,
      reason: `[simulated] ${looping ? "the speakers stop acting as their personas once they repeat themselves" : "both speakers keep to their roles and goals"}`,
    },
    coherence: {
      score: coherence,
      reason: `[simulated] mean repetition ${(rep * 100).toFixed(0)}%${looping ? ", and the conversation loops" : ""}`,
    },
    engagement: {
      score: engagement,
      reason: `[simulated] mean echo of the partner ${(echo * 100).toFixed(0)}%${f.flags.includes("short_replies") ? ", with stretches of short replies" : ""}`,
    },
  };
}
