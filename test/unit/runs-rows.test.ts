/** The web runs list says a run's troubles as `dialogue list` does: "failed (error) · 1 failed". */
import { describe, expect, it } from "vitest";
import { runRows } from "../../src/server/html/pages.js";
import { listItem } from "../../src/server/runs.js";
import { makeCastRecord } from "../helpers/cast.js";
import { T0 } from "../helpers/conversation.js";

describe("the web runs list", () => {
  it("a run whose turns failed or stalled says how many beside its status; one without says nothing more", () => {
    const r = makeCastRecord(2, { over: { status: "failed", stop_reason: "error", turns: 2, started_at: T0, ended_at: T0 + 5000 } });
    const failed = listItem({ ...r, failed_turns: 1, stalled_turns: 2 }, T0 + 6000);
    expect(failed).toMatchObject({ failed_turns: 1, stalled_turns: 2 });
    expect(runRows([failed])).toContain('<span class="status failed">failed (error)</span> <span class="meta trouble">· 1 failed, 2 stalled</span>');
    expect(runRows([listItem({ ...r, status: "completed", stop_reason: "max_turns" }, T0 + 6000)])).not.toContain("trouble");
  });
});
