import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it, expect } from "vitest";
import { SimulatedProvider, tokenize } from "../../src/llm/simulated.js";
import { simulatePersonas, simulateStory, simulateText } from "../../src/llm/simulated-text.js";
import { addresseeOf, simulateTurn } from "../../src/llm/simulated-turn.js";
import type { GenerateRequest, GenerationTask } from "../../src/llm/types.js";
import {
  ConversationContentSchema,
  personasSchemaFor,
  StoryContentSchema,
  type HistoryEntry,
  type ModelOptions,
  type Persona,
  type StoryContent,
} from "../../src/protocol/schemas.js";
import type { Scenario } from "../../src/protocol/record.js";
import { ROOT } from "../helpers/cli.js";
import { answersToQuestions, daypartOf, repeatedSentences, strangers, type Said } from "../helpers/dialogue-checks.js";

const scenario: Scenario = {
  title: "The loan meeting",
  premise: "A small bakery owner meets a bank advisor to ask for a loan to buy a second oven.",
};
const roles = [
  { id: "owner", role: "Bakery owner", goal: "Get a loan approved for a second oven" },
  { id: "advisor", role: "Bank advisor", goal: "Understand the risks before agreeing to anything" },
];
const story: StoryContent = simulateStory(scenario, roles, 7);
const [owner, advisor] = simulatePersonas(scenario, story, roles, 7).personas as [Persona, Persona];

function turnTask(n: number, history: HistoryEntry[] = [], max = 60): Extract<GenerationTask, { kind: "turn" }> {
  const [persona, partner] = n % 2 === 1 ? [owner, advisor] : [advisor, owner];
  return { kind: "turn", conversation_id: "conv-1", sequence_number: n, story, agent_id: persona === owner ? "owner" : "advisor", persona, others: [{ agent_id: persona === owner ? "advisor" : "owner", kind: "model", persona: partner }], history, turn: { number: n, max }, turn_order: "round_robin" };
}

function request(task: GenerationTask, options: ModelOptions = {}, extra: Partial<GenerateRequest> = {}): GenerateRequest {
  return { model: "sim", options, task, messages: [{ role: "user", content: "x".repeat(10) }], ...extra };
}

const fast = { tokens_per_second: 0, time_to_first_token_ms: 0 };

