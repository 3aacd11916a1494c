/**
 * `dialogue list`'s table on a terminal: the fixed columns whole, SCENARIO and MODELS cut to what
 * is left of the width (SCENARIO left out first), and nothing cut when piped.
 */
import { describe, expect, it } from "vitest";
import { listTable, type ListRow } from "../../src/cli/list-table.js";

const YEAR = new Date().getUTCFullYear();
const row = (agents: number, scenario: string): ListRow => ({
  id: "20261130-234828-2bd95",
  started: `${YEAR}-11-30 23:48:28`,
  duration: "10.3s",
  turns: 3,
  agents,
  status: "completed (max_turns)",
  scenario,
  models: "ollama/llama3.2:3b, simulated-1 [simulated]",
});
const rows = [row(5, "Town hall: a tram line down the high street"), row(2, "A chance meeting")];

describe("list table", () => {
  it("piped: every column whole, the agent count under AGENTS", () => {
    const [head, a, b] = listTable(rows);
    expect(head).toMatch(/^ID\s+STARTED \(UTC\)\s+DURATION\s+TURNS\s+AGENTS\s+STATUS\s+SCENARIO\s+MODELS$/);
    expect(a).toMatch(/\s3\s+5\s+completed \(max_turns\)\s+Town hall: a tram line down the high street\s+ollama\/llama3\.2:3b, simulated-1 \[simulated\]$/);
    expect(b).toMatch(/\s3\s+2\s+completed \(max_turns\)\s+A chance meeting\s+ollama/);
  });

  it("on a terminal: the scenario and the models share what is left of its width, cut with …", () => {
    const lines = listTable(rows, 150);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(150);
    expect(lines[1]).toMatch(/\s5\s+completed \(max_turns\)\s+Town hall: a tram.*…\s+ollama\/llama3\.2:3b, .*…?$/);
  });

  it("on a narrow terminal the scenario goes first, the fixed columns stay whole", () => {
    const lines = listTable(rows, 105);
    expect(lines[0]).not.toContain("SCENARIO");
    expect(lines[1]).toMatch(new RegExp(`^20261130-234828-2bd95\\s+${YEAR}-11-30 23:48:28\\s+10\\.3s\\s+3\\s+5\\s+completed \\(max_turns\\)\\s+ollama/llama…$`));
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(105);
  });
});

describe("list table at 80 columns", () => {
  it("no line wraps: STARTED loses its year and seconds, AGENTS goes, STATUS is cut only when it must", () => {
    const long = { ...row(2, "A chance meeting"), status: "failed (no turn succeeded; ended by duration) · 2 failed" };
    const lines = listTable([row(2, "A chance meeting"), long], 80);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(lines[0]).toMatch(/^ID\s+STARTED \(UTC\)\s+DURATION\s+TURNS\s+STATUS$/);
    expect(lines[1]).toMatch(/^20261130-234828-2bd95\s+11-30 23:48\s+10\.3s\s+3\s+completed \(max_turns\)$/);
    // cut, a status loses its stop reason before the turns that went wrong: never plainly "failed" or "completed"
    expect(lines[2]).toMatch(/^20261130-234828-2bd95\s+11-30 23:48\s+10\.3s\s+3\s+failed · 2 failed$/);
  });

  it("a row of another year (an imported recording) keeps every row's year; only the seconds go", () => {
    const old = { ...row(2, "A recording"), started: "2023-03-01 09:00:00", id: "imp-S-1001-89ab93debd8e" };
    const lines = listTable([row(2, "A chance meeting"), old], 80);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(lines[1]).toContain(` ${YEAR}-11-30 23:48 `);
    expect(lines[2]).toContain(" 2023-03-01 09:00 ");
  });

  it("at 60 columns DURATION goes rather than STATUS be cut to a stump; at 45, STARTED too", () => {
    const stopped = { ...row(2, "A chance meeting"), status: "stopped (user_stop) · 1 failed" };
    const at60 = listTable([row(2, "A chance meeting"), stopped], 60);
    for (const l of at60) expect(l.length).toBeLessThanOrEqual(60);
    expect(at60[0]).toMatch(/^ID\s+STARTED \(UTC\)\s+TURNS\s+STATUS$/);
    expect(at60[1]).toMatch(/^20261130-234828-2bd95\s+11-30 23:48\s+3\s+completed$/);
    expect(at60[2]).toMatch(/^20261130-234828-2bd95\s+11-30 23:48\s+3\s+sto… · 1 failed$/);
    const at45 = listTable([row(2, "A chance meeting"), stopped], 45);
    for (const l of at45) expect(l.length).toBeLessThanOrEqual(45);
    expect(at45[0]).toMatch(/^ID\s+TURNS\s+STATUS$/);
    expect(at45[2]).toMatch(/^20261130-234828-2bd95\s+3\s+sto… · 1 failed$/);
  });

  it("a status with failed turns keeps them when it is cut, and gives its stop reason up first", () => {
    const failing = { ...row(2, "A chance meeting"), status: "completed (max_turns) · 2 failed" };
    const at80 = listTable([row(2, "A chance meeting"), failing], 80);
    for (const l of at80) expect(l.length).toBeLessThanOrEqual(80);
    expect(at80[2]).toMatch(/\s3\s+completed · 2 failed$/);
    // failed and stalled turns: at 80 columns the status (25 wide here) keeps the failed ones
    const both = { ...failing, status: "completed (max_turns) · 2 failed, 1 stalled" };
    const at80b = listTable([row(2, "A chance meeting"), both], 80);
    for (const l of at80b) expect(l.length).toBeLessThanOrEqual(80);
    expect(at80b[2]).toMatch(/\s3\s+completed · 2 failed$|\s3\s+compl.*… · 2 failed$/);
    // with no room for SCENARIO and MODELS at all, STATUS gives up stop reasons to leave MODELS some (which says what is simulated)
    const at100 = listTable([row(2, "A chance meeting"), failing], 100);
    for (const l of at100) expect(l.length).toBeLessThanOrEqual(100);
    expect(at100[0]).toMatch(/\sSTATUS\s+MODELS$/);
    expect(at100[2]).toMatch(/\s2\s+completed · 2 failed\s+ollama\/llama3\..*…$/);
  });

  it("where it fits, the full start time and the agent count", () => {
    expect(listTable(rows, 105)[1]).toMatch(new RegExp(`${YEAR}-11-30 23:48:28\\s+10\\.3s\\s+3\\s+5\\s+completed`));
  });
});
