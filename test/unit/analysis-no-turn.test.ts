/**
 * A run with no turn has no duration in its analysis, whatever ended it — as `dialogue list`,
 * `show` and the end summaries say it ("–") — not the time between its start and its end.
 */
import { describe, expect, it } from "vitest";
import { analyze } from "../../src/analysis/analyzer.js";
import { reportText } from "../../src/analysis/report-text.js";
import { makeMessage, makeRecord, T0 } from "../helpers/conversation.js";

describe("the analysis of a run with no turn", () => {
  it("stopped 4 s after its start, before any turn was recorded: no duration", () => {
    const rec = makeRecord({ status: "stopped", stop_reason: "user_stop", started_at: T0, ended_at: T0 + 4_000, turns: 0 });
    const a = analyze(rec, [], { now: T0 + 10_000 });
    expect(a.run.turns).toBe(0);
    expect(a.run.duration_s).toBeNull();
    expect(reportText(a)).toMatch(/· 0 turns · .*· –$/m);
  });
  it("a run with one turn keeps its duration, start to end", () => {
    const rec = makeRecord({ status: "stopped", stop_reason: "user_stop", started_at: T0, ended_at: T0 + 4_000, turns: 1 });
    const a = analyze(rec, [makeMessage(1, "Good morning.")], { now: T0 + 10_000 });
    expect(a.run.duration_s).toBe(4);
  });
});
