/**
 * Which persona is an agent's. Only types from the schemas, so it costs a browser bundle nothing
 * (the web page's script names agents with it, through observer/who.ts).
 */
import type { ConversationSpec } from "./record.js";
import type { Persona } from "./schemas.js";

/** the persona of each agent: by agent_id, or (runs recorded before personas named their agent) by position */
export function personaOf(spec: Pick<ConversationSpec, "agents">, personas: readonly Persona[], agentId: string): Persona | undefined {
  return personas.find((p) => p.agent_id === agentId) ?? (personas.every((p) => p.agent_id === undefined) ? personas[spec.agents.findIndex((a) => a.id === agentId)] : undefined);
}
