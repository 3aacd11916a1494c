/** What a turn is made of, for provider, prompt and worker tests: the story, the people, a history. */
import type { GenerationTask } from "../../src/llm/types.js";
import type { ContextSettings, HistoryEntry, ModelSpec, Persona, StoryContent, TurnRequest } from "../../src/protocol/schemas.js";
import type { PromptInput } from "../../src/worker/prompt.js";
import type { TurnContextReader } from "../../src/worker/turn-context.js";

export const story: StoryContent = {
  title: "Refinancing the mortgage",
  setting: "A branch office of a mid-sized bank, Tuesday morning.",
  characters: [
    { name: "Maya Lindqvist", role: "homeowner" },
    { name: "Tomas Berg", role: "relationship manager" },
  ],
  initial_situation: "Maya wants a lower monthly payment; Tomas has thirty minutes before his next client.",
};

export const maya: Persona = {
  name: "Maya Lindqvist",
  role: "homeowner",
  traits: ["direct", "prepared"],
  goals: ["lower the monthly payment"],
  speaking_style: "Short sentences, numbers first.",
};

export const tomas: Persona = {
  name: "Tomas Berg",
  role: "relationship manager",
  traits: ["patient"],
  goals: ["keep Maya as a customer"],
  speaking_style: "Calm and precise.",
};

/** `n` alternating turns, Maya first */
export function history(n: number, text = (i: number) => `Turn ${i + 1}: a point about rates and fees, said at some length so that it takes room.`): HistoryEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    agent_id: i % 2 === 0 ? "customer" : "advisor",
    speaker: i % 2 === 0 ? maya.name : tomas.name,
    text: text(i),
  }));
}

/** what one turn's prompt and generation are made from (a worker reads it from Redis; tests build it) */
export interface TurnFixture extends PromptInput {
  conversation_id: string;
  sequence_number: number;
  model: ModelSpec;
  context: ContextSettings;
  /** the other speaker, for two-party tests */
  partner: Persona;
}

export function turnRequest(model: ModelSpec, over: Partial<TurnFixture> = {}): TurnFixture {
  const persona = over.persona ?? maya;
  const partner = over.partner ?? (persona === maya ? tomas : maya);
  const agentId = over.agent?.id ?? (persona === maya ? "customer" : "advisor");
  const base: TurnFixture = {
    conversation_id: "conv-1",
    sequence_number: 3,
    model,
    story,
    persona,
    partner,
    agent: { id: agentId, role: persona.role, kind: "model", pool: agentId, model, fallback: null },
    others: [{ agent_id: agentId === "customer" ? "advisor" : "customer", kind: "model", persona: partner }],
    history: history(2),
    turn: { number: 3, max: 12 },
    turn_order: "round_robin",
    context: { strategy: "summarize", reserve_tokens: 512, window_tokens: null },
  };
  const merged = { ...base, ...over };
  // a partner given without others: the others are that partner
  if (over.partner && !over.others) merged.others = [{ agent_id: agentId === "customer" ? "advisor" : "customer", kind: "model", persona: over.partner }];
  return merged;
}

/** a lean request as a manager sends it (the worker reads the rest from Redis) */
export function leanRequest(over: Partial<TurnRequest> = {}): TurnRequest {
  return {
    conversation_id: "conv-1",
    sequence_number: 1,
    agent_id: "customer",
    pool: "customer",
    log_position: 0,
    turn_choice: { how: "first", by: "manager", reason: "the first agent opens the conversation" },
    use_fallback: false,
    failed_attempts: [],
    retry_budget_ms: 60_000,
    max_attempts: 3,
    backoff_ms: 1000,
    backoff_max_ms: 15_000,
    deadline_at: Date.now() + 60_000,
    requested_at: Date.now(),
    ...over,
  };
}

export function turnTask(req: TurnFixture): GenerationTask {
  return {
    kind: "turn",
    conversation_id: req.conversation_id,
    sequence_number: req.sequence_number,
    story: req.story,
    agent_id: req.agent.id,
    persona: req.persona,
    others: req.others,
    history: req.history,
    turn: req.turn,
    turn_order: req.turn_order,
  };
}

/** waits until `reader` holds conversation `id` up to sequence number `seq` (its follower read it) */
export async function heldUpTo(reader: TurnContextReader, id: string, seq: number): Promise<void> {
  const until = Date.now() + 10_000;
  while ((reader.heldUpTo(id) ?? 0) < seq) {
    if (Date.now() > until) throw new Error(`the follower did not read up to ${seq} (holds ${reader.heldUpTo(id)})`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
