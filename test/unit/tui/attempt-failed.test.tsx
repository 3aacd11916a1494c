/**
 * A failed attempt while the turn goes on, in the TUI: the worker's notice (a token chunk with
 * `failed`) is said under the turn — which attempt, its cause, what comes next and why — until the
 * next attempt streams.
 */
import { renderToString } from "ink";
import stringWidth from "string-width";
import { describe, expect, it } from "vitest";
import type { FeedEvent } from "../../../src/observer/feed.js";
import { LiveArea } from "../../../src/observer/tui/LiveArea.js";
import { initialState, reduce } from "../../../src/observer/tui/state.js";
import type { ConversationRecord, ManagerRetry } from "../../../src/protocol/record.js";
import type { TokenChunk } from "../../../src/protocol/schemas.js";
import { chosen, makeCastRecord, makeTurn } from "../../helpers/cast.js";
import { T0 } from "../../helpers/conversation.js";

const r = makeCastRecord(3);
const spoken = [makeTurn(r, 1, "chair", "Good evening."), makeTurn(r, 2, "officer", "The tram runs every six minutes.")];
const base = reduce(initialState, [{ type: "record", record: chosen(r, 2, "shopkeeper"), previous: null }, ...spoken.map((message): FeedEvent => ({ type: "message", message }))]);
const AT = T0 + 20_000;
const notice = (attempt: number, failed: TokenChunk["failed"], t = AT): FeedEvent => ({ type: "tokens", chunk: { seq: 3, attempt, agent_id: "shopkeeper", text: "", tokens: 0, t, failed } });
const view = (events: FeedEvent[], now: number, columns = 100) => renderToString(<LiveArea state={reduce(base, events)} mode="run" columns={columns} rows={24} now={now} />, { columns });

describe("a failed attempt in the TUI", () => {
  const limited = notice(1, { cause: "rate_limited", error: "Ollama at http://127.0.0.1:11434 is rate limiting (429: too many requests)", wait_ms: 2100 });

  it("says which attempt failed, why, and counts down to the retry", () => {
    expect(view([limited], AT + 100, 140)).toMatch(/^ {2}attempt 1 failed \(rate_limited\); retrying in 2\.0 s: Ollama at http:\/\/127\.0\.0\.1:11434 is rate limiting \(429: too many requests\)$/m);
    expect(view([limited], AT + 1_600)).toContain("attempt 1 failed (rate_limited); retrying in 0.5 s:");
    expect(view([limited], AT + 2_500)).toContain("attempt 1 failed (rate_limited); retrying now:");
  });

  it("says when the fallback takes over, and the line fits 80 columns", () => {
    const out = view([notice(1, { cause: "server_error", error: "x".repeat(300), wait_ms: null, fallback: "ollama/llama3.2" })], AT + 100, 80);
    expect(out).toContain("attempt 1 failed (server_error); trying the fallback ollama/llama3.2: xxx");
    expect(Math.max(...out.split("\n").map((l) => stringWidth(l)))).toBeLessThanOrEqual(80);
  });

  it("is gone once the next attempt streams, which says its number", () => {
    const next: FeedEvent = { type: "tokens", chunk: { seq: 3, attempt: 2, agent_id: "shopkeeper", text: '{"message":"Deliveries', tokens: 1, t: AT + 2_200 } };
    const out = view([limited, next], AT + 2_300);
    expect(out).not.toContain("failed (rate_limited)");
    expect(out).toMatch(/turn 3 · 1 tok · .* · attempt 2/);
  });

  it("a notice for a turn already recorded changes nothing", () => {
    const old: FeedEvent = { type: "tokens", chunk: { seq: 2, attempt: 1, agent_id: "officer", text: "", tokens: 0, t: AT, failed: { cause: "server_error", error: "boom", wait_ms: 1000 } } };
    expect(reduce(base, [old])).toBe(base);
  });
});

describe("the manager's failed attempt at the story, in the TUI", () => {
  it("says which attempt failed, why, and counts down to the retry; a stop says the manager stops writing it", () => {
    const preparing: ConversationRecord = { ...r, status: "preparing", phase: "story", story: null, personas: null, started_at: null };
    const retry: ManagerRetry = { phase: "story", attempt: 1, cause: "server_error", error: "Ollama at http://127.0.0.1:11434 failed (500: boom)", wait_ms: 3000, at: AT };
    const at = (rec: ConversationRecord, now: number) =>
      renderToString(<LiveArea state={reduce(initialState, [{ type: "record", record: rec, previous: null }])} mode="run" columns={160} rows={24} now={now} />, { columns: 160 });
    expect(at({ ...preparing, manager_retry: null }, AT)).toContain("the manager is writing the story with");
    expect(at({ ...preparing, manager_retry: retry }, AT + 1_000)).toMatch(/the manager is writing the story with .*: attempt 1 failed \(server_error\); retrying in 2\.0 s: Ollama at http:\/\/127\.0\.0\.1:11434/);
    expect(at({ ...preparing, status: "stopping", manager_retry: retry }, AT + 1_000)).toContain("stopping: the story being written is dropped");
  });
});

