/**
 * What the manager's model is asked when it writes the story and the personas, for a
 * conversation of 2 to 8 agents; and, as moderator, who should speak next.
 */
import type { ChatMessage, GenerationTask } from "../llm/types.js";
import type { ConversationSpec } from "../protocol/record.js";
import type { HistoryEntry, StoryContent } from "../protocol/schemas.js";

const rolesOf = (spec: ConversationSpec) => spec.agents.map((a) => ({ id: a.id, role: a.role, goal: a.goal }));

const roleLines = (spec: ConversationSpec): string =>
  spec.agents.map((a, i) => `${i + 1}. ${a.role} (id "${a.id}")${a.goal ? `, who wants: ${a.goal}` : ""}${a.kind === "human" ? " — played by a person" : ""}`).join("\n");

const people = (n: number): string => (n === 2 ? "two-person conversations" : `conversations between ${n} people`);

export function storyTask(spec: ConversationSpec): { task: GenerationTask; messages: ChatMessage[] } {
  const s = spec.scenario;
  return {
    task: { kind: "story", scenario: s, roles: rolesOf(spec) },
    messages: [
      {
        role: "system",
        content:
          `You write short, concrete set-ups for ${people(spec.agents.length)}. Reply with a JSON object: ` +
          '{"title", "setting", "characters": [{"name", "role"}], "initial_situation"}.',
      },
      {
        role: "user",
        content: [
          `Title: ${s.title}`,
          `Premise: ${s.premise}`,
          s.setting ? `Setting: ${s.setting}` : "",
          `Characters (${spec.agents.length}), in this order:`,
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
  const n = spec.agents.length;
  return {
    task: { kind: "personas", scenario: spec.scenario, story, roles: rolesOf(spec) },
    messages: [
      {
        role: "system",
        content:
          `You write personas for the ${n} people in a conversation. Reply with a JSON object: ` +
          `{"personas": [{"agent_id", "name", "role", "traits": [...], "goals": [...], "speaking_style"}, …]} — exactly ${n}, one for each agent id given, in the order given.`,
      },
      {
        role: "user",
        content: [
          `Story: ${story.title}`,
          `Setting: ${story.setting}`,
          `Situation: ${story.initial_situation}`,
          `Characters: ${story.characters.map((c) => `${c.name} (${c.role})`).join(", ")}`,
          "Write the personas for, in order (agent_id in quotes):",
          roleLines(spec),
          "Use the characters' names from the story. 2-4 traits, 1-3 goals, one sentence of speaking style.",
        ].join("\n"),
      },
    ],
  };
}

/** the moderator's question: who of `candidates` should speak next, given the latest turns */
export function moderatorTask(
  story: StoryContent,
  candidates: Array<{ agent_id: string; name: string; role: string }>,
  transcript: HistoryEntry[],
  seq: number,
): { task: GenerationTask; messages: ChatMessage[] } {
  return {
    task: { kind: "moderator", story, candidates, transcript, sequence_number: seq },
    messages: [
      {
        role: "system",
        content:
          "You moderate a conversation. Choose who should speak next so that it stays lively, fair and on its subject. " +
          'Reply with a JSON object: {"next_speaker": "<one of the ids given>", "reason": "<one short sentence>"}.',
      },
      {
        role: "user",
        content: [
          `Story: ${story.title}`,
          `Situation: ${story.initial_situation}`,
          "",
          "The conversation so far (latest last):",
          ...transcript.map((h) => (h.narrator ? `[Narrator] ${h.text}` : `${h.speaker} (${h.agent_id}): ${h.text}`)),
          "",
          "Who may speak next:",
          ...candidates.map((c) => `- ${c.agent_id}: ${c.name}, ${c.role}`),
        ].join("\n"),
      },
    ],
  };
}
