/**
 * The analysis against figures computed by hand from the fixtures in test/fixtures/. The
 * arithmetic is written next to each expectation.
 */
import { describe, expect, it } from "vitest";
import { analyze } from "../../src/analysis/analyzer.js";
import { isLooping } from "../../src/analysis/repetition.js";
import { AnalysisSchema } from "../../src/analysis/schema.js";
import { loadFixture } from "../helpers/fixtures.js";

const s = (x: number): number => x / Math.sqrt(x * x + 15); // lexicon normalisation
const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;

describe("healthy fixture: every metric by hand", () => {
  const fx = loadFixture("healthy");
  const a = analyze(fx.record, fx.entries);
  const [ann, ben] = a.agents;

  it("is a valid analysis document", () => {
    expect(() => AnalysisSchema.parse(a)).not.toThrow();
    expect(a.conversation_id).toBe("fx-healthy");
  });

  it("run: duration, turns, stop reason, providers and models, tokens", () => {
    expect(a.run.duration_s).toBe(6.6); // 1,006,600 - 1,000,000 ms
    expect(a.run.turns).toBe(6);
    expect(a.run.cut_turns).toBe(0);
    expect(a.run.status).toBe("completed");
    expect(a.run.stop_reason).toBe("max_turns");
    expect(a.run.tokens_generated).toBe(121); // 20+30+12+25+18+16
    expect(a.run.prompt_tokens).toBe(700); // 100+120+140+160+(null)+180
    expect(a.run.providers).toEqual(["simulated"]);
    expect(a.run.models.map((m) => m.role)).toEqual(["a", "b", "manager"]);
    expect(a.run.models.every((m) => m.simulated)).toBe(true);
  });

  it("per agent: turns, tokens, prompt tokens, generation time, load time", () => {
    expect([ann?.name, ben?.name]).toEqual(["Ann Lee", "Ben Ode"]);
    expect([ann?.turns, ben?.turns]).toEqual([3, 3]);
    expect([ann?.tokens_generated, ben?.tokens_generated]).toEqual([50, 71]); // 20+12+18, 30+25+16
    expect([ann?.prompt_tokens, ben?.prompt_tokens]).toEqual([240, 460]); // 100+140, 120+160+180
    expect([ann?.generation_time_ms, ben?.generation_time_ms]).toEqual([2800, 3300]);
    expect(ann?.load_time_ms).toEqual({ total: 600, max: 500 });
    expect(ben?.load_time_ms).toEqual({ total: 0, max: 0 });
  });

  it("per agent: tokens/s mean, p50, p95 (linear interpolation)", () => {
    // Ann 15, 18, 20: mean 53/3; p95 at rank 1.9 = 18 + 0.9 * 2
    expect(ann?.tokens_per_second).toEqual({ mean: 17.6667, p50: 18, p95: 19.8 });
    // Ben 20, 25, 30: p95 = 25 + 0.9 * 5
    expect(ben?.tokens_per_second).toEqual({ mean: 25, p50: 25, p95: 29.5 });
  });

  it("per agent: time to first token p50, p95 (a null is left out), queue wait", () => {
    // Ann 100, 200, 250: p95 = 200 + 0.9 * 50
    expect(ann?.time_to_first_token_ms).toEqual({ mean: 183.3333, p50: 200, p95: 245 });
    // Ben 300, (null), 400: p95 at rank 0.95 = 300 + 0.95 * 100
    expect(ben?.time_to_first_token_ms).toEqual({ mean: 350, p50: 350, p95: 395 });
    expect(ann?.queue_wait_ms).toEqual({ mean: 7.6667, p50: 8, p95: 9.8 }); // 5, 8, 10
    expect(ben?.queue_wait_ms).toEqual({ mean: 21.6667, p50: 20, p95: 29 }); // 15, 20, 30
  });

  it("per agent: words per turn, share of the talk, questions", () => {
    // Ann 9 + 6 + 8 = 23 words, Ben 10 + 10 + 6 = 26, 49 in all
    expect([ann?.words, ben?.words]).toEqual([23, 26]);
    expect([ann?.words_per_turn, ben?.words_per_turn]).toEqual([7.6667, 8.6667]);
    expect([ann?.share_of_talk, ben?.share_of_talk]).toEqual([0.4694, 0.5306]); // 23/49, 26/49
    expect([ann?.share_of_turns, ben?.share_of_turns]).toEqual([0.5, 0.5]);
    expect([ann?.questions, ben?.questions]).toEqual([2, 0]);
  });

  it("orchestration: handoff = next generation started - previous message recorded", () => {
    // 1001040-1001020=20, 1002560-1002550=10, 1003400-1003370=30, 1004430-1004410=20, 1005500-1005440=60
    // sorted 10 20 20 30 60: p95 at rank 3.8 = 30 + 0.8*30, p99 at 3.96 = 30 + 0.96*30
    expect(a.orchestration.handoff_ms).toEqual({ n: 5, mean: 28, p50: 20, p95: 54, p99: 58.8, max: 60 });
  });

  it("lexical diversity: type-token ratio (fewer words than the MATTR window of 50)", () => {
    // Ann: 23 words, "the" and "we" twice: 21 types. Ben: 26 words, "the" x3, "is" x2, "a" x2, "vendor" x2: 21 types.
    expect(ann?.mattr).toBe(r4(21 / 23));
    expect(ben?.mattr).toBe(r4(21 / 26));
    // all 49 words: 21 + 21 types, 6 shared (the budget timeline vendor a safe): 36
    expect(a.content.mattr).toBe(r4(36 / 49));
  });

  it("repetition: none; echo: turn 6 repeats one of turn 5's four 3-grams ('a safe vendor')", () => {
    expect(ann?.repetition).toEqual({ mean: 0, max: 0 });
    expect(ben?.repetition).toEqual({ mean: 0, max: 0 });
    expect(a.content.repetition_mean).toBe(0);
    // Ben's messages 2, 4, 6 answer a partner: 0, 0, 1/4
    expect(ben?.echo).toEqual({ mean: r4(0.25 / 3), max: 0.25 });
    // Ann's first message answers nobody: only 3 and 5 count
    expect(ann?.echo).toEqual({ mean: 0, max: 0 });
    expect(a.content.echo_mean).toBe(0.05); // 0.25 over 5 messages
  });

  it("sentiment: lexicon score per message, averaged per agent, beside the self-reported one", () => {
    // Ann: good +2 | worry -2 | safe +2 ; Ben: sure +1 great +2 worries -2 | late -1 problem -2 | agree +2 safe +2 helps +1
    expect(ann?.sentiment.lexicon_mean).toBe(r4((s(2) + s(-2) + s(2)) / 3));
    expect(ben?.sentiment.lexicon_mean).toBe(r4((s(1) + s(-3) + s(5)) / 3));
    expect(ann?.sentiment).toMatchObject({ self_reported_mean: 0.35, self_reported_n: 2 }); // 0.5, 0.2
    expect(ben?.sentiment).toMatchObject({ self_reported_mean: 0.1, self_reported_n: 3 }); // 0.1, -0.4, 0.6
  });

  it("content: questions, turn balance, word overlap between windows", () => {
    expect(a.content.words).toBe(49);
    expect(a.content.questions).toBe(2);
    expect(a.content.turn_balance).toBe(r4(1 - 3 / 49));
    // TF-IDF over three windows of 2 turns; idf = ln(4/(1+df)) + 1. See the windows test for each.
    expect(a.content.word_overlap_mean).toBe(0.1283);
  });

  it("flags: none", () => {
    expect(a.flags).toEqual([]);
    expect(a.flag_counts).toEqual({ looping: 0, echoing: 0, monologue: 0, short_replies: 0, failed_turn: 0, stalled_turn: 0, retried_turn: 0 });
  });

  it("windows by turns (2t): each with its own figures", () => {
    const w = analyze(fx.record, fx.entries, { window: { kind: "turns", size: 2 } });
    expect(w.window).toEqual({ kind: "turns", size: 2, label: "2t", auto: false });
    expect(w.windows.map((x) => [x.from_turn, x.to_turn, x.turns, x.tokens, x.words, x.questions])).toEqual([
      [1, 2, 2, 50, 19, 1],
      [3, 4, 2, 37, 16, 1],
      [5, 6, 2, 34, 14, 0],
    ]);
    // from the first message's start to the last one's finish, seconds after the dialogue started
    expect(w.windows.map((x) => [x.start_s, x.end_s])).toEqual([[0.01, 2.54], [2.56, 4.4], [4.43, 6.5]]);
    // tokens/s and lexicon sentiment per agent per window
    expect(w.windows.map((x) => x.agents.map((g) => g.tokens_per_second_mean))).toEqual([[20, 25], [15, 30], [18, 20]]);
    expect(w.windows.map((x) => x.agents.map((g) => g.sentiment_lexicon))).toEqual([
      [r4(s(2)), r4(s(1))],
      [r4(s(-2)), r4(s(-3))],
      [r4(s(2)), r4(s(5))],
    ]);
    expect(w.windows.map((x) => x.echo_mean)).toEqual([0, 0, 0.125]);
    expect(w.windows.map((x) => x.repetition_mean)).toEqual([null, 0, 0]);
    // 19 words, 16 types | 16 words, 14 types | 14 words, 11 types
    expect(w.windows.map((x) => x.mattr)).toEqual([r4(16 / 19), 0.875, r4(11 / 14)]);
    // window 2 shares "timeline" with window 1, window 3 shares "vendor" (x2) with window 2
    expect(w.windows.map((x) => x.word_overlap)).toEqual([null, 0.08, 0.1767]);
  });

  it("windows by time (2s): tumbling from the dialogue's start, by when each message finished", () => {
    const w = analyze(fx.record, fx.entries, { window: { kind: "time", size_ms: 2000 } });
    expect(w.window.label).toBe("2s");
    // finished at 1.01 | 2.54 3.36 | 4.40 5.43 | 6.50 s; the run ended at 6.6 s
    expect(w.windows.map((x) => [x.start_s, x.end_s, x.from_turn, x.to_turn, x.tokens])).toEqual([
      [0, 2, 1, 1, 20],
      [2, 4, 2, 3, 42],
      [4, 6, 4, 5, 43],
      [6, 8, 6, 6, 16],
    ]);
  });

  it("windows by time keep empty windows, so the time axis stays true", () => {
    const w = analyze(fx.record, fx.entries, { window: { kind: "time", size_ms: 1000 } });
    expect(w.windows).toHaveLength(7); // 0-1 s is empty; 6.6 s falls in the 7th
    expect(w.windows[0]).toMatchObject({ from_turn: null, turns: 0, tokens: 0, mattr: null, start_s: 0, end_s: 1 });
    expect(w.windows[0]?.agents.map((g) => g.turns)).toEqual([0, 0]);
    expect(w.windows.slice(1).map((x) => x.from_turn)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("auto windows: 2 turns each for a short run", () => {
    expect(a.window).toEqual({ kind: "turns", size: 2, label: "2t", auto: true });
    expect(a.windows).toHaveLength(3);
  });
});

describe("looping fixture", () => {
  const fx = loadFixture("looping");

  it("flags looping from turn 5 (the first repeat), detected at turn 9 (the third in a row)", () => {
    const a = analyze(fx.record, fx.entries);
    expect(a.flags).toEqual([{ type: "looping", agent_id: "a", turn: 5, detected_turn: 9, until_turn: 9 }]);
    expect(a.flag_counts.looping).toBe(1);
    // Cora repeats at 5, 7, 9 (1.0 each) after an original at 3: her messages 3..9 score 0, 1, 1, 1
    expect(a.agents[0]?.repetition).toEqual({ mean: 0.75, max: 1 });
    // Dev's turn 6 shares 3 of its 7 3-grams with turn 4 (birth certificate and / certificate and your / and your passport)
    expect(a.agents[1]?.repetition.max).toBe(r4(3 / 7));
  });

  it("needs loop_turns repeats in a row: with 4 it is not flagged", () => {
    const fx4 = loadFixture("looping", { loop_turns: 4 });
    expect(analyze(fx4.record, fx4.entries).flags).toEqual([]);
  });

  it("the threshold is inclusive (exact repeats score 1.0), and 3 repeats are not 5 in a row", () => {
    const strict = loadFixture("looping", { loop_threshold: 1 });
    expect(analyze(strict.record, strict.entries).flags.map((f) => f.turn)).toEqual([5]); // 1.0 >= 1
    const never = loadFixture("looping", { loop_threshold: 0.6, loop_turns: 5 });
    expect(analyze(never.record, never.entries).flags).toEqual([]);
  });

  it("the manager's detector (same code) says looping as of turn 9, not before", () => {
    const upTo = (n: number) => fx.messages.slice(0, n).map((m) => ({ speaker: m.metadata.agent_id, text: m.content.message }));
    const rule = { loop_threshold: 0.6, loop_turns: 3 };
    expect(isLooping(upTo(7), "a", rule)).toBe(false);
    expect(isLooping(upTo(9), "a", rule)).toBe(true);
    expect(isLooping(upTo(10), "b", rule)).toBe(false);
  });
});

describe("troubled fixture: echoing, stalled, monologue", () => {
  const fx = loadFixture("troubled");
  const a = analyze(fx.record, fx.entries);

  it("flags each at the turn where it starts, in the order they are detected", () => {
    expect(a.flags).toEqual([
      // turn 2 repeats 9 of its 10 3-grams from turn 1; turn 3 repeats 6 of its 9 from turn 2
      { type: "echoing", agent_id: null, turn: 2, detected_turn: 3, until_turn: 3 },
      // "Yes." "Okay." "Sure.": three messages of fewer than 4 words
      { type: "short_replies", agent_id: null, turn: 4, detected_turn: 6, until_turn: 6 },
      // 12 words after "Sure." (1), then 12 after "Fine." (1): at least 4 times as long, twice in a row
      { type: "monologue", agent_id: "a", turn: 7, detected_turn: 9, until_turn: 9 },
    ]);
  });

  it("echo figures: 0.9 and 2/3, then nothing", () => {
    expect(a.agents[1]?.echo.max).toBe(0.9);
    expect(a.agents[0]?.echo.max).toBe(r4(6 / 9));
  });

  it("turn 3 repeats 6 of 9 3-grams of Eli's turn 1 but one repetitive message is no loop", () => {
    expect(a.agents[0]?.repetition.max).toBe(r4(6 / 9));
    expect(a.flag_counts.looping).toBe(0);
  });
});
