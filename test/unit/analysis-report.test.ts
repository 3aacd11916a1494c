/**
 * The views of an analysis: terminal report, Markdown, HTML page, comparison. They are built
 * from the same rows, so they show the same figures, for two agents or more.
 */
import { describe, expect, it } from "vitest";
import { analyze } from "../../src/analysis/analyzer.js";
import { compareRows, compareText } from "../../src/analysis/compare.js";
import { agentIndex, analysisSection, htmlFoot, htmlHead, htmlMessage, htmlPlaced } from "../../src/analysis/export-html.js";
import { turnCounter } from "../../src/protocol/turn-count.js";
import { mdFoot, mdHead, mdMessage } from "../../src/analysis/export-md.js";
import { reportMarkdown } from "../../src/analysis/report-md.js";
import { agentRows } from "../../src/analysis/report-rows.js";
import { reportText } from "../../src/analysis/report-text.js";
import { PALETTE } from "../../src/analysis/svg.js";
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
    const doc = mdHead(healthy.record) + healthy.messages.map((m) => mdMessage(m)).join("") + mdFoot(a);
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
  it("the web page's analysis opens with the run's headline (the export says it in its head, once)", () => {
    const a = analyze(healthy.record, healthy.messages);
    const withSummary = analysisSection(a, { summary: true });
    expect(withSummary).toMatch(/<p class="meta" id="summary">completed \([a-z_]+\) · \d+ turns · .+ tokens generated · .+ · models: /);
    expect(analysisSection(a)).not.toContain('id="summary"');
    const page = htmlHead(healthy.record, a);
    expect(page).toMatch(/<p class="meta">conversation \S+ · completed \(/);
    expect(page).not.toContain('id="summary"');
  });
  it("escapes the transcript", () => {
    const m = { ...healthy.messages[0]!, content: { ...healthy.messages[0]!.content, message: "<b>bold</b> & \"quoted\"" } };
    expect(htmlMessage(m, 0)).toContain("&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;");
  });
  it("a failed turn says why, and each failed attempt why, escaped; not an empty message", () => {
    const base = healthy.messages[1]!;
    const attempt = (n: number) => ({ attempt: n, provider: "ollama" as const, model: "llama3.2", cause: "stalled" as const, error: "no first token within 100 ms <slow>", at: base.metadata.started_at, retry_after_ms: null, wait_ms: n === 1 ? 500 : null });
    const m = { ...base, failed: true, error: "gave up after 2 attempts over 1 s (retry budget 2 s, queues.retry_budget_ms)", content: { ...base.content, message: "" }, metadata: { ...base.metadata, attempt: 2, failed_attempts: [attempt(1), attempt(2)] } };
    const html = htmlMessage(m, 0);
    expect(html).toContain('<div class="failure">failed: gave up after 2 attempts over 1 s (retry budget 2 s, queues.retry_budget_ms)</div>');
    expect(html).toContain("<li>attempt 1 failed (stalled): no first token within 100 ms &lt;slow&gt;; retried after 0.5 s</li>");
    expect(html).toContain("<li>attempt 2 failed (stalled): no first token within 100 ms &lt;slow&gt;</li>");
    expect(html).not.toContain("(nothing)");
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

describe("four agents, a person, a skipped turn and a narrator's remark (meeting fixture)", () => {
  const meeting = loadFixture("meeting");
  const m = analyze(meeting.record, meeting.entries, { now: 0 });
  const panel = loadFixture("panel");
  const p = analyze(panel.record, panel.entries, { now: 0 });
  const lineOf = (text: string, start: string): string | undefined =>
    text
      .split("\n")
      .find((l) => l.trimStart().startsWith(start))
      ?.replace(/\s+/g, " ")
      .trim();

  it("the terminal report: every agent, the person without model figures, and the turn-taking table", () => {
    const text = reportText(m, { windows: true });
    expect(text).toContain("completed (max_turns) · 10 turns (1 skipped) · 1 narrator's remark · 70 tokens generated");
    expect(text).toContain("pat person");
    for (const id of ["chair", "clerk", "pat", "dev"]) expect(text).toMatch(new RegExp(`^  agent .*\\b${id}\\b`, "m"));
    // the person's column: "person", a skipped turn, no tokens/s or first token, their time to answer
    const sim = "simulated-1 [simulated]";
    expect(lineOf(text, "model ")).toBe(`model ${sim} ${sim} person ${sim}`);
    expect(lineOf(text, "skipped turns ")).toBe("skipped turns 0 0 1 0");
    const tps = "10.0 · 10.0 · 10.0";
    expect(lineOf(text, "tokens/s mean")).toBe(`tokens/s mean · p50 · p95 ${tps} ${tps} – ${tps}`);
    expect(lineOf(text, "answer time ")).toBe("answer time p50 · p95 – – 14.0 s · 19.4 s –");
    expect(text).toContain("turn order addressed · speakers chosen: first 1 · round robin 6 · addressed 3");
    expect(text).toContain("7 replies by models: 4 named another agent to answer, 1 named no one, 2 named themselves or no agent; the named agent spoke next 2 of 3 times a turn followed");
    expect(lineOf(text, "spoke ")).toBe("spoke share of words share of turns then chair then clerk then pat then dev");
    expect(lineOf(text, "pat ")).toBe("pat 18% 22% 0 0 0 2");
    expect(lineOf(text, "dev ")).toBe("dev 30% 33% 1 1 0 0");
    // a person has no line in the tokens/s sparklines
    expect(text).not.toContain("tokens/s pat");
    expect(text).toContain("sentiment pat");
  });

  it("on a terminal, a table wider than it is cut into blocks that fit, each with the row labels; piped, never", () => {
    const agentsPart = (text: string) => text.slice(text.indexOf("Agents"), text.indexOf("Turn-taking"));
    const narrow = agentsPart(reportText(m, { width: 100 }));
    expect(narrow.split("\n").every((l) => [...l].length <= 100)).toBe(true);
    expect(narrow.match(/^ {2}tokens\/s mean · p50 · p95/gm)).toHaveLength(2);
    expect(narrow.match(/^ {2}agent +chair +clerk$/m)).not.toBeNull();
    expect(narrow.match(/^ {2}agent +pat +dev$/m)).not.toBeNull();
    // wide enough, or no terminal: one table
    for (const text of [reportText(m, { width: 200 }), reportText(m)]) {
      expect(agentsPart(text).match(/^ {2}tokens\/s mean · p50 · p95/gm)).toHaveLength(1);
      expect(agentsPart(text)).toMatch(/^ {2}agent +chair +clerk +pat +dev$/m);
    }
    const compared = compareText([a, m, p], { width: 120 });
    expect(compared.split("\n").every((l) => [...l].length <= 120)).toBe(true);
    for (const id of ["fx-healthy", "fx-meeting", "fx-panel"]) expect(compared).toContain(id);
  });

  it("Markdown: the turn-taking table, the moderator's choices under a moderator", () => {
    const md = reportMarkdown(m);
    expect(md).toContain("## Turn-taking");
    expect(md).toContain("| spoke | share of words | share of turns | then chair | then clerk | then pat | then dev |");
    expect(md).toContain("| chair | 35% | 22% | 0 | 1 | 1 | 0 |");
    const pm = reportMarkdown(p);
    expect(pm).toContain("| spoke | share of words | share of turns | then host | then ana | then ben | then cal | moderator chose |");
    expect(pm).toContain("| host | 23% | 38% | 0 | 1 | 1 | 1 | 2 |");
    expect(pm).toContain("the moderator chose 6 turns; 1 went round robin instead");
  });

  it("the Markdown export marks the person, the skipped turn and the narrator's remark, with no model figures for them", () => {
    const placeIn = turnCounter();
    const doc = mdHead(meeting.record) + meeting.messages.map((x) => mdMessage(x, undefined, placeIn(x))).join("") + mdFoot(m);
    expect(doc).toContain("- **Pat Ruiz** — resident (`pat`, a person)");
    expect(doc).toContain("**[2] Pat Ruiz** (resident, person)\n\n> I like the plan but the stops are too far apart.\n\n<sub>answered in 20.0 s · typed by a person: no tokens or speed</sub>");
    // the remark (message 3) has no turn number: the turn after it is turn 3, as every other label says
    expect(doc).toContain("**[·] Narrator** (a narrator's remark after turn 2, not a turn)\n\n> The lights flicker and the projector goes dark.\n\n**[3] Dev Rao**");
    expect(doc).toContain("**[5] Pat Ruiz** (resident, person) [skipped]\n\n_(no answer within 120 s");
    expect(doc).toContain("**[10] Dev Rao**");
    expect(doc).not.toContain("**[11]");
  });

  it("HTML: the turn-taking table, persons and remarks marked, model text escaped", () => {
    const index = agentIndex(meeting.record);
    const placeIn = turnCounter();
    const page = htmlHead(meeting.record, m) + meeting.messages.map((x) => htmlPlaced(x, placeIn(x), index, new Map())).join("") + htmlFoot();
    expect(page).toContain('<h3 id="turn-taking">Turn-taking</h3>');
    expect(page).toContain("<tr><td>pat</td><td>18%</td><td>22%</td><td>0</td><td>0</td><td>0</td><td>2</td></tr>");
    expect(page).toContain('(pat · <span class="person">a person</span>)');
    expect(page).toMatch(/<li class="msg narrator" id="msg-3" data-seq="3" data-source="narrator"><div><span class="who">\[·\] Narrator<\/span> <span class="meta">\(a narrator's remark after turn 2, not a turn\)/);
    expect(page).toMatch(/<li class="msg a2 skipped" id="turn-5" data-seq="6" data-turn="5"[^>]*><div><span class="who">\[5\] Pat Ruiz/);
    expect(page).toContain('<span class="person">person</span>');
    // a person generates no tokens: no line of theirs in the speed chart, and the chart keeps each agent's colour
    const speed = /<svg class="chart" data-chart="tokens-per-second"[\s\S]*?<\/svg>/.exec(page)?.[0] ?? "";
    expect(speed).not.toContain("■</tspan> pat");
    expect(speed).toContain("■</tspan> chair");
    expect(speed).toContain(`<tspan fill="${PALETTE[3]}">■</tspan> dev`);
    // what a model wrote, a moderator's reason included, is escaped
    const evil = meeting.messages[4]!;
    const html = htmlMessage(
      { ...evil, content: { ...evil.content, message: "<img src=x onerror=alert(1)>" }, metadata: { ...evil.metadata, turn_choice: { how: "moderator", by: "manager", reason: "<script>x</script>" } } },
      1,
    );
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(html).toContain("chosen: by the moderator — &lt;script&gt;x&lt;/script&gt;");
    expect(html).not.toMatch(/<img|<script/);
  });

  it("HTML: why a speaker spoke when the turn order chose — a draw, a moderator, a name, and a fall back to round robin in a run of another order", () => {
    const base = meeting.messages[4]!;
    const said = (how: "first" | "round_robin" | "random" | "addressed" | "moderator", by: string, reason: string, order?: "round_robin" | "random" | "addressed" | "moderator") =>
      /<span class="choice">(.*?)<\/span>/.exec(htmlMessage({ ...base, metadata: { ...base.metadata, turn_choice: { how, by, reason } } }, 1, [], order))?.[1] ?? null;
    expect(said("random", "manager", "drawn at random (seed 7) from everyone but Pat, who spoke last", "random")).toBe("chosen: at random — drawn at random (seed 7) from everyone but Pat, who spoke last");
    expect(said("addressed", "pat", "Pat named Dev (dev) to answer")).toBe("chosen: named by pat — Pat named Dev (dev) to answer");
    const fallback = "the moderator could not choose (timeout); round robin: after Pat, in the agents' order";
    expect(said("round_robin", "manager", fallback, "moderator")).toBe(`chosen: round robin — ${fallback.replace("'", "&#39;")}`);
    // in a round-robin run, nobody chose: nothing to say
    expect(said("round_robin", "manager", "after Pat, in the agents' order", "round_robin")).toBeNull();
    expect(said("round_robin", "manager", "after Pat, in the agents' order")).toBeNull();
    expect(said("first", "manager", "Chair opens the conversation", "moderator")).toBeNull();
  });

  it("compare: a two-agent and a four-agent run side by side, every row with a cell per agent", () => {
    const { runs, agents } = compareRows([a, m]);
    expect(agents[0]).toEqual(["run", "fx-healthy", "fx-healthy", "fx-meeting", "fx-meeting", "fx-meeting", "fx-meeting"]);
    expect(agents[1]).toEqual(["agent", "a", "b", "chair", "clerk", "pat", "dev"]);
    for (const r of agents) expect(r).toHaveLength(7);
    expect(agents.find((r) => r[0] === "model")?.[5]).toBe("person");
    expect(agents.find((r) => r[0] === "skipped turns")).toEqual(["skipped turns", "0", "0", "0", "0", "1", "0"]);
    expect(agents.find((r) => r[0] === "then spoke (times)")).toEqual(["then spoke (times)", "b 3", "a 2", "clerk 1, pat 1", "pat 1, dev 1", "dev 2", "chair 1, clerk 1"]);
    expect(runs.find((r) => r[0] === "agents")).toEqual(["agents", "2", "4 (1 person)"]);
    expect(runs.find((r) => r[0] === "turn order")).toEqual(["turn order", "round robin", "addressed"]);
    expect(runs.find((r) => r[0] === "named agent spoke next")).toEqual(["named agent spoke next", "–", "2 of 3"]);
    expect(runs.find((r) => r[0] === "skipped turns · narrator's remarks")).toEqual(["skipped turns · narrator's remarks", "0 · 0", "1 · 1"]);
  });
});
