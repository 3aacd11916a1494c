/**
 * The end-of-run summary: pure functions over a record and its messages.
 */
import type { ConversationRecord } from "../protocol/record.js";
import type { DialogMessage } from "../protocol/schemas.js";

export interface AgentSummary {
  agent_id: string;
  name: string | null;
  provider: string;
  model: string;
  turns: number;
  tokens: number;
  mean_tokens_per_second: number | null;
  mean_time_to_first_token_ms: number | null;
  mean_queue_wait_ms: number | null;
}

export interface RunSummary {
  id: string;
  status: string;
  stop_reason: string | null;
  turns: number;
  tokens: number;
  /** dialogue duration (first turn to end), seconds */
  duration_s: number | null;
  agents: AgentSummary[];
}

const mean = (xs: number[]): number | null => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);

export function summarize(record: ConversationRecord, messages: DialogMessage[]): RunSummary {
  const agents = record.spec.agents.map((a, i): AgentSummary => {
    const mine = messages.filter((m) => m.metadata.agent_id === a.id);
    const measured = mine.filter((m) => m.metadata.tokens_generated > 0);
    return {
      agent_id: a.id,
      name: record.personas?.[i]?.name ?? null,
      provider: a.model.provider,
      model: a.model.model,
      turns: mine.length,
      tokens: mine.reduce((n, m) => n + m.metadata.tokens_generated, 0),
      mean_tokens_per_second: mean(measured.map((m) => m.metadata.tokens_per_second)),
      mean_time_to_first_token_ms: mean(
        mine.map((m) => m.metadata.time_to_first_token_ms).filter((x): x is number => x !== null),
      ),
      mean_queue_wait_ms: mean(mine.map((m) => m.metadata.queue_wait_ms)),
    };
  });
  const end = record.ended_at ?? Date.now();
  return {
    id: record.spec.id,
    status: record.status,
    stop_reason: record.stop_reason,
    turns: messages.length,
    tokens: messages.reduce((n, m) => n + m.metadata.tokens_generated, 0),
    duration_s: record.started_at === null ? null : (end - record.started_at) / 1000,
    agents,
  };
}
