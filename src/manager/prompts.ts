/**
 * What the manager's model is asked when it writes the story and the personas.
 */
import type { ChatMessage, GenerationTask } from "../llm/types.js";
import type { ConversationSpec } from "../protocol/record.js";
import type { StoryContent } from "../protocol/schemas.js";

const rolesOf = (spec: ConversationSpec) => spec.agents.map((a) => ({ id: a.id, role: a.role, goal: a.goal }));

const roleLines = (spec: ConversationSpec): string =>
  spec.agents.map((a, i) => `${i + 1}. ${a.role}${a.goal ? ` (wants: ${a.goal})` : ""}`).join("\n");

export function storyTask(spec: ConversationSpec): { task: GenerationTask; messages: ChatMessage[] } {
  const s = spec.scenario;
  return {
    task: { kind: "story", scenario: s, roles: rolesOf(spec) },
    messages: [
      {
        role: "system",
        content:
          "You write short, concrete set-ups for two-person conversations. Reply with a JSON object: " +
          '{"title", "setting", "characters": [{"name", "role"}], "initial_situation"}.',
      },
      {
        role: "user",
        content: [
          `Title: ${s.title}`,
          `Premise: ${s.premise}`,
          s.setting ? `Setting: ${s.setting}` : "",
          "Characters, in this order:",
          roleLines(spec),
          "Give each character a realistic full name. Keep the setting and situation to a few sentences each.",
        ]
          .filter(Boolean)
          .join("\n"),
      },
    ],
  };
}

export function personasTask(spec: ConversationSpec, story: StoryContent): { task: GenerationTask; messages: ChatMessage[] } {
  return {
    task: { kind: "personas", scenario: spec.scenario, story, roles: rolesOf(spec) },
    messages: [
      {
        role: "system",
        content:
          "You write personas for the two people in a conversation. Reply with a JSON object: " +
          '{"personas": [{"name", "role", "traits": [...], "goals": [...], "speaking_style"}, {...}]} — exactly two, in the order given.',
      },
      {
        role: "user",
        content: [
          `Story: ${story.title}`,
          `Setting: ${story.setting}`,
          `Situation: ${story.initial_situation}`,
          `Characters: ${story.characters.map((c) => `${c.name} (${c.role})`).join(", ")}`,
          "Write the personas for, in order:",
          roleLines(spec),
          "Use the characters' names from the story. 2-4 traits, 1-3 goals, one sentence of speaking style.",
        ].join("\n"),
      },
    ],
  };
}
