/**
 * JSON-lines renderer (--json): one event per line, each with a `type`:
 *   {"type":"conversation", ...record}          first sight of the record
 *   {"type":"status", status, phase, stop_reason, turns}   when it changes
 *   {"type":"story", story} / {"type":"personas", personas}
 *   {"type":"message", message}                  each recorded message with its metadata
 *   {"type":"tokens", chunk}                     token chunks, with --tokens
 *   {"type":"end", summary, analysis, record}    the final status and the analysis (as `analyze --json`)
 */
import type { Analysis } from "../analysis/schema.js";
import { summaryOf } from "../analysis/summary.js";
import type { ConversationRecord } from "../protocol/record.js";
import type { ObserverEvent } from "./follow.js";

type Write = (s: string) => void;

export function jsonRenderer(write: Write): { onEvent(e: ObserverEvent): void; finish(r: ConversationRecord, a: Analysis): void } {
  const line = (o: unknown): void => write(`${JSON.stringify(o)}\n`);
  return {
    onEvent(e) {
      if (e.type === "message") return line({ type: "message", message: e.message });
      if (e.type === "tokens") return line({ type: "tokens", chunk: e.chunk });
      const r = e.record;
      const p = e.previous;
      if (!p) line({ type: "conversation", record: r });
      else line({ type: "status", status: r.status, phase: r.phase, stop_reason: r.stop_reason, turns: r.turns });
      if (r.story && !p?.story) line({ type: "story", story: r.story });
      if (r.personas && !p?.personas) line({ type: "personas", personas: r.personas });
    },
    finish(r, analysis) {
      line({ type: "end", summary: summaryOf(analysis), analysis, record: r });
    },
  };
}
