/**
 * The short end-of-run summary (`dialogue show`, the `end` event of `run --json`): a few figures
 * taken from the analysis (analyzer.ts), so every view of a run agrees with `dialogue analyze`.
 */
import type { ConversationRecord } from "../protocol/record.js";
import type { DialogMessage } from "../protocol/schemas.js";
import { analyze } from "./analyzer.js";
import type { Analysis } from "./schema.js";

export interface AgentSummary {
  agent_id: string;
  name: string | null;
  /** "human": a person took this agent's turns (provider "human", no tokens or speed) */
  kind: "model" | "human" | "recorded";
  provider: string;
  model: string;
  turns: number;
  /** a person's turns nobody answered */
  skipped_turns: number;
  failed_turns: number;
  stalled_turns: number;
  cut_turns: number;
  retried_turns: number;
  tokens: number;
  mean_tokens_per_second: number | null;
  mean_time_to_first_token_ms: number | null;
  mean_queue_wait_ms: number | null;
}

/**
 * a run's tokens as the summaries say them: "1,234 tokens", or — a conversation recorded elsewhere
 * (`dialogue import`), whose rows carry no tokens — "no tokens recorded", never a made-up 0
 */
export function tokensText(s: Pick<RunSummary, "tokens" | "agents">, plural: (n: number, word: string) => string): string {
  return s.agents.length > 0 && s.agents.every((a) => a.kind === "recorded") ? "no tokens recorded" : plural(s.tokens, "token");
}

export interface RunSummary {
  id: string;
  status: string;
  stop_reason: string | null;
  /** the agents' turns (a narrator's remark is not one) */
  turns: number;
  /** a narrator's remarks */
  remarks: number;
  skipped_turns: number;
  failed_turns: number;
  stalled_turns: number;
  cut_turns: number;
  retried_turns: number;
  /** failed attempts by cause, over all turns */
  failure_causes: Record<string, number>;
  tokens: number;
  /** dialogue duration (first turn to end), seconds */
  duration_s: number | null;
  agents: AgentSummary[];
}

export function summaryOf(a: Analysis): RunSummary {
  return {
    id: a.conversation_id,
    status: a.run.status,
    stop_reason: a.run.stop_reason,
    turns: a.run.turns,
    remarks: a.run.remarks,
    skipped_turns: a.run.skipped_turns,
    failed_turns: a.run.failed_turns,
    stalled_turns: a.run.stalled_turns,
    cut_turns: a.run.cut_turns,
    retried_turns: a.run.retried_turns,
    failure_causes: a.run.failure_causes,
    tokens: a.run.tokens_generated,
    duration_s: a.run.duration_s,
    agents: a.agents.map((g) => ({
      agent_id: g.agent_id,
      name: g.name,
      kind: g.kind,
      provider: g.provider,
      model: g.model,
      turns: g.turns,
      skipped_turns: g.skipped_turns,
      failed_turns: g.failed_turns,
      stalled_turns: g.stalled_turns,
      cut_turns: g.cut_turns,
      retried_turns: g.retried_turns,
      tokens: g.tokens_generated,
      mean_tokens_per_second: g.tokens_per_second.mean,
      mean_time_to_first_token_ms: g.time_to_first_token_ms.mean,
      mean_queue_wait_ms: g.queue_wait_ms.mean,
    })),
  };
}

export function summarize(record: ConversationRecord, messages: DialogMessage[]): RunSummary {
  return summaryOf(analyze(record, messages));
}
