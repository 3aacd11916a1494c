/**
 * A run's duration, as list, show, the analysis and `run --count`'s lines say it (protocol/record.ts
 * spanSeconds): from its start to its end; none for a run that never started, has not ended, or had
 * no turn — whatever ended it.
 */
import { describe, expect, it } from "vitest";
import { spanSeconds } from "../../src/protocol/record.js";

describe("spanSeconds", () => {
  it("start to end, in seconds", () => {
    expect(spanSeconds(1_000, 13_500, 4)).toBe(12.5);
  });
  it("no turn: no duration, though the run started and ended", () => {
    expect(spanSeconds(1_000, 61_000, 0)).toBeNull();
  });
  it("never started, or not ended: none", () => {
    expect(spanSeconds(null, 61_000, 3)).toBeNull();
    expect(spanSeconds(1_000, null, 3)).toBeNull();
  });
  it("an end recorded before the start (clocks of two hosts) is 0, never negative", () => {
    expect(spanSeconds(5_000, 4_000, 2)).toBe(0);
  });
});
