/**
 * What the manager's model is asked when it writes the story and the personas, for a
 * conversation of 2 to 8 agents; and, as moderator, who should speak next.
 */
import type { ChatMessage, GenerationTask } from "../llm/types.js";
import type { ConversationSpec } from "../protocol/record.js";
import type { DialogMessage, HistoryEntry, StoryContent } from "../protocol/schemas.js";

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

/** how the moderator's transcript shows a turn its speaker had but did not speak */
const MISSED = { skipped: "[did not answer in time; turn skipped]", failed: "[no reply: the model failed]" } as const;

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
          ...transcript.map((h) => (h.narrator ? `[Narrator] ${h.text}` : `${h.speaker} (${h.agent_id}): ${h.missed ? MISSED[h.missed] : h.text}`)),
          "",
          "Who may speak next:",
          ...candidates.map((c) => `- ${c.agent_id}: ${c.name}, ${c.role}`),
        ].join("\n"),
      },
    ],
  };
}

/** messages of a transcript the manager reads to carry it on (the first and the last half), and characters of each */
export const TRANSCRIPT_SAMPLE = 40;
const TRANSCRIPT_CHARS = 600;

/**
 * run --continue: the manager reads the conversation carried on (its first and last messages)
 * and writes a story and one persona per speaker, each named by its agent id.
 */
export function transcriptTask(spec: ConversationSpec, sample: readonly DialogMessage[]): { task: GenerationTask; messages: ChatMessage[] } {
  const seen = new Set<number>();
  const msgs = sample.filter((m) => !seen.has(m.metadata.sequence_number) && seen.add(m.metadata.sequence_number)).sort((a, b) => a.metadata.sequence_number - b.metadata.sequence_number);
  const transcript: HistoryEntry[] = msgs
    .filter((m) => m.content.message.trim() !== "")
    .map((m) => ({
      agent_id: m.metadata.agent_id,
      speaker: m.speaker.slice(0, 500),
      text: m.content.message.length > TRANSCRIPT_CHARS ? `${m.content.message.slice(0, TRANSCRIPT_CHARS - 1)}…` : m.content.message,
      seq: m.metadata.sequence_number,
      ...(m.metadata.source === "narrator" ? { narrator: true } : {}),
    }));
  // each speaker by the name the transcript gives them
  const nameOf = (id: string): string => msgs.findLast((m) => m.metadata.agent_id === id)?.speaker.slice(0, 80) ?? id;
  const roles = spec.agents.map((a) => ({ id: a.id, role: a.role, name: nameOf(a.id) }));
  const total = spec.source?.kind === "continue" ? spec.source.history : msgs.length;
  return {
    task: { kind: "from_transcript", title: spec.scenario.title, roles, transcript },
    messages: [
      {
        role: "system",
        content:
          `You read a recorded conversation between ${roles.length} people so that it can be carried on. Reply with a JSON object: ` +
          '{"story": {"title", "setting", "characters": [{"name", "role"}], "initial_situation"}, "personas": [{"agent_id", "name", "role", "traits": [...], "goals": [...], "speaking_style"}, …]} — ' +
          `one persona for each agent id given, as the transcript shows them; the situation is where the transcript ends.`,
      },
      {
        role: "user",
        content: [
          `Conversation: ${spec.scenario.title}`,
          "Speakers (agent_id in quotes):",
          ...roles.map((r, i) => `${i + 1}. "${r.id}": ${r.name}, ${r.role}`),
          `Transcript (${total} messages${transcript.length < total ? ", abridged: the first and the last" : ""}):`,
          ...transcript.map((h) => (h.narrator ? `[Narrator] ${h.text}` : `${h.speaker} ("${h.agent_id}"): ${h.text}`)),
          "Keep names as the transcript has them. 2-4 traits, 1-3 goals, one sentence of speaking style.",
        ].join("\n"),
      },
    ],
  };
}
