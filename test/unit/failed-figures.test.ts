/**
 * A failed turn generated nothing: no view gives it a speed. Its line says "–" for tokens/s where
 * a spoken turn says its figure (plain text and show, Markdown, HTML).
 */
import { describe, expect, it } from "vitest";
import { mdHead, mdMessage } from "../../src/analysis/export-md.js";
import { htmlMessage } from "../../src/analysis/export-html.js";
import { messageText } from "../../src/observer/plain.js";
import type { DialogMessage } from "../../src/protocol/schemas.js";
import { makeCastRecord, makeTurn } from "../helpers/cast.js";

const r = makeCastRecord(3);
const spoken = makeTurn(r, 1, "chair", "Good evening.", { tokens: 8, tps: 25 });
const base = makeTurn(r, 2, "officer", "");
// every attempt failed, over 47 s; nothing generated
const failed: DialogMessage = { ...base, failed: true, error: "the model failed", metadata: { ...base.metadata, tokens_generated: 0, tokens_per_second: 0, generation_time_ms: 0, finished_at: base.metadata.started_at + 47_000 } };

const attempt = (n: number) => ({ attempt: n, provider: "ollama" as const, model: "llama3.2", cause: "server_error" as const, error: "500 from the server", at: base.metadata.started_at + n * 1000, retry_after_ms: null, wait_ms: n < 2 ? 1000 : null });
const withAttempts: DialogMessage = { ...failed, metadata: { ...failed.metadata, attempt: 2, failed_attempts: [attempt(1), attempt(2)] } };

describe("a failed turn's figures", () => {
  it("plain text: a spoken turn's tokens/s and generation time; a failed turn's – and how long it took to fail", () => {
    expect(messageText(spoken)).toMatch(/8 tokens · 25\.0 tok\/s · ttft \d+ ms · 3\.00 s ·/);
    expect(messageText(failed)).toMatch(/0 tokens · – tok\/s · ttft .* · failed after 47\.0 s ·/);
  });

  it("HTML: the same", () => {
    expect(htmlMessage(failed, 1)).toMatch(/0 tokens · – tok\/s · first token .* · failed after 47\.0 s/);
    expect(htmlMessage(spoken, 0)).toMatch(/25\.0 tok\/s · first token .* · 3\.0 s/);
  });

  it("Markdown: the same, and a failed turn is marked, with why and each attempt's cause", () => {
    expect(mdMessage(spoken)).toContain("25.0 tok/s");
    expect(mdMessage(spoken)).not.toMatch(/failed/);
    const md = mdMessage(withAttempts);
    expect(md).toMatch(/^\*\*\[2\] .+\*\* \(.+\) \[failed\]$/m);
    expect(md).toContain("_(no reply)_");
    expect(md).toContain("- failed: the model failed\n");
    expect(md).toContain("- attempt 1 failed (server_error): 500 from the server; retried after 1.0 s\n");
    expect(md).toContain("0 tokens · – tok/s · first token");
    expect(md).toContain("failed after 47.0 s");
    const retried: DialogMessage = { ...spoken, metadata: { ...spoken.metadata, attempt: 2, failed_attempts: withAttempts.metadata.failed_attempts.slice(0, 1) } };
    expect(mdMessage(retried)).toMatch(/\[retried: attempt 2\]/);
  });

  it("Markdown: the run's error is said under its status", () => {
    const head = mdHead({ ...r, status: "failed", stop_reason: "error", error: "turn 2 (officer) failed: the model failed" });
    expect(head).toContain("· failed (error)\n\n**Error:** turn 2 (officer) failed: the model failed\n");
  });
});
