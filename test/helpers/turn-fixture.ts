/** A turn request as a manager would send it, for provider and worker tests. */
import type { GenerationTask } from "../../src/llm/types.js";
import type { HistoryEntry, ModelSpec, Persona, StoryContent, TurnRequest } from "../../src/protocol/schemas.js";

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

export function turnRequest(model: ModelSpec, over: Partial<TurnRequest> = {}): TurnRequest {
  return {
    conversation_id: "conv-1",
    sequence_number: 3,
    agent_id: "customer",
    pool: "customer",
    model,
    fallback: null,
    primary_attempts: 3,
    use_fallback: false,
    failed_attempts: [],
    seed: null,
    retry_budget_ms: 60_000,
    max_attempts: 3,
    backoff_ms: 1000,
    backoff_max_ms: 15_000,
    story,
    persona: maya,
    partner: tomas,
    history: history(2),
    turn: { number: 3, max: 12 },
    deadline_at: Date.now() + 60_000,
    max_message_chars: 4000,
    token_stream_maxlen: 5000,
    requested_at: Date.now(),
    context: { strategy: "summarize", reserve_tokens: 512, window_tokens: null },
    ...over,
  };
}

export function turnTask(req: TurnRequest): GenerationTask {
  return {
    kind: "turn",
    conversation_id: req.conversation_id,
    sequence_number: req.sequence_number,
    story: req.story,
    persona: req.persona,
    partner: req.partner,
    history: req.history,
    turn: req.turn,
  };
}
