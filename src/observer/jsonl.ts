/**
 * JSON-lines renderer (--json): one event per line, each with a `type`:
 *   {"type":"conversation", ...record}          first sight of the record
 *   {"type":"status", status, phase, stop_reason, turns, remarks}   when it changes (turns: the agents'
 *                                                turns; a narrator's remarks are counted apart)
 *   {"type":"story", story} / {"type":"personas", personas}
 *   {"type":"manager_attempt_failed", phase, attempt, cause, error, wait_ms}
 *                                                the manager's attempt at the story or personas failed; it retries after wait_ms
 *   {"type":"message", turn, message}            each recorded message with its metadata (metadata.source:
 *                                                model, human or narrator; metadata.turn_choice: why its speaker);
 *                                                turn: the turn it is (a narrator's remarks and a copied history
 *                                                are not turns: null), where metadata.sequence_number numbers messages
 *   {"type":"waiting_for_person", seq, turn, agent_id, name, since, skip_at, say}
 *                                                a person's turn has begun: it waits for `dialogue say` (the
 *                                                `say` command answers it) until skip_at (epoch ms), then is skipped
 *   {"type":"attempt_failed", seq, turn, agent_id, attempt, cause, error, wait_ms, fallback}
 *                                                an attempt at the turn in progress failed and the turn goes
 *                                                on: retried after wait_ms, or with the fallback ("provider/model")
 *   {"type":"tokens", chunk}                     token chunks, with --tokens
 *   {"type":"end", summary, analysis, record}    the final status and the analysis (as `analyze --json`)
 */
import type { Analysis } from "../analysis/schema.js";
import { summaryOf } from "../analysis/summary.js";
import { turnOf, turnsTaken, type ConversationRecord } from "../protocol/record.js";
import { turnCounter } from "../protocol/turn-count.js";
import type { ObserverEvent } from "./follow.js";
import { sayCommand } from "./commands.js";
import { waitingFor } from "./waiting.js";

type Write = (s: string) => void;

/**
 * `live`: false for a replay (the `say` command is left out: no one can answer now); `reach`: what
 * the `say` command needs to reach the run (cli/reach.ts)
 */
export function jsonRenderer(write: Write, opts: { live?: boolean; reach: string }): { onEvent(e: ObserverEvent): void; finish(r: ConversationRecord, a: Analysis): void } {
  const line = (o: unknown): void => write(`${JSON.stringify(o)}\n`);
  let record: ConversationRecord | null = null;
  // the messages come in order, from the first
  const placeIn = turnCounter();
  return {
    onEvent(e) {
      if (e.type === "message") {
        const place = placeIn(e.message);
        return line({ type: "message", turn: place.kind === "turn" ? place.turn : null, message: e.message });
      }
      if (e.type === "tokens") {
        const c = e.chunk;
        if (!c.failed) return line({ type: "tokens", chunk: c });
        const f = c.failed;
        return line({ type: "attempt_failed", seq: c.seq, turn: record ? turnOf(c.seq, record) : null, agent_id: c.agent_id, attempt: c.attempt, cause: f.cause, error: f.error, wait_ms: f.wait_ms, fallback: f.fallback ?? null });
      }
      const r = e.record;
      record = r;
      const p = e.previous;
      if (!p) line({ type: "conversation", record: r });
      else if (r.status !== p.status || r.phase !== p.phase || r.stop_reason !== p.stop_reason || r.turns !== p.turns) {
        line({ type: "status", status: r.status, phase: r.phase, stop_reason: r.stop_reason, turns: turnsTaken(r), remarks: r.remarks ?? 0 });
      }
      const m = r.manager_retry;
      if (m && m.wait_ms !== null && m.at !== p?.manager_retry?.at) line({ type: "manager_attempt_failed", phase: m.phase, attempt: m.attempt, cause: m.cause, error: m.error, wait_ms: m.wait_ms, ...(m.by ? { by: m.by } : {}) });
      if (r.story && !p?.story) line({ type: "story", story: r.story });
      if (r.personas && !p?.personas) line({ type: "personas", personas: r.personas });
      const w = waitingFor(r);
      if (w && (!p || waitingFor(p)?.seq !== w.seq)) {
        line({ type: "waiting_for_person", seq: w.seq, turn: w.turn, agent_id: w.agent_id, name: w.name, since: w.since, skip_at: w.skip_at, ...((opts.live ?? true) ? { say: sayCommand(r.spec.id, w.agent_id, opts.reach, w.turn) } : {}) });
      }
    },
    finish(r, analysis) {
      line({ type: "end", summary: summaryOf(analysis), analysis, record: r });
    },
  };
}
