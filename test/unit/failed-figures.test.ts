/**
 * A failed turn generated nothing: no view gives it a speed. Its line says "–" for tokens/s where
 * a spoken turn says its figure (plain text and show, Markdown, HTML).
 */
import { describe, expect, it } from "vitest";
import { mdMessage } from "../../src/analysis/export-md.js";
import { messageText } from "../../src/observer/plain.js";
import type { DialogMessage } from "../../src/protocol/schemas.js";
import { makeCastRecord, makeTurn } from "../helpers/cast.js";

const r = makeCastRecord(3);
const spoken = makeTurn(r, 1, "chair", "Good evening.", { tokens: 8, tps: 25 });
const failed: DialogMessage = { ...makeTurn(r, 2, "officer", ""), failed: true, error: "the model failed", metadata: { ...makeTurn(r, 2, "officer", "").metadata, tokens_generated: 0, tokens_per_second: 0 } };

describe("a failed turn's figures", () => {
  it("plain text: a spoken turn's tokens/s, a failed turn's –", () => {
    expect(messageText(spoken)).toContain("8 tokens · 25.0 tok/s ·");
    expect(messageText(failed)).toContain("0 tokens · – tok/s ·");
  });

  it("Markdown: the same", () => {
    expect(mdMessage(spoken)).toContain("25.0 tok/s");
    expect(mdMessage(failed)).toContain("0 tokens · – tok/s");
  });
});
