/**
 * A run whose turns failed is never shown as plainly "completed": every view that says a run's
 * status says the turns that went wrong with it — show, list, the Markdown export, compare, the
 * TUI's header, the web page (its status and "This run has ended"), a stop of a run that had
 * already ended, and `run --count`'s lines.
 */
import { describe, expect, it } from "vitest";
import { analyze } from "../../src/analysis/analyzer.js";
import { runStatusText } from "../../src/analysis/format.js";
import { mdHead } from "../../src/analysis/export-md.js";
import { runRows } from "../../src/analysis/report-rows.js";
import { endedLine, totalLine, type Ended } from "../../src/cli/batch.js";
import { alreadyEndedText } from "../../src/observer/already-ended.js";
import { statusText } from "../../src/observer/tui/Header.js";
import { livePage } from "../../src/server/html/pages.js";
import { runStateText } from "../../src/server/html/run-state.js";
import { makeRecord, T0 } from "../helpers/conversation.js";
import { loadFixture } from "../helpers/fixtures.js";

const ended = makeRecord({ status: "completed", stop_reason: "max_turns", turns: 4, failed_turns: 2, stalled_turns: 1, ended_at: T0 + 60_000 });
const clean = makeRecord({ status: "completed", stop_reason: "max_turns", turns: 4, failed_turns: 0, stalled_turns: 0, ended_at: T0 + 60_000 });

describe("a run's status with the turns that went wrong", () => {
  it("runStatusText: the status, its stop reason, then the failed and stalled turns; a clean run as before", () => {
    expect(runStatusText(ended)).toBe("completed (max_turns) · 2 failed, 1 stalled");
    expect(runStatusText(clean)).toBe("completed (max_turns)");
    expect(runStatusText({ status: "running", stop_reason: null, failed_turns: 1, stalled_turns: 0 })).toBe("running · 1 failed");
  });

  it("the Markdown export's head, the TUI's header, the web page and a stop of an ended run say it", () => {
    expect(mdHead(ended)).toContain("· completed (max_turns) · 2 failed, 1 stalled");
    expect(statusText(ended)).toBe("completed (max_turns) · 2 failed, 1 stalled");
    expect(runStateText(ended)).toMatch(/^This run has ended: completed \(max_turns\) · 2 failed, 1 stalled at /);
    expect(livePage(ended, "dialogue")).toContain(">completed (max_turns) · 2 failed, 1 stalled</span>");
    expect(alreadyEndedText(ended)).toMatch(/had already ended: completed \(max_turns\) · 2 failed, 1 stalled at /);
    // a run none of whose turns went wrong reads as it did
    expect(statusText(clean)).toBe("completed (max_turns)");
    // while it runs, the turns that went wrong so far
    expect(statusText(makeRecord({ status: "running", turns: 3, failed_turns: 1 }))).toBe("running · 1 failed");
  });

  it("run --count: each run's line and the total", () => {
    const e = (failed: number): Ended => ({ id: `r${failed}`, status: "completed", stop_reason: "max_turns", turns: 6, tokens: 400, started_at: T0, ended_at: T0 + 3000, error: null, failed_turns: failed, stalled_turns: 0 });
    expect(endedLine(e(2), 1, 2)).toBe("[1/2] r2 completed (max_turns) · 2 failed · 6 turns · 400 tokens · 3.0 s");
    expect(endedLine(e(0), 2, 2)).toBe("[2/2] r0 completed (max_turns) · 6 turns · 400 tokens · 3.0 s");
    expect(totalLine([e(2), e(0)], { completed: 2 }, 12, 800, 3, 4)).toBe("2 conversations: 2 completed · 12 turns (2 failed) · 800 tokens · 3.0 s · 4.0 turns/s");
  });

  it("compare's status row", () => {
    const fx = loadFixture("failing");
    const a = analyze(fx.record, fx.entries, { now: 0 });
    const status = runRows(a).find(([k]) => k === "status")?.[1];
    expect(a.run.failed_turns).toBe(2);
    expect(status).toBe(`${a.run.status} (${a.run.stop_reason}) · 2 failed`);
    // and an imported conversation's: no tokens counted, not 0
    expect(runRows({ ...a, run: { ...a.run, status: "imported", stop_reason: null } }).find(([k]) => k === "tokens generated")?.[1]).toBe("–");
  });
});
