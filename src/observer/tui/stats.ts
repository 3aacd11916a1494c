/**
 * Per-agent figures for the stats panel, from the finished messages and the turn in flight.
 */
import type { ViewState } from "./state.js";

export interface AgentStats {
  index: number;
  agent_id: string;
  name: string;
  provider: string;
  model: string;
  turns: number;
  /** recorded tokens plus those of the turn in flight */
  tokens: number;
  last_tps: number | null;
  mean_tps: number | null;
  /** tokens/s of each finished turn, oldest first */
  tps_history: number[];
  last_ttft_ms: number | null;
  mean_ttft_ms: number | null;
  last_queue_ms: number | null;
  mean_queue_ms: number | null;
  /** generating right now */
  speaking: boolean;
}

const mean = (xs: number[]): number | null => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);

export function agentStats(s: ViewState): AgentStats[] {
  const r = s.record;
  if (!r) return [];
  return r.spec.agents.map((a, index) => {
    const mine = s.messages.filter((m) => m.metadata.agent_id === a.id);
    const measured = mine.filter((m) => m.metadata.tokens_generated > 0);
    const tps = measured.map((m) => m.metadata.tokens_per_second);
    const ttft = mine.map((m) => m.metadata.time_to_first_token_ms).filter((x): x is number => x !== null);
    const queue = mine.map((m) => m.metadata.queue_wait_ms);
    const live = s.live?.agent_id === a.id ? s.live : null;
    return {
      index,
      agent_id: a.id,
      name: r.personas?.[index]?.name ?? a.id,
      provider: a.model.provider,
      model: a.model.model,
      turns: mine.length,
      tokens: mine.reduce((n, m) => n + m.metadata.tokens_generated, 0) + (live?.tokens ?? 0),
      last_tps: tps.at(-1) ?? null,
      mean_tps: mean(tps),
      tps_history: tps,
      last_ttft_ms: ttft.at(-1) ?? null,
      mean_ttft_ms: mean(ttft),
      last_queue_ms: queue.at(-1) ?? null,
      mean_queue_ms: mean(queue),
      speaking: live !== null,
    };
  });
}
