/**
 * Per-agent figures for the stats panel, from the finished messages and the turn in flight. A
 * person's turns count as turns (answered or skipped), never as model figures: a person has no
 * tokens, speed, first token or queue wait.
 */
import { isPerson, nameOf } from "../who.js";
import type { ViewState } from "./state.js";
import { noWorkerWait } from "../../protocol/lost-attempts.js";

export interface AgentStats {
  index: number;
  agent_id: string;
  name: string;
  provider: string;
  model: string;
  /** a person speaks for this agent */
  person: boolean;
  turns: number;
  /** a person's turns that went unanswered */
  skipped: number;
  /** recorded tokens plus those of the turn in flight */
  tokens: number;
  last_tps: number | null;
  mean_tps: number | null;
  /** tokens/s of each finished turn, oldest first */
  tps_history: number[];
  last_ttft_ms: number | null;
  mean_ttft_ms: number | null;
  /** queue waits of the turns no worker lost an attempt of and the manager did not record (the latest such, their mean): neither is a wait for a worker */
  last_queue_ms: number | null;
  mean_queue_ms: number | null;
  /** generating right now, or (a person) whose turn it is */
  speaking: boolean;
}

const mean = (xs: number[]): number | null => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);

/** `waiting`: the agent id of the person whose turn it is (observer/waiting.ts), if any */
export function agentStats(s: ViewState, waiting: string | null = null): AgentStats[] {
  const r = s.record;
  if (!r) return [];
  return r.spec.agents.map((a, index) => {
    const all = s.messages.filter((m) => m.metadata.agent_id === a.id);
    // what a model generated (a run may have recorded a person's turns for this id: say, --person)
    const mine = all.filter((m) => m.metadata.source === "model");
    const measured = mine.filter((m) => m.metadata.tokens_generated > 0);
    const tps = measured.map((m) => m.metadata.tokens_per_second);
    const ttft = mine.map((m) => m.metadata.time_to_first_token_ms).filter((x): x is number => x !== null);
    const queue = mine.filter((m) => !noWorkerWait(m.metadata)).map((m) => m.metadata.queue_wait_ms);
    const live = s.live?.agent_id === a.id ? s.live : null;
    return {
      index,
      agent_id: a.id,
      name: nameOf(r, a.id),
      provider: a.model.provider,
      model: a.model.model,
      person: isPerson(a),
      turns: all.length,
      skipped: all.filter((m) => m.skipped).length,
      tokens: mine.reduce((n, m) => n + m.metadata.tokens_generated, 0) + (live?.tokens ?? 0),
      last_tps: tps.at(-1) ?? null,
      mean_tps: mean(tps),
      tps_history: tps,
      last_ttft_ms: ttft.at(-1) ?? null,
      mean_ttft_ms: mean(ttft),
      last_queue_ms: queue.at(-1) ?? null,
      mean_queue_ms: mean(queue),
      speaking: live !== null || waiting === a.id,
    };
  });
}
