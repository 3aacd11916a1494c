/** A run's status as every view shows it (analysis/format.ts statusLabel). */
import { describe, expect, it } from "vitest";
import { statusLabel } from "../../src/analysis/format.js";

describe("statusLabel", () => {
  it("gives the status and its stop reason", () => {
    expect(statusLabel("completed", "max_turns")).toBe("completed (max_turns)");
    expect(statusLabel("failed", "error")).toBe("failed (error)");
    expect(statusLabel("failed", "abandoned")).toBe("failed (abandoned)");
    expect(statusLabel("stopped", "user_stop")).toBe("stopped (user_stop)");
  });

  it("says a run that ended as planned failed because no turn succeeded, not because of its limit", () => {
    for (const reason of ["max_turns", "duration", "loop", "token_budget", "agent_ended"]) {
      expect(statusLabel("failed", reason)).toBe(`failed (no turn succeeded; ended by ${reason})`);
    }
  });

  it("an imported run has no stop reason to speak of; a running one says it has none yet", () => {
    expect(statusLabel("imported", null)).toBe("imported");
    expect(statusLabel("running", null)).toBe("running (no stop reason yet)");
    expect(statusLabel("running", null, "–")).toBe("running (–)");
  });
});
