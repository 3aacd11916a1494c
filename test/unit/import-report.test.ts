/**
 * What `dialogue import` prints of its report (src/cli/import-report.ts): bad rows and sessions
 * not imported capped at 20 lines each, new and already-imported sessions counted apart in the
 * one-line cause, and a hint that fits what is left wrong.
 */
import { describe, expect, it } from "vitest";
import { failureOf, reportText, SHOWN } from "../../src/cli/import-report.js";
import type { ImportReport } from "../../src/import/importer.js";

const base: ImportReport = {
  file: "f.jsonl",
  sha256: "0".repeat(64),
  format: "jsonl",
  rows: 10,
  imported: [],
  already: [],
  rejected: [],
  bad_rows: [],
  bad_row_count: 0,
  unattributed: 0,
  unreadable: 0,
};
const imported = (session: string) => ({ id: `imp-${session}-0`, session, speakers: ["a", "b"], messages: 2, first: 0, last: 1000 });

describe("failureOf", () => {
  it("all imported: nothing to say", () => {
    expect(failureOf({ ...base, imported: [imported("A")] })).toBeNull();
  });

  it("after the bad rows are fixed only speaker counts are left: new and already-imported sessions counted apart, a hint about speakers, not rows", () => {
    const f = failureOf({
      ...base,
      imported: [imported("T"), imported("E")],
      already: [{ id: "imp-G-0", session: "G" }],
      rejected: [
        { session: "O", kind: "speakers", reason: "it has 1 speaker: a conversation has 2 to 8" },
        { session: "N", kind: "speakers", reason: "more than 8 speakers" },
      ],
    });
    expect(f?.message).toBe("2 sessions not imported; 2 sessions imported, 1 already imported");
    expect(f?.hint).toMatch(/^a session needs 2 to 8 speakers: check that --session-field and --speaker-field name the right fields/);
    expect(f?.hint).not.toMatch(/fix/);
  });

  it("bad rows of known sessions and speaker counts: both hints; a row of no session: the hint says nothing was imported and why", () => {
    const rows = failureOf({
      ...base,
      bad_rows: [{ place: "line 4", session: "T", problem: "bad time" }],
      bad_row_count: 1,
      rejected: [
        { session: "T", kind: "bad_row", reason: "its line 4 is bad" },
        { session: "O", kind: "speakers", reason: "it has 1 speaker" },
      ],
    });
    expect(rows?.message).toBe("1 bad row (line 4); 2 sessions not imported");
    expect(rows?.hint).toMatch(/^fix the bad rows and import the file again.*; a session needs 2 to 8 speakers/);

    const noSession = failureOf({ ...base, bad_rows: [{ place: "line 2", session: null, problem: 'no session field "session_id"' }], bad_row_count: 1, unattributed: 1, rejected: [{ session: "A", kind: "no_session", reason: "…" }] });
    expect(noSession?.hint).toBe("a row with no session could be any session's, so nothing was imported: give it its session, then import the file again");
    const notJson = failureOf({ ...base, bad_rows: [{ place: "line 2", session: null, problem: "not JSON" }], bad_row_count: 1, unattributed: 1, unreadable: 1 });
    expect(notJson?.hint).toMatch(/^a row that is not a JSON object names no session, so nothing was imported/);
  });
});

describe("reportText", () => {
  it("prints the first 20 bad rows and sessions not imported, then how many more", () => {
    const n = 300;
    const r: ImportReport = {
      ...base,
      rows: n,
      bad_rows: Array.from({ length: n }, (_, i) => ({ place: `line ${i + 1}`, session: `s${i}`, problem: "bad time" })),
      bad_row_count: n,
      rejected: Array.from({ length: n }, (_, i) => ({ session: `s${i}`, kind: "bad_row" as const, reason: `its line ${i + 1} is bad` })),
    };
    const lines = reportText(r, "").split("\n");
    expect(lines.filter((l) => /^ {2}line \d+ \(session/.test(l))).toHaveLength(SHOWN);
    expect(lines.filter((l) => /^ {2}session s\d+:/.test(l))).toHaveLength(SHOWN);
    expect(lines).toContain("  … and 280 more bad rows (--json lists them all)");
    expect(lines).toContain("  … and 280 more sessions (--json lists them all)");
    // more than the report keeps
    const big = reportText({ ...r, bad_row_count: 5000, bad_rows: r.bad_rows.slice(0, 1000) }, "");
    expect(big).toContain("  … and 4,980 more bad rows (--json lists the first 1,000)");
  });
});
