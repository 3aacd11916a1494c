/**
 * The messages an agent's model sees for one turn: a system message with the story, the
 * agent's persona, its partner and the reply format; then the history from the agent's point
 * of view (its own turns as "assistant", its partner's as "user"). When older turns did not fit the
 * context window, `summary` (a few lines about them) goes into the system message.
 */
import type { ChatMessage } from "../llm/types.js";
import type { Persona, TurnRequest } from "../protocol/schemas.js";

const personaLines = (p: Persona): string =>
  [
    `Name: ${p.name}`,
    `Role: ${p.role}`,
    `Traits: ${p.traits.join(", ")}`,
    `Goals: ${p.goals.join("; ")}`,
    `Speaking style: ${p.speaking_style}`,
  ].join("\n");

export function buildTurnMessages(req: TurnRequest, summary?: string): ChatMessage[] {
  const { story, persona, partner, turn } = req;
  const system = [
    `You are ${persona.name}, ${persona.role}, in a conversation with ${partner.name}, ${partner.role}.`,
    "",
    `Story: ${story.title}`,
    `Setting: ${story.setting}`,
    `Situation: ${story.initial_situation}`,
    "",
    "Your persona:",
    personaLines(persona),
    "",
    `The other person: ${partner.name}, ${partner.role}.`,
    "",
    `This is turn ${turn.number} of at most ${turn.max}. Stay in character and speak only as ${persona.name}.`,
    "Keep each reply to a few sentences. Reply with a JSON object:",
    '{"message": "<what you say>", "sentiment": <-1..1, how you feel>, "references": ["<earlier points you refer to>"], "end_conversation": <true only when the conversation has reached its natural end>}',
    ...(summary ? ["", "Earlier in the conversation (summarized, oldest first):", summary] : []),
  ].join("\n");
  const messages: ChatMessage[] = [{ role: "system", content: system }];
  for (const h of req.history) {
    messages.push({ role: h.agent_id === req.agent_id ? "assistant" : "user", content: h.text });
  }
  if (req.history.length === 0) {
    const opening = summary ? "(Continue the conversation.)" : `(The conversation begins. You speak first, ${persona.name}.)`;
    messages.push({ role: "user", content: opening });
  } else if (messages[messages.length - 1]?.role === "assistant") {
    messages.push({ role: "user", content: "(Continue.)" });
  }
  return messages;
}