describe("simulated text", () => {
  it("a story of three or more does not speak of two (\"both\", \"neither\", \"the other\")", () => {
    const five = ["chair", "officer", "shopkeeper", "commuter", "resident"].map((id) => ({ id, role: id }));
    for (let seed = 1; seed <= 40; seed++) {
      expect(simulateStory(scenario, five, seed).initial_situation).not.toMatch(/\b(Both|Neither)\b|from the other\b|between them/);
    }
  });

  it("writes a story that parses, with one named character per role", () => {
    const parsed = StoryContentSchema.parse(JSON.parse(simulateText({ kind: "story", scenario, roles }, 7)));
    expect(parsed.title).toBe("The loan meeting");
    expect(parsed.characters.map((c) => c.role)).toEqual(["Bakery owner", "Bank advisor"]);
    for (const c of parsed.characters) expect(c.name).toMatch(/^\p{Lu}\p{L}+ \p{Lu}\p{L}+$/u);
    expect(parsed.initial_situation).toContain("bakery owner");
    expect(parsed.setting).toContain("bakery");
  });

  it("keeps a given setting and stays within the schema limits for long inputs", () => {
    const long = { title: "T".repeat(500), premise: "word ".repeat(400), setting: "A quiet harbour office." };
    const parsed = StoryContentSchema.parse(JSON.parse(simulateText({ kind: "story", scenario: long, roles }, 1)));
    expect(parsed.setting).toBe("A quiet harbour office.");
  });

  it("writes personas that parse, named after the story's characters, using the role goal", () => {
    const task: GenerationTask = { kind: "personas", scenario, story, roles };
    const { personas } = personasSchemaFor(roles.map((r) => r.id)).parse(JSON.parse(simulateText(task, 7)));
    expect(personas.map((p) => p.name)).toEqual(story.characters.map((c) => c.name));
    expect(personas[0]?.goals[0]).toBe("Get a loan approved for a second oven");
    for (const p of personas) {
      expect(p.traits.length).toBeGreaterThanOrEqual(2);
      expect(p.traits.length).toBeLessThanOrEqual(4);
      expect(p.goals.length).toBeLessThanOrEqual(3);
    }
  });

  it("is deterministic per seed", () => {
    const task: GenerationTask = { kind: "story", scenario, roles };
    expect(simulateText(task, 7)).toBe(simulateText(task, 7));
    expect(simulateText(task, 8)).not.toBe(simulateText(task, 7));
    expect(simulateText(turnTask(3), 7)).toBe(simulateText(turnTask(3), 7));
    expect(simulateText(turnTask(3), 8)).not.toBe(simulateText(turnTask(3), 7));
  });

  it("opens the first turn with a greeting to the partner and a purpose", () => {
    const content = ConversationContentSchema.parse(JSON.parse(simulateText(turnTask(1), 7)));
    const partnerFirst = advisor.name.split(" ")[0] ?? "";
    expect(content.message).toContain(partnerFirst);
    expect(content.message.toLowerCase()).toContain("loan approved for a second oven");
    expect(content.end_conversation).toBe(false);
  });

  it("answers the question it was asked, and takes up a point the partner made", () => {
    const said = (text: string): HistoryEntry[] => [{ agent_id: "owner", speaker: owner.name, text }];
    const asked = simulateTurn(turnTask(2, said("I'd like to talk about the oven. What worries you most about it?")), 7);
    expect(asked.message).toMatch(/(What worries me most is|If anything worries me, it's) /);
    const point = simulateTurn(turnTask(4, [...said("Hello."), { agent_id: "advisor", speaker: advisor.name, text: "Hi." }, ...said("I'd start with the repayment plan.")]), 7);
    expect(point.message).toMatch(/starting with the repayment plan/i);
    expect(point.references).toEqual(["the repayment plan"]);
  });

  it("does not loop over a 60-turn conversation", () => {
    const history: HistoryEntry[] = [];
    const bySpeaker = new Map<string, string[]>();
    let duplicates = 0;
    for (let n = 1; n <= 60; n++) {
      const task = turnTask(n, history.slice(-40));
      const content = ConversationContentSchema.parse(JSON.parse(simulateText(task, 7)));
      const earlier = bySpeaker.get(task.persona.name) ?? [];
      if (earlier.includes(content.message)) duplicates++;
      bySpeaker.set(task.persona.name, [...earlier, content.message]);
      history.push({ agent_id: task.persona.name, speaker: task.persona.name, text: content.message });
      const sentences = content.message.split(/(?<=[.!?])\s+/);
      expect(sentences.length).toBeGreaterThanOrEqual(1);
      expect(sentences.length).toBeLessThanOrEqual(4);
    }
    expect(duplicates).toBeLessThan(6);
    // pairwise word overlap between one speaker's messages stays modest
    const words = (s: string) => new Set(s.toLowerCase().match(/[\p{L}']+/gu) ?? []);
    for (const messages of bySpeaker.values()) {
      let total = 0;
      let pairs = 0;
      for (let i = 0; i < messages.length; i++) {
        for (let j = 0; j < i; j++) {
          const a = words(messages[i] ?? "");
          const b = words(messages[j] ?? "");
          const shared = [...a].filter((w) => b.has(w)).length;
          total += shared / (a.size + b.size - shared);
          pairs++;
        }
      }
      expect(total / pairs).toBeLessThan(0.25);
    }
  });

  it("winds down on the last turn", () => {
    const history: HistoryEntry[] = [
      { agent_id: "o", speaker: owner.name, text: "I think the oven will pay for itself." },
      { agent_id: "a", speaker: advisor.name, text: "Let me look at the numbers again." },
      { agent_id: "o", speaker: owner.name, text: "Fine, take your time with the numbers." },
    ];
    const last = simulateTurn({ ...turnTask(4, history, 4) }, 7);
    expect(last.message).toMatch(/thank|stop|again|for now|day|follow up|talking/i);
  });
});

/** `turns` simulated turns of a scenario in config/, the way the manager and the workers run them */
function conversation(file: string, seed: number, turns: number, conversationId = "c-1") {
  const base = JSON.parse(readFileSync(path.join(ROOT, "config", "default.json"), "utf8")) as { scenario: Scenario; agents: Array<{ id: string; role: string; goal?: string }> };
  const cfg = { ...base, ...(JSON.parse(readFileSync(path.join(ROOT, "config", file), "utf8")) as Partial<typeof base>) };
  const roles = cfg.agents.map((a) => ({ id: a.id, role: a.role, goal: a.goal }));
  const s = simulateStory(cfg.scenario, roles, seed);
  const [a, b] = simulatePersonas(cfg.scenario, s, roles, seed).personas as [Persona, Persona];
  const history: HistoryEntry[] = [];
  const run: Said[] = [];
  for (let n = 1; n <= turns; n++) {
    const [persona, partner] = n % 2 === 1 ? [a, b] : [b, a];
    const task: GenerationTask = { kind: "turn", conversation_id: conversationId, sequence_number: n, story: s, agent_id: persona.name, persona, others: [{ agent_id: partner.name, kind: "model", persona: partner }], history: history.slice(-40), turn: { number: n, max: turns }, turn_order: "round_robin" };
    const content = ConversationContentSchema.parse(JSON.parse(simulateText(task, seed)));
    history.push({ agent_id: persona.name, speaker: persona.name, text: content.message });
    run.push({ speaker: persona.name, text: content.message });
  }
  return { story: s, personas: [a, b], run };
}

describe("a simulated conversation of 20 turns reads as a conversation about the story", () => {
  for (const file of ["default.json", "mortgage-refinance.json", "debate.json", "job-interview.json"]) {
    it(`${file}: each reply to a question answers it; no sentence repeats; names and setting are the story's`, () => {
      const { story: s, personas, run } = conversation(file, 7, 20);
      const names = personas.flatMap((p) => p.name.split(" "));
      const qa = answersToQuestions(run, names);
      expect(qa.length).toBeGreaterThanOrEqual(5); // they do ask each other things
      expect(qa.filter((x) => !x.answered)).toEqual([]);
      expect(repeatedSentences(run)).toEqual([]);
      expect(strangers(run, s)).toEqual([]);
      // they speak to each other by name, and the story's time of day sees them off
      expect(run[0]!.text).toContain(personas[1]!.name.split(" ")[0]);
      const daypart = daypartOf(s);
      expect(daypart).not.toBeNull();
      expect(run.at(-1)!.text).toContain(daypart!);
      // the goals the scenario gave them come up
      for (const p of personas) expect(run.map((m) => m.text).join(" ")).toContain(p.goals[0]!.split(" ").slice(0, 4).join(" "));
      // and the last two turns sum up and say goodbye, without a question left open
      expect(run.at(-2)!.text).toMatch(/sum up/);
      expect(run.at(-1)!.text).not.toContain("?");
    });
  }

  it("is the same conversation for the same seed, whatever the conversation id; another seed gives another", () => {
    const one = conversation("debate.json", 11, 12, "20261121-101010-aaaaa").run;
    const two = conversation("debate.json", 11, 12, "20261121-202020-bbbbb").run;
    expect(two).toEqual(one);
    expect(conversation("debate.json", 12, 12).run).not.toEqual(one);
  });

  it("speaks to the most recent other speaker in the history, and to the partner when there is none", () => {
    const alone = turnTask(1);
    expect(addresseeOf(alone).name).toBe(advisor.name);
    const answered = turnTask(3, [{ agent_id: "advisor", speaker: advisor.name, text: "What matters most to you here?" }]);
    expect(addresseeOf(answered).name).toBe(advisor.name);
    expect(simulateTurn(answered, 7).message).toMatch(/matters most to me/);
  });
});

describe("tokenize", () => {
  it("splits into word pieces that join back to the text", () => {
    const text = '{"message":"Extraordinarily long words, split!","n":1}';
    const pieces = tokenize(text);
    expect(pieces.join("")).toBe(text);
    expect(pieces).toContain(" long");
    for (const p of pieces) expect(p.trim().length).toBeLessThanOrEqual(6);
  });
});

describe("SimulatedProvider", () => {
  it("streams tokens whose concatenation is the returned, schema-valid text", async () => {
    const pieces: string[] = [];
    const result = await new SimulatedProvider().generate(
      request(turnTask(1), fast, { onToken: (t, n) => pieces.push(n === 1 ? t : "<bad count>") }),
    );
    expect(pieces.join("")).toBe(result.text);
    expect(result.tokens_generated).toBe(pieces.length);
    expect(result.done_reason).toBe("stop");
    expect(result.prompt_tokens).toBe(3);
    expect(result.load_time_ms).toBe(0);
    ConversationContentSchema.parse(JSON.parse(result.text));
  });

  it("uses the constructor seed unless the request names one", async () => {
    const a = await new SimulatedProvider({ seed: 1, ...fast }).generate(request(turnTask(5)));
    const b = await new SimulatedProvider({ seed: 2, ...fast }).generate(request(turnTask(5)));
    const c = await new SimulatedProvider({ seed: 2, ...fast }).generate(request(turnTask(5), { seed: 1 }));
    expect(a.text).not.toBe(b.text);
    expect(c.text).toBe(a.text);
  });

  it("paces tokens: time to first token, then the configured rate", async () => {
    const started = performance.now();
    const result = await new SimulatedProvider().generate(
      request(turnTask(1), { tokens_per_second: 50, time_to_first_token_ms: 100, num_predict: 30 }),
    );
    const wall = performance.now() - started;
    expect(result.tokens_generated).toBe(30);
    expect(result.done_reason).toBe("length");
    const expected = 100 + 29 * 20;
    expect(wall).toBeGreaterThan(expected * 0.5);
    expect(wall).toBeLessThan(expected * 3);
    expect(result.time_to_first_token_ms).toBeGreaterThan(50);
    expect(result.time_to_first_token_ms).toBeLessThan(300);
    expect(result.tokens_per_second).toBeGreaterThan(25);
    expect(result.tokens_per_second).toBeLessThan(100);
  });

  it("batches high rates into few timer ticks without losing tokens", async () => {
    let calls = 0;
    const result = await new SimulatedProvider().generate(
      request(turnTask(1), { tokens_per_second: 2000, time_to_first_token_ms: 0 }, { onToken: () => calls++ }),
    );
    expect(calls).toBe(result.tokens_generated);
    expect(result.tokens_generated).toBe(tokenize(result.text).length);
  });

  it("stops on abort and returns a prefix of the full text, marked cut", async () => {
    const full = await new SimulatedProvider(fast).generate(request(turnTask(1)));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const started = performance.now();
    const cut = await new SimulatedProvider().generate(
      request(turnTask(1), { tokens_per_second: 50, time_to_first_token_ms: 0 }, { signal: controller.signal }),
    );
    expect(performance.now() - started).toBeLessThan(400);
    expect(cut.done_reason).toBe("cut");
    expect(cut.tokens_generated).toBeGreaterThan(0);
    expect(cut.tokens_generated).toBeLessThan(full.tokens_generated);
    expect(full.text.startsWith(cut.text)).toBe(true);
  });

  it("returns at once, cut and empty, when already aborted", async () => {
    const result = await new SimulatedProvider().generate(request(turnTask(1), {}, { signal: AbortSignal.abort() }));
    expect(result).toMatchObject({ text: "", tokens_generated: 0, done_reason: "cut", time_to_first_token_ms: null });
  });

  it("raises end_conversation from end_after_turns on", async () => {
    const provider = new SimulatedProvider(fast);
    const before = await provider.generate(request(turnTask(3), { end_after_turns: 4 }));
    const at = await provider.generate(request(turnTask(4), { end_after_turns: 4 }));
    expect(ConversationContentSchema.parse(JSON.parse(before.text)).end_conversation).toBe(false);
    expect(ConversationContentSchema.parse(JSON.parse(at.text)).end_conversation).toBe(true);
  });
});

describe("simulated personas' traits", () => {
  it("never contradict each other (patient and impatient), and stay at least two", async () => {
    const { withoutClashes } = await import("../../src/llm/simulated-text.js");
    expect(withoutClashes(["patient", "warm", "impatient"])).toEqual(["patient", "warm"]);
    expect(withoutClashes(["impatient", "patient"])).toEqual(["impatient", "curious"]);
    expect(withoutClashes(["direct", "witty"])).toEqual(["direct", "witty"]);
    // over many seeds, as `dialogue run` draws them
    for (let seed = 0; seed < 400; seed++) {
      for (const p of simulatePersonas(scenario, story, roles, seed).personas) {
        expect(p.traits.includes("patient") && p.traits.includes("impatient"), `seed ${seed}: ${p.traits.join(", ")}`).toBe(false);
        expect(p.traits.length).toBeGreaterThanOrEqual(2);
      }
    }
  });
});
