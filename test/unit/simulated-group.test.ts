/**
 * The simulated provider in a conversation of four about a topic (`dialogue run --agents 4 --topic
 * "…"`): the story is told for four, the topic is said inside sentences, and each question goes to
 * one person by name, who is the one to answer it (under "addressed", the next_speaker named).
 */
import { describe, expect, it } from "vitest";
import { topicGoal } from "../../src/config/cast-flags.js";
import { simulatePersonas, simulateStory, simulateText } from "../../src/llm/simulated-text.js";
import type { GenerationTask } from "../../src/llm/types.js";
import { ConversationContentSchema, type HistoryEntry, type Persona } from "../../src/protocol/schemas.js";
import type { Scenario } from "../../src/protocol/record.js";
import { fillCount, isTopic, topicPhrase } from "../../src/protocol/scene-words.js";
import { answeredForOthers, greetedUnheard, repeatedSentences, type Said } from "../helpers/dialogue-checks.js";

const TOPIC = "whether the town should build a tram line";
const topical: Scenario = { title: TOPIC, premise: TOPIC };
const ROLES = ["curious traveller", "local resident", "cafe owner", "exchange student"];
const roles = ROLES.map((role, i) => ({ id: `a${i}`, role, goal: topicGoal(TOPIC, role) }));

/** `turns` turns of four, round robin or as each speaker hands the word on (addressed) */
function conversation(seed: number, turns: number, order: "round_robin" | "addressed", scenario = topical) {
  const story = simulateStory(scenario, roles, seed);
  const personas = simulatePersonas(scenario, story, roles, seed).personas as Array<Persona & { agent_id: string }>;
  const history: HistoryEntry[] = [];
  const run: Array<Said & { next?: string | undefined }> = [];
  let at = 0;
  for (let n = 1; n <= turns; n++) {
    const me = personas[at]!;
    const others = personas.filter((p) => p !== me).map((p) => ({ agent_id: p.agent_id, kind: "model" as const, persona: p }));
    const task: GenerationTask = { kind: "turn", conversation_id: "c", sequence_number: n, story, agent_id: me.agent_id, persona: me, others, history: [...history], turn: { number: n, max: turns }, turn_order: order };
    const content = ConversationContentSchema.parse(JSON.parse(simulateText(task, seed)));
    history.push({ agent_id: me.agent_id, speaker: me.name, text: content.message });
    run.push({ speaker: me.name, text: content.message, next: content.next_speaker });
    at = order === "addressed" ? personas.findIndex((p) => p.agent_id === content.next_speaker) : (at + 1) % personas.length;
    expect(at, `turn ${n} names a next speaker`).toBeGreaterThanOrEqual(0);
  }
  return { story, personas, run };
}

describe("scene words", () => {
  it("{count} and {Count} are the number of people in words; a topic reads inside a sentence", () => {
    expect(fillCount("{Count} strangers share a table; the {count} of them talk.", 4)).toBe("Four strangers share a table; the four of them talk.");
    expect(fillCount("{Count} strangers", 2)).toBe("Two strangers");
    expect(topicPhrase("Whether the town should build a tram line")).toBe(TOPIC);
    expect(topicPhrase("Brexit and the fishing fleet")).toBe("Brexit and the fishing fleet");
    expect(isTopic(TOPIC)).toBe(true);
    expect(isTopic("A landlord and a tenant argue about a broken boiler.")).toBe(false);
  });
});

describe("a simulated story of four about a topic", () => {
  it("meets in a place (not the topic pasted as the setting), says the topic inside a sentence, and speaks of four, not two", () => {
    for (let seed = 1; seed <= 30; seed++) {
      const s = simulateStory(topical, roles, seed);
      expect(s.setting).not.toMatch(/tram|whether/i);
      expect(s.setting).toMatch(/^A [a-z]/);
      expect(s.initial_situation.startsWith(`Four people meet to talk about ${TOPIC}.`)).toBe(true);
      expect(`${s.setting} ${s.initial_situation}`).not.toMatch(/\b(both|neither|either)\b|of them both/i);
    }
    // a capitalised topic is said in lower case inside the sentence
    expect(simulateStory({ title: "t", premise: "Whether the town should build a tram line" }, roles, 3).initial_situation).toContain(`talk about ${TOPIC}.`);
  });

  it("a premise of the default scene with no setting counts four, and its ambience is not of two", () => {
    const premise = "{Count} strangers share the last free table in a busy cafe on a rainy afternoon and start talking.";
    for (let seed = 1; seed <= 30; seed++) {
      const s = simulateStory({ title: "A chance meeting", premise }, roles, seed);
      expect(s.initial_situation).toMatch(/^Four strangers share/);
      expect(s.setting).not.toMatch(/\b(neither|both)\b/i);
    }
  });
});

describe("a simulated conversation of four about a topic", () => {
  for (const order of ["round_robin", "addressed"] as const) {
    it(`${order}: each question names one person, only that person answers it, nobody is greeted or thanked before they spoke`, () => {
      for (const seed of [1, 2, 3, 7, 11]) {
        const { personas, run } = conversation(seed, 16, order);
        const people = personas.map((p) => p.name);
        const first = (name: string) => name.split(" ")[0]!;
        expect(answeredForOthers(run, people), `seed ${seed}`).toEqual([]);
        expect(greetedUnheard(run), `seed ${seed}`).toEqual([]);
        expect(repeatedSentences(run)).toEqual([]);
        const text = run.map((m) => m.text).join("\n");
        // the topic inside sentences, in lower case; the goals are about it
        expect(text).not.toMatch(/\bWhether the town/);
        expect(text).toContain(TOPIC);
        expect(text).not.toMatch(/worth seeing in town|favourite places/);
        for (const [i, m] of run.entries()) {
          const question = m.text.split(/(?<=[.!?])\s+/).at(-1)!;
          if (!question.endsWith("?")) continue;
          const named = people.filter((p) => p !== m.speaker && new RegExp(`\\b${first(p)}\\b`).test(question));
          expect(named, `turn ${i + 1}: "${question}" names whom it asks`).toHaveLength(1);
          // the one asked is the one who speaks next: round robin's next, or the next_speaker it names
          if (order === "addressed") expect(personas.find((p) => p.agent_id === m.next)?.name, `turn ${i + 1}`).toBe(named[0]);
          if (order === "round_robin") expect(run[i + 1]?.speaker ?? named[0], `turn ${i + 1}`).toBe(named[0]);
        }
      }
    });
  }

  it("the first speaker greets everyone, not one who has not spoken", () => {
    const { run, personas } = conversation(5, 4, "round_robin");
    expect(run[0]!.text).toMatch(/^(Hello everyone|Hi all|Good to meet you all|Thank you all|Hey everyone|Oh, hi all|Hello all|Everyone), /);
    expect(run[0]!.text.startsWith(`Hello ${personas[1]!.name.split(" ")[0]}`)).toBe(false);
  });

  it("is the same conversation for the same seed", () => {
    expect(conversation(9, 10, "addressed").run).toEqual(conversation(9, 10, "addressed").run);
  });
});

describe("a premise that is a sentence without its full stop", () => {
  it("is told as a sentence, not as a topic to talk about", async () => {
    const { readsAsTopic } = await import("../../src/protocol/scene-words.js");
    expect(readsAsTopic("Two old friends run into each other at a train station after ten years")).toBe(false);
    expect(readsAsTopic("whether the town should build a tram line")).toBe(true);
    expect(readsAsTopic("the night bus")).toBe(true);
    expect(readsAsTopic("A storm closes the airport.")).toBe(false);
  });
});
