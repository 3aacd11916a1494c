/**
 * The messages an agent's model sees for one turn, for a conversation of any size: a system
 * message with the story, the agent's own persona, the others by name and role, and the reply
 * format; then the history, each turn attributed by name — the agent's own turns as "assistant",
 * everyone else's as "user" messages that say who spoke ("Maya Lindqvist (homeowner): …"; a
 * narrator's remark as "[Narrator] …"), consecutive ones joined so turns still alternate. When
 * older turns did not fit the context window, `summary` (a few lines about them) goes into the
 * system message.
 */
import type { ChatMessage } from "../llm/types.js";
import type { HistoryEntry, Persona } from "../protocol/schemas.js";
import type { TurnContext } from "./turn-context.js";

/** what a prompt is built from: a turn's context, with the history that fits */
export type PromptInput = Pick<TurnContext, "story" | "persona" | "others" | "history" | "turn" | "agent"> & { turn_order: string; material?: TurnContext["material"] };

const personaLines = (p: Persona): string =>
  [
    `Name: ${p.name}`,
    `Role: ${p.role}`,
    `Traits: ${p.traits.join(", ")}`,
    `Goals: ${p.goals.join("; ")}`,
    `Speaking style: ${p.speaking_style}`,
  ].join("\n");

const joinNames = (names: string[]): string => (names.length <= 1 ? (names[0] ?? "") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`);

/** one history entry as another speaker's turn, attributed */
function attributed(h: HistoryEntry, roles: Map<string, string>): string {
  if (h.narrator) return `[Narrator] ${h.text}`;
  const role = roles.get(h.agent_id);
  return `${h.speaker}${role ? ` (${role})` : ""}: ${h.text}`;
}

export function buildTurnMessages(input: PromptInput, summary?: string): ChatMessage[] {
  const { story, persona, others, turn } = input;
  const many = others.length > 1;
  const reply: Record<string, string> = {
    message: '"<what you say>"',
    sentiment: "<-1..1, how you feel>",
    references: '["<earlier points you refer to>"]',
    end_conversation: "<true only when the conversation has reached its natural end>",
  };
  if (input.turn_order === "addressed") reply.next_speaker = `"<who should answer you: one of ${others.map((o) => o.agent_id).join(", ")}>"`;
  const system = [
    `You are ${persona.name}, ${persona.role}, in a conversation with ${joinNames(others.map((o) => `${o.persona.name}, ${o.persona.role}`))}.`,
    "",
    `Story: ${story.title}`,
    `Setting: ${story.setting}`,
    `Situation: ${story.initial_situation}`,
    "",
    "Your persona:",
    personaLines(persona),
    "",
    many ? "The others in the conversation:" : `The other person: ${others[0] ? `${others[0].persona.name}, ${others[0].persona.role}.` : ""}`,
    ...(many ? others.map((o) => `- ${o.persona.name}, ${o.persona.role} (id ${o.agent_id})${o.kind === "human" ? ", a person" : ""}`) : []),
    "",
    `This is turn ${turn.number} of at most ${turn.max}. Stay in character and speak only as ${persona.name}.`,
    many ? "Each earlier turn below is marked with who said it; address people by name." : "",
    "Keep each reply to a few sentences. Reply with a JSON object:",
    `{${Object.entries(reply)
      .map(([k, v]) => `"${k}": ${v}`)
      .join(", ")}}`,
    ...(input.turn_order === "addressed" ? ["Name in next_speaker the id of the person you want to answer you."] : []),
    ...(input.material && input.material.chunks.length
      ? ["", "Material you can draw on (use its facts and figures where they help; say where they come from):", ...input.material.chunks.map((c) => `[${c.id}] ${c.title}\n${c.text}`)]
      : []),
    ...(summary ? ["", "Earlier in the conversation (summarized, oldest first):", summary] : []),
  ]
    .filter((l, i, all) => l !== "" || all[i - 1] !== "")
    .join("\n");
  const roles = new Map(others.map((o) => [o.agent_id, o.persona.role]));
  const messages: ChatMessage[] = [{ role: "system", content: system }];
  for (const h of input.history) {
    const mine = h.agent_id === input.agent.id && !h.narrator;
    const content = mine ? h.text : attributed(h, roles);
    const prev = messages[messages.length - 1];
    const role = mine ? "assistant" : "user";
    // consecutive turns by others are one "user" message: chat templates expect turns to alternate
    if (prev && prev.role === role && prev !== messages[0]) prev.content += `\n\n${content}`;
    else messages.push({ role, content });
  }
  if (input.history.length === 0) {
    const opening = summary ? "(Continue the conversation.)" : `(The conversation begins. You speak first, ${persona.name}.)`;
    messages.push({ role: "user", content: opening });
  } else if (messages[messages.length - 1]?.role === "assistant") {
    messages.push({ role: "user", content: "(Continue.)" });
  }
  return messages;
}
