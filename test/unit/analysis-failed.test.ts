/**
 * A failed turn is a turn the agent had, not a turn it spoke: counted as failed, its cost and the
 * time its attempts took kept, but left out of every figure of what was said (words per turn,
 * shares, speed, first token, generation time, sentiment, turn-taking, the flags' streaks), as a
 * person's skipped turn is. Figures computed by hand from test/fixtures/failing.json: Ann speaks
 * twice (12 and 3 words), Ben once (14 words) after a failed attempt, and Cid is given two turns
 * and speaks in neither (an unusable reply of which "Well, I" could be read, 6 s; then every
 * attempt failed, 47 s).
 */
import { describe, expect, it } from "vitest";
import { analyze } from "../../src/analysis/analyzer.js";
import { failedTimeMs } from "../../src/analysis/agent-acc.js";
import { analysisSection } from "../../src/analysis/export-html.js";
import { reportMarkdown } from "../../src/analysis/report-md.js";
import { reportText } from "../../src/analysis/report-text.js";
import { AnalysisSchema } from "../../src/analysis/schema.js";
import { messageText } from "../../src/observer/plain.js";
import { initialState } from "../../src/observer/tui/state.js";
import { agentStats } from "../../src/observer/tui/stats.js";
import { queueWaitText } from "../../src/protocol/lost-attempts.js";
import { loadFixture } from "../helpers/fixtures.js";

const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;
const s = (x: number): number => x / Math.sqrt(x * x + 15); // lexicon normalisation

const fx = loadFixture("failing");
const a = analyze(fx.record, fx.entries, { now: 0 });
const by = (id: string) => a.agents.find((g) => g.agent_id === id)!;

