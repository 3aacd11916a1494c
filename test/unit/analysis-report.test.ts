/**
 * The views of an analysis: terminal report, Markdown, HTML page, comparison. They are built
 * from the same rows, so they show the same figures.
 */
import { describe, expect, it } from "vitest";
import { analyze } from "../../src/analysis/analyzer.js";
import { compareRows, compareText } from "../../src/analysis/compare.js";
import { htmlFoot, htmlHead, htmlMessage } from "../../src/analysis/export-html.js";
import { mdFoot, mdHead, mdMessage } from "../../src/analysis/export-md.js";
import { reportMarkdown } from "../../src/analysis/report-md.js";
import { agentRows } from "../../src/analysis/report-rows.js";
import { reportText } from "../../src/analysis/report-text.js";
import { loadFixture } from "../helpers/fixtures.js";

const healthy = loadFixture("healthy");
const a = analyze(healthy.record, healthy.entries, { now: 0 });
const looping = loadFixture("looping");
const b = analyze(looping.record, looping.entries, { now: 0 });

describe("terminal report", () => {
  const text = reportText(a, { windows: true });
  it("has the run, a table of the agents, orchestration, content, flags and windows", () => {
    expect(text).toContain("Analysis of fx-healthy — The vendor problem");
    expect(text).toContain("completed (max_turns) · 6 turns · 121 tokens generated · 700 prompt tokens · 6.6 s");
    expect(text).toMatch(/tokens\/s mean · p50 · p95 +17\.7 · 18\.0 · 19\.8 +25\.0 · 25\.0 · 29\.5/);
    expect(text).toMatch(/first token p50 · p95 +200 ms · 245 ms +350 ms · 395 ms/);
    expect(text).toContain("p50 20 ms · p99 59 ms · max 60 ms (5 handoffs)");
    expect(text).toContain(
      "49 words · lexical diversity (MATTR) 0.73 · repeats own 3-grams 0% · echoes the previous speaker's 3-grams 5% · word overlap between consecutive windows 0.13 · 2 questions · turn balance (share of words) 0.94",
    );
    expect(text).not.toContain("drift");
    expect(text).toMatch(/Flags\n  none/);
    expect(text).toContain("Over time: 3 windows of 2t (auto)");
    expect(text).toMatch(/tokens\/s a +[▁-█]{3}/);
  });
  it("names each flag with the turn where it starts", () => {
    expect(reportText(b)).toContain("looping from turn 5 (a): detected at turn 9, lasts to turn 9");
  });
  it("labels simulated models", () => {
    expect(text).toContain("simulated-1 [simulated]");
  });
});

describe("Markdown", () => {
  it("tables with the same figures as the terminal report", () => {
    const md = reportMarkdown(a);
    expect(md).toContain("# Analysis of fx-healthy");
    expect(md).toContain("| tokens/s mean · p50 · p95 | 17.7 · 18.0 · 19.8 | 25.0 · 25.0 · 29.5 |");
    expect(md).toContain("| --- | ---: | ---: |");
  });
  it("the export has the transcript, quoted, and the report", () => {
    const doc = mdHead(healthy.record) + healthy.messages.map(mdMessage).join("") + mdFoot(a);
    expect(doc).toContain("## Transcript");
    expect(doc).toContain("**[1] Ann Lee** (buyer, simulated-1 [simulated])");
    expect(doc).toContain("> Good morning Ben. Can we talk about the budget?");
    expect(doc).toContain("## Analysis of fx-healthy");
  });
});

describe("HTML", () => {
  const page = htmlHead(healthy.record, a) + healthy.messages.map((m, i) => htmlMessage(m, i % 2)).join("") + htmlFoot();
  it("is one page with inline SVG charts and no scripts or external resources", () => {
    expect(page.startsWith("<!doctype html>")).toBe(true);
    expect(page.match(/<svg class="chart"/g)).toHaveLength(4);
    for (const id of ["tokens-per-second", "sentiment", "content", "share-of-talk"]) expect(page).toContain(`data-chart="${id}"`);
    expect(page).not.toMatch(/<script|<link |src="http|href="http/);
  });
  it("escapes the transcript", () => {
    const m = { ...healthy.messages[0]!, content: { ...healthy.messages[0]!.content, message: "<b>bold</b> & \"quoted\"" } };
    expect(htmlMessage(m, 0)).toContain("&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;");
  });
  it("marks where a flag starts", () => {
    expect(htmlMessage(looping.messages[4]!, 0, ["looping"])).toContain('<span class="flag">looping starts</span>');
  });
});

describe("compare", () => {
  it("puts every agent of every run side by side, tokens/s included", () => {
    const { agents, runs } = compareRows([a, b]);
    expect(agents[0]).toEqual(["run", "fx-healthy", "fx-healthy", "fx-looping", "fx-looping"]);
    const tps = agents.find((r) => r[0] === "tokens/s mean · p50 · p95");
    expect(tps).toEqual(["tokens/s mean · p50 · p95", "17.7 · 18.0 · 19.8", "25.0 · 25.0 · 29.5", "10.0 · 10.0 · 10.0", "10.0 · 10.0 · 10.0"]);
    expect(runs.find((r) => r[0] === "status")).toEqual(["status", "completed (max_turns)", "completed (loop)"]);
    expect(runs.find((r) => r[0] === "flags")).toEqual(["flags", "none", "looping @5"]);
    expect(compareText([a, b])).toContain("fx-looping");
  });
  it("has as many columns as agents in every row", () => {
    for (const r of agentRows(a)) expect(r).toHaveLength(3);
  });
});
