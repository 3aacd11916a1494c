/**
 * The prompt of a turn for a conversation of any size: the story, the speaker's own persona, the
 * others by name and role, and the history attributed by speaker — the speaker's own turns as its
 * replies, everyone else's marked with who said them, a narrator's remark as such.
 */
import { describe, expect, it } from "vitest";
import type { Persona } from "../../src/protocol/schemas.js";
import { buildTurnMessages } from "../../src/worker/prompt.js";
import { maya, story, tomas, turnRequest } from "../helpers/turn-fixture.js";

const ines: Persona = { name: "Ines Duarte", role: "notary", traits: ["exact"], goals: ["get the papers right"], speaking_style: "Formal." };
const model = { provider: "simulated" as const, model: "s", options: {} };

const three = (over: Parameters<typeof turnRequest>[1] = {}) =>
  turnRequest(model, {
    persona: maya,
    agent: { id: "customer", role: "homeowner", kind: "model", pool: "customer", model, fallback: null },
    others: [
      { agent_id: "advisor", kind: "model", persona: tomas },
      { agent_id: "notary", kind: "human", persona: ines },
    ],
    history: [
      { agent_id: "customer", speaker: maya.name, text: "I want a lower payment.", seq: 1 },
      { agent_id: "advisor", speaker: tomas.name, text: "A fixed rate would help.", seq: 2 },
      { agent_id: "notary", speaker: ines.name, text: "The deed needs a new signature.", seq: 3 },
      { agent_id: "narrator", speaker: "Narrator", text: "The lights go out.", seq: 4, narrator: true },
    ],
    ...over,
  });

describe("a prompt for three speakers", () => {
  it("names every other speaker with their role, and marks a person", () => {
    const [system] = buildTurnMessages(three());
    expect(system!.role).toBe("system");
    expect(system!.content).toContain(`You are ${maya.name}, ${maya.role}, in a conversation with ${tomas.name}, ${tomas.role} and ${ines.name}, ${ines.role}.`);
    expect(system!.content).toContain(`- ${tomas.name}, ${tomas.role} (id advisor)`);
    expect(system!.content).toContain(`- ${ines.name}, ${ines.role} (id notary), a person`);
    expect(system!.content).toContain(story.title);
    expect(system!.content).toContain(`Goals: ${maya.goals.join("; ")}`);
    expect(system!.content).not.toContain(tomas.speaking_style); // the others' personas are theirs
  });

  it("attributes the history by speaker: own turns as replies, the others' with their names, a remark as the narrator's", () => {
    const messages = buildTurnMessages(three()).slice(1);
    expect(messages).toEqual([
      { role: "assistant", content: "I want a lower payment." },
      {
        role: "user",
        content: `${tomas.name} (${tomas.role}): A fixed rate would help.\n\n${ines.name} (${ines.role}): The deed needs a new signature.\n\n[Narrator] The lights go out.`,
      },
    ]);
  });

  it("asks for next_speaker only under the turn order addressed, naming the ids it may take", () => {
    expect(buildTurnMessages(three())[0]!.content).not.toContain("next_speaker");
    const addressed = buildTurnMessages(three({ turn_order: "addressed" }))[0]!.content;
    expect(addressed).toContain('"next_speaker": "<who should answer you: one of advisor, notary>"');
  });
});