describe("the figures: a failed turn is had, not spoken", () => {
  it("is a valid analysis, with null where an agent that never spoke has no value", () => {
    expect(AnalysisSchema.parse(a).agents[2]?.sentiment.lexicon_mean).toBeNull();
    expect(by("c")).toMatchObject({
      turns: 2,
      failed_turns: 2,
      words: 0,
      words_per_turn: null,
      mattr: null,
      sentiment: { lexicon_mean: null, self_reported_mean: null, self_reported_n: 0 },
      tokens_per_second: { mean: null, p50: null, p95: null },
      time_to_first_token_ms: { mean: null, p50: null, p95: null },
    });
  });

  it("words per turn and the shares are over the 3 turns spoken, not the 5 taken", () => {
    // Ann 12 + 3, Ben 14: 29 words; "Well, I" of Cid's unusable reply is not counted
    expect(a.content.words).toBe(29);
    expect(a.agents.map((g) => g.words)).toEqual([15, 14, 0]);
    expect(a.agents.map((g) => g.words_per_turn)).toEqual([7.5, 14, null]);
    expect(a.agents.map((g) => g.share_of_talk)).toEqual([r4(15 / 29), r4(14 / 29), 0]);
    // 3 turns spoken: Ann 2, Ben 1, Cid none (of his 2)
    expect(a.agents.map((g) => g.share_of_turns)).toEqual([r4(2 / 3), r4(1 / 3), 0]);
    // 1 - (15/29 - 0)
    expect(a.content.turn_balance).toBe(r4(1 - 15 / 29));
  });

  it("sentiment is over the turns spoken: null for Cid, Ann's mean over her 2 turns", () => {
    expect(a.agents.map((g) => g.sentiment.lexicon_mean)).toEqual([r4(s(2) / 2), 0, null]); // "good", then nothing scored
  });

  it("what a failed turn cost counts; its time is time in failed attempts, not generation time", () => {
    // the unusable reply's 40 tokens and its prompt were spent; the turn whose attempts all failed generated none.
    // Its time: 6,000 ms (4,006,145 -> 4,012,145) + 47,000 ms (4,013,085 -> 4,060,085), the 5 s wait between its attempts included
    expect(by("c")).toMatchObject({ tokens_generated: 40, prompt_tokens: 50, failed_attempts: 2, generation_time_ms: 0, failed_time_ms: 53_000 });
    // Ben's retried turn: started 4,000,925, attempt 1 failed 3 s in, 1 s wait, then 1.2 s generating
    expect([by("b").generation_time_ms, by("b").failed_time_ms]).toEqual([1200, 4000]);
    expect([by("a").generation_time_ms, by("a").failed_time_ms]).toEqual([1800, 0]);
  });

  it("a failed turn's speed and first token are left out (the unusable reply's 16 tok/s, 300 ms)", () => {
    expect(by("c").tokens_per_second.mean).toBeNull();
    expect(by("c").time_to_first_token_ms.mean).toBeNull();
  });

  it("an attempt that failed before this worker started the turn, not lost (the request carried it), is counted, not timed again", () => {
    const m = fx.messages[1]!;
    const before = { ...m.metadata.failed_attempts[0]!, at: m.metadata.started_at - 10_000, wait_ms: null };
    expect(failedTimeMs({ failed: false, metadata: { ...m.metadata, failed_attempts: [before] } })).toBe(0);
    expect(failedTimeMs(m)).toBe(4000);
  });

  it("an attempt a worker lost (a crash, a kill): the time from the request to the attempt that went on is time in failed attempts, not a queue wait", () => {
    // Ben's one turn, taken again by another worker 5,617 ms after it was requested (its worker was
    // killed, and the queue gave the turn out again once the lock ran out); then it went as before
    const m = fx.messages[1]!;
    // (its `at`: when the worker that went on noticed it, just after it started)
    const lost = { ...m.metadata.failed_attempts[0]!, cause: "worker_lost" as const, at: m.metadata.started_at + 1, wait_ms: null };
    const md = { ...m.metadata, requested_at: m.metadata.started_at - 5617, queue_wait_ms: 5617 };
    const retried = { ...m, metadata: { ...md, failed_attempts: [lost] } };
    expect(failedTimeMs(retried)).toBe(5617);
    // lost, then an attempt of this worker failed (3 s in, 1 s wait): both
    expect(failedTimeMs({ ...m, metadata: { ...md, failed_attempts: [lost, m.metadata.failed_attempts[0]!] } })).toBe(5617 + 4000);
    // the lost worker had failed an attempt and was waiting to retry (its wait outlasting the lock)
    // when it was killed: that attempt and its wait are in the lost time, not counted again
    const before = { ...m.metadata.failed_attempts[0]!, at: md.requested_at + 500, wait_ms: 60_000 };
    expect(failedTimeMs({ ...m, metadata: { ...md, failed_attempts: [before, lost] } })).toBe(5617);
    // a failed turn with a lost attempt: its whole time, from the request
    expect(failedTimeMs({ failed: true, metadata: retried.metadata })).toBe(5617 + m.metadata.finished_at - m.metadata.started_at);

    const entries = fx.entries.map((e, i) => (i === 1 ? { ...e, message: retried } : e));
    const b = analyze(fx.record, entries, { now: 0 }).agents.find((g) => g.agent_id === "b")!;
    expect(b).toMatchObject({ failed_time_ms: 5617, failed_attempts: 1, failure_causes: { worker_lost: 1 }, retried_turns: 1, generation_time_ms: 1200 });
    // Ben's only turn waited for no worker that the figures could tell apart from the lost attempt
    expect(b.queue_wait_ms).toEqual({ mean: null, p50: null, p95: null });
    // the other agents' queue waits are as before
    const all = analyze(fx.record, entries, { now: 0 });
    expect(all.agents[0]?.queue_wait_ms).toEqual(by("a").queue_wait_ms);
    // nor is it a handoff: when the lost attempt began is not known (one handoff fewer, the others as they were)
    expect(all.orchestration.handoff_ms.n).toBe(a.orchestration.handoff_ms.n - 1);
  });

  it("turn-taking: a failed turn is passed over in who answered whom, and is no reply", () => {
    const t = a.turn_taking;
    // spoken: a b a, so a -> b and b -> a; Cid's failed turns 3 and 5 are passed over
    expect(t.who_answered_whom).toEqual([
      [0, 1, 0],
      [1, 0, 0],
      [0, 0, 0],
    ]);
    expect(t.pairs).toBe(2);
    // replies: turns 1, 2, 4 (each named someone); Cid was named twice and given the turn twice, but spoke neither
    expect(t.addressed).toEqual({ replies: 3, named: 3, absent: 0, invalid: 0, named_followed: 3, named_spoke_next: 1 });
  });

  it("flags: failed turns are flagged as such, and not as short replies ('Cid, your view?' is the only short one)", () => {
    expect(a.flag_counts).toMatchObject({ failed_turn: 2, retried_turn: 1, short_replies: 0 });
  });

  it("windows: a failed turn is a turn of its window, with its tokens, and no sentiment", () => {
    const c = a.windows.map((w) => w.agents.find((x) => x.agent_id === "c"));
    expect(c.map((x) => [x?.turns, x?.tokens, x?.words, x?.sentiment_lexicon, x?.tokens_per_second_mean])).toEqual([
      [0, 0, 0, null, null],
      [1, 40, 0, null, null],
      [1, 0, 0, null, null],
    ]);
  });
});

