/**
 * A failed turn generated nothing: no view gives it a speed. Its line says "–" for tokens/s where
 * a spoken turn says its figure (plain text and show, Markdown, HTML).
 */
import { describe, expect, it } from "vitest";
import { mdMessage } from "../../src/analysis/export-md.js";
import { htmlMessage } from "../../src/analysis/export-html.js";
import { messageText } from "../../src/observer/plain.js";
import type { DialogMessage } from "../../src/protocol/schemas.js";
import { makeCastRecord, makeTurn } from "../helpers/cast.js";

const r = makeCastRecord(3);
const spoken = makeTurn(r, 1, "chair", "Good evening.", { tokens: 8, tps: 25 });
const base = makeTurn(r, 2, "officer", "");
// every attempt failed, over 47 s; nothing generated
const failed: DialogMessage = { ...base, failed: true, error: "the model failed", metadata: { ...base.metadata, tokens_generated: 0, tokens_per_second: 0, generation_time_ms: 0, finished_at: base.metadata.started_at + 47_000 } };

describe("a failed turn's figures", () => {
  it("plain text: a spoken turn's tokens/s and generation time; a failed turn's – and how long it took to fail", () => {
    expect(messageText(spoken)).toMatch(/8 tokens · 25\.0 tok\/s · ttft \d+ ms · 3\.00 s ·/);
    expect(messageText(failed)).toMatch(/0 tokens · – tok\/s · ttft .* · failed after 47\.0 s ·/);
  });

  it("HTML: the same", () => {
    expect(htmlMessage(failed, 1)).toMatch(/0 tokens · – tok\/s · first token .* · failed after 47\.0 s/);
    expect(htmlMessage(spoken, 0)).toMatch(/25\.0 tok\/s · first token .* · 3\.0 s/);
  });

  it("Markdown: the same", () => {
    expect(mdMessage(spoken)).toContain("25.0 tok/s");
    expect(mdMessage(failed)).toContain("0 tokens · – tok/s");
  });
});
