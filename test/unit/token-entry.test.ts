/**
 * A token chunk as a token-stream entry (protocol/token-entry.ts): written field by field and read
 * back the same, including the notice of a failed attempt (`f`), which a reader of an older
 * version reads as a chunk with no text.
 */
import { describe, expect, it } from "vitest";
import { chunkFromEntry, tokenEntryFields } from "../../src/protocol/token-entry.js";
import type { TokenChunk } from "../../src/protocol/schemas.js";

const chunk: TokenChunk = { seq: 3, attempt: 1, agent_id: "a", text: "Hello", tokens: 2, t: 1_796_000_000_000 };

describe("token stream entries", () => {
  it("a chunk is read back as it was written", () => {
    expect(tokenEntryFields(chunk)).toEqual(["s", "3", "a", "1", "g", "a", "x", "Hello", "n", "2", "t", "1796000000000"]);
    expect(chunkFromEntry(tokenEntryFields(chunk))).toEqual(chunk);
  });

  it("a failed attempt's notice is read back with its cause, error and wait", () => {
    const notice: TokenChunk = { ...chunk, text: "", tokens: 0, failed: { cause: "rate_limited", error: "429: too many requests", wait_ms: 2100 } };
    const fields = tokenEntryFields(notice);
    expect(fields.slice(-2)).toEqual(["f", JSON.stringify(notice.failed)]);
    expect(chunkFromEntry(fields)).toEqual(notice);
    const fallback: TokenChunk = { ...notice, failed: { cause: "server_error", error: "500", wait_ms: null, fallback: "ollama/llama3.2" } };
    expect(chunkFromEntry(tokenEntryFields(fallback))).toEqual(fallback);
  });

  it("a notice that is not JSON, or names an unknown cause, is no chunk (never throws)", () => {
    const fields = tokenEntryFields({ ...chunk, text: "", tokens: 0 });
    expect(chunkFromEntry([...fields, "f", "{not json"])).toBeNull();
    expect(chunkFromEntry([...fields, "f", JSON.stringify({ cause: "bad luck", error: "x", wait_ms: 1 })])).toBeNull();
  });

  it("a notice that does not validate is not written", () => {
    expect(() => tokenEntryFields({ ...chunk, failed: { cause: "rate_limited", error: "x", wait_ms: -1 } })).toThrow();
  });
});