describe("the views say it", () => {
  const lineOf = (text: string, start: string): string | undefined =>
    text
      .split("\n")
      .find((l) => l.trimStart().startsWith(start))
      ?.replace(/\s+/g, " ")
      .trim();

  it("the terminal report: failed turns beside the turn count, the time in failed attempts, – where Cid has no value", () => {
    const text = reportText(a);
    expect(lineOf(text, "turns ")).toBe("turns 2 1 2 (2 failed)");
    expect(lineOf(text, "generation time ")).toBe("generation time 1.8 s 1.2 s 0.0 s");
    expect(lineOf(text, "time in failed attempts ")).toBe("time in failed attempts 0.0 s 4.0 s 53.0 s");
    expect(lineOf(text, "words per turn ")).toBe("words per turn 7.5 14.0 –");
    expect(lineOf(text, "share of talk ")).toBe("share of talk (words · turns) 52% · 67% 48% · 33% 0% · 0%");
    expect(lineOf(text, "sentiment lexicon ")).toBe("sentiment lexicon · self (n) +0.23 · – (0) 0.00 · +0.40 (1) – · – (0)");
    expect(text).toContain("the named agent spoke next 1 of 3 times a turn followed");
  });

  it("Markdown and HTML: the same rows", () => {
    const md = reportMarkdown(a);
    expect(md).toContain("| turns | 2 | 1 | 2 (2 failed) |");
    expect(md).toContain("| time in failed attempts | 0.0 s | 4.0 s | 53.0 s |");
    expect(md).toContain("| sentiment lexicon · self (n) | +0.23 · – (0) | 0.00 · +0.40 (1) | – · – (0) |");
    const html = analysisSection(a);
    expect(html).toContain("<tr><td>turns</td><td>2</td><td>1</td><td>2 (2 failed)</td></tr>");
    expect(html).toContain("<tr><td>words per turn</td><td>7.5</td><td>14.0</td><td>–</td></tr>");
    expect(html).toContain("<tr><td>sentiment lexicon · self (n)</td><td>+0.23 · – (0)</td><td>0.00 · +0.40 (1)</td><td>– · – (0)</td></tr>");
  });

  it("a turn the manager recorded (no worker of its pool took it up): no made-up queue wait of 0, no handoff", () => {
    // Ben's turn, as the manager records a turn no worker returned: failed, no attempt, queue_wait_ms 0
    const m = fx.messages[1]!;
    const byManager = { ...m, failed: true, error: "the turn never came back", metadata: { ...m.metadata, recorded_by: "manager" as const, failed_attempts: [], queue_wait_ms: 0, tokens_generated: 0 } };
    const entries = fx.entries.map((e, i) => (i === 1 ? { ...e, message: byManager } : e));
    const all = analyze(fx.record, entries, { now: 0 });
    expect(all.agents.find((g) => g.agent_id === "b")?.queue_wait_ms).toEqual({ mean: null, p50: null, p95: null });
    expect(all.orchestration.handoff_ms.n).toBe(a.orchestration.handoff_ms.n - 1);
    // and the TUI's and the web page's per-agent figures leave it out too
    const state = { ...initialState, record: fx.record, messages: fx.messages.map((x, i) => (i === 1 ? byManager : x)) };
    expect(agentStats(state).find((s) => s.agent_id === "b")?.last_queue_ms).toBeNull();
  });

  it("a turn's queue wait that holds a lost attempt says so (show, plain output and the TUI)", () => {
    const m = fx.messages[1]!;
    const lost = { ...m.metadata.failed_attempts[0]!, cause: "worker_lost" as const, at: m.metadata.started_at, wait_ms: null };
    const retried = { ...m, metadata: { ...m.metadata, queue_wait_ms: 5617, failed_attempts: [lost] } };
    expect(messageText(retried)).toContain(" · queue wait 5617 ms with a lost attempt · ");
    expect(messageText(m)).toContain(` · queue wait ${m.metadata.queue_wait_ms} ms · `);
    const two = { ...retried, metadata: { ...retried.metadata, failed_attempts: [lost, { ...lost, attempt: 2 }] } };
    expect(queueWaitText(two.metadata, (n) => `${(n / 1000).toFixed(1)} s`)).toBe("5.6 s with 2 lost attempts");
  });

  it("a turn cut and one failed: both beside the count", () => {
    const c = { ...by("c"), turns: 5, cut_turns: 1, failed_turns: 1 };
    const text = reportText({ ...a, agents: [by("a"), by("b"), c] });
    expect(lineOf(text, "turns ")).toBe("turns 2 1 5 (1 cut, 1 failed)");
  });
});
