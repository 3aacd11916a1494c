/**
 * The judge for any number of speakers: what the judge model is asked (every persona, who is a
 * person, the turn order, a transcript attributed by name with remarks and skipped turns marked)
 * and what the simulated provider answers from it (everyone named, labelled as simulated).
 */
import { describe, expect, it } from "vitest";
import { analyze } from "../../src/analysis/analyzer.js";
import { judgeSample, judgeTask } from "../../src/analysis/judge.js";
import { JudgeVerdictSchema } from "../../src/analysis/schema.js";
import { simulateJudge } from "../../src/llm/simulated-judge.js";
import type { GenerationTask } from "../../src/llm/types.js";
import { loadFixture } from "../helpers/fixtures.js";

type JudgeTask = Extract<GenerationTask, { kind: "judge" }>;

function judged(name: string) {
  const fx = loadFixture(name);
  const a = analyze(fx.record, fx.entries, { now: 0 });
  const { task, messages } = judgeTask(fx.record, fx.messages, a);
  return { fx, a, task: task as JudgeTask, system: messages[0]?.content ?? "", user: messages[1]?.content ?? "" };
}

describe("the judge's prompt", () => {
  it("four speakers: each persona, the person said as such, the turn order, remarks and skipped turns marked", () => {
    const { task, system, user } = judged("meeting");
    expect(system).toContain("a conversation between 4 speakers, each playing a persona");
    for (const p of ["Persona: Cleo Diaz, chair;", "Persona: Kai Lund, transport clerk;", "Persona: Dev Rao, bus driver;"]) expect(user).toContain(p);
    expect(user).toContain("Persona: Pat Ruiz, resident (played by a person, not a model);");
    expect(user).toContain("Turn order: each speaker may name who answers next.");
    expect(user).toContain("Transcript (10 turns and 1 narrator's remark):");
    const lines = user.split("\n");
    const at = lines.indexOf("Cleo Diaz: Welcome everyone to the meeting about the bus plan. Pat, what do you think?");
    expect(lines.slice(at, at + 6)).toEqual([
      "Cleo Diaz: Welcome everyone to the meeting about the bus plan. Pat, what do you think?",
      "Pat Ruiz (a person): I like the plan but the stops are too far apart.",
      "[Narrator's remark] The lights flicker and the projector goes dark.",
      "Dev Rao: The stops are too far apart for older riders, so we need more stops.",
      "Kai Lund: Fine.",
      "[Pat Ruiz's turn was skipped: no answer]",
    ]);
    expect(user).toContain("(judge the models; a person's lines are theirs)");
    expect(task.people).toEqual(["Pat Ruiz"]);
    expect(task.personas.map((p) => p.name)).toEqual(["Cleo Diaz", "Kai Lund", "Pat Ruiz", "Dev Rao"]);
    expect(task.turn_order).toBe("addressed");
  });

  it("a long run's sample says where messages were left out", () => {
    const { fx, a } = judged("meeting");
    const sample = judgeSample(fx.messages.slice(0, 2), fx.messages.slice(-2));
    const user = judgeTask(fx.record, sample, a).messages[1]?.content ?? "";
    expect(user).toContain("Pat Ruiz (a person): I like the plan but the stops are too far apart.\n[… 7 messages left out …]\nPat Ruiz (a person): Good, thank you.");
    expect(user).toContain("(10 turns and 1 narrator's remark, abridged)");
  });

  it("two speakers read as before", () => {
    const { system, user } = judged("healthy");
    expect(system).toContain("between 2 speakers");
    expect(user).toContain("Ann Lee: Good morning Ben. Can we talk about the budget?\nBen Ode: Sure, the budget looks great");
    expect(user).not.toContain("a person");
  });
});

describe("the simulated judge", () => {
  it("names every speaker and the person, speaks of the model speakers, and is labelled simulated", () => {
    const { task } = judged("meeting");
    const v = JudgeVerdictSchema.parse(simulateJudge(task, 1));
    expect(v.summary).toMatch(/^\[simulated judge\] A 10-turn conversation between Cleo Diaz \(chair\), Kai Lund \(transport clerk\), Pat Ruiz \(a person: resident\) and Dev Rao \(bus driver\)/);
    expect(v.persona_adherence.reason).toBe("[simulated] the three model speakers keep to their roles and goals");
    expect(v.engagement.reason).toMatch(/^\[simulated\] mean echo of the previous speaker 5%$/);
  });

  it("marks engagement down, saying why, when a few speakers did most of the talking", () => {
    const { task } = judged("panel"); // turn balance 0.45
    const v = simulateJudge(task, 1);
    expect(v.engagement.reason).toContain("a few of the four speakers did most of the talking (turn balance 0.45)");
    const even = simulateJudge({ ...task, figures: { ...task.figures, turn_balance: 0.9 } }, 1);
    expect(even.engagement.score - v.engagement.score).toBe(2);
  });

  it("two speakers: both named, 'both speakers'", () => {
    const v = simulateJudge(judged("healthy").task, 1);
    expect(v.summary).toContain("between Ann Lee (buyer) and Ben Ode (project lead)");
    expect(v.persona_adherence.reason).toBe("[simulated] both speakers keep to their roles and goals");
  });
});
