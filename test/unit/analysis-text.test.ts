/**
 * The building blocks of the content metrics, on inputs small enough to check by hand.
 */
import { describe, expect, it } from "vitest";
import { mattr } from "../../src/analysis/mattr.js";
import { duplicateSentimentWords } from "../../src/analysis/lexicon.js";
import { REPETITION_MEMORY, RepetitionTracker } from "../../src/analysis/repetition.js";
import { dist, percentile } from "../../src/analysis/stats.js";
import { containment, questionCount, sentimentOf, shingles, Vocabulary, words } from "../../src/analysis/text.js";
import { autoWindow, checkWindowCount, parseWindow } from "../../src/analysis/windows.js";
import { sparkline } from "../../src/analysis/format.js";
import { overlapSeries } from "../../src/analysis/drift.js";

const enc = (v: Vocabulary, text: string) => v.encode(words(text));

describe("words and questions", () => {
  it("lower-cases, keeps apostrophes (either kind), drops punctuation", () => {
    expect(words("Don’t STOP, it's 2 o'clock!")).toEqual(["don't", "stop", "it's", "2", "o'clock"]);
    expect(words("Ça va? Très bien.")).toEqual(["ça", "va", "très", "bien"]);
    expect(words("...")).toEqual([]);
  });
  it("counts question marks, a run like ?!? once", () => {
    expect(questionCount("Why? Really?!? No.")).toBe(2);
    expect(questionCount("No questions.")).toBe(0);
  });
});

describe("shingles and containment", () => {
  it("word 3-grams as distinct keys; a one- or two-word message is one shingle", () => {
    const v = new Vocabulary();
    const set = (text: string) => new Set(shingles(enc(v, text)));
    expect(shingles(enc(v, "a b c d"))).toHaveLength(2);
    expect(shingles(enc(v, "a b a b a b"))).toHaveLength(2); // (a b a), (b a b)
    expect(shingles(enc(v, "yes"))).toHaveLength(1);
    expect(shingles(enc(v, ""))).toHaveLength(0);
    // "b c" alone is not the 3-gram (a b c)
    expect(containment(shingles(enc(v, "b c")), set("a b c"))).toBe(0);
    expect(containment(shingles(enc(v, "yes")), set("yes"))).toBe(1);
  });
  it("containment is the share of the first set found in the second", () => {
    const v = new Vocabulary();
    const x = shingles(enc(v, "one two three four five")); // 3 shingles
    const y = shingles(enc(v, "two three four")); // 1 shingle
    expect(containment(x, new Set(y))).toBeCloseTo(1 / 3, 10);
    expect(containment(y, new Set(x))).toBe(1);
  });
});

describe("the repetition tracker", () => {
  it("compares with the same speaker's last REPETITION_MEMORY messages and the partner's last one", () => {
    const v = new Vocabulary();
    const t = new RepetitionTracker();
    const add = (who: string, text: string) => t.add(who, shingles(enc(v, text)));
    expect(add("a", "the cat sat on the mat")).toEqual({ repetition: null, echo: null });
    expect(add("b", "the cat sat down")).toEqual({ repetition: null, echo: 0.5 }); // (the cat sat) of 2
    // 1 of its 4 3-grams (the cat sat) is in b's message
    expect(add("a", "the cat sat on the mat")).toEqual({ repetition: 1, echo: 0.25 });
  });
  it("forgets what is older than its memory", () => {
    const v = new Vocabulary();
    const t = new RepetitionTracker(2);
    t.add("a", shingles(enc(v, "alpha beta gamma")));
    t.add("a", shingles(enc(v, "delta epsilon zeta")));
    t.add("a", shingles(enc(v, "eta theta iota")));
    expect(t.add("a", shingles(enc(v, "alpha beta gamma"))).repetition).toBe(0);
    expect(REPETITION_MEMORY).toBe(12);
  });
});

describe("lexicon sentiment", () => {
  const v = new Vocabulary();
  const s = (x: number) => x / Math.sqrt(x * x + 15);
  it("sums word scores and normalises into (-1, 1)", () => {
    expect(sentimentOf(enc(v, "a great and helpful plan"), v)).toBeCloseTo(s(4), 10);
    expect(sentimentOf(enc(v, "the table is brown"), v)).toBe(0);
  });
  it("a negator turns the next three words around at half strength", () => {
    expect(sentimentOf(enc(v, "this is not good"), v)).toBeCloseTo(s(-1), 10); // good +2 * -0.5
    expect(sentimentOf(enc(v, "not that it is really good"), v)).toBeCloseTo(s(2), 10); // 4 words later
    expect(sentimentOf(enc(v, "I don't hate it"), v)).toBeCloseTo(s(1.5), 10); // hate -3 * -0.5
  });
  it("lists no word twice", () => {
    expect(duplicateSentimentWords()).toEqual([]);
  });
});

describe("MATTR", () => {
  it("averages the type-token ratio of every window of W words", () => {
    // windows of 3 over a b a c: (a b a) 2/3, (b a c) 3/3
    expect(mattr([1, 2, 1, 3], 3)).toBeCloseTo((2 / 3 + 1) / 2, 10);
    // windows of 2 over a a a b: 1/2, 1/2, 2/2
    expect(mattr([1, 1, 1, 2], 2)).toBeCloseTo(2 / 3, 10);
  });
  it("is the plain type-token ratio below W words, null for none", () => {
    expect(mattr([1, 2, 1], 50)).toBeCloseTo(2 / 3, 10);
    expect(mattr([], 50)).toBeNull();
  });
});

describe("statistics", () => {
  it("percentiles interpolate between the closest ranks", () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([10, 20, 20, 30, 60], 95)).toBeCloseTo(54, 10);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });
  it("a distribution of nothing is all null", () => {
    expect(dist([])).toEqual({ n: 0, mean: null, p50: null, p95: null, p99: null, max: null });
  });
});

describe("word overlap between consecutive windows", () => {
  it("identical windows overlap fully, disjoint ones not at all, empty ones are null", () => {
    const w = (o: Record<number, number>) => new Map(Object.entries(o).map(([k, c]) => [Number(k), c]));
    expect(overlapSeries([w({ 1: 1, 2: 2 }), w({ 1: 1, 2: 2 })])).toEqual([null, expect.closeTo(1, 10)]);
    expect(overlapSeries([w({ 1: 1 }), w({ 2: 1 }), w({})])).toEqual([null, 0, null]);
  });
});

describe("windows", () => {
  it("parses turns and times", () => {
    expect(parseWindow("5t")).toEqual({ kind: "turns", size: 5 });
    expect(parseWindow("30s")).toEqual({ kind: "time", size_ms: 30_000 });
    expect(parseWindow("2m")).toEqual({ kind: "time", size_ms: 120_000 });
    expect(parseWindow("1h")).toEqual({ kind: "time", size_ms: 3_600_000 });
    expect(parseWindow("500ms")).toEqual({ kind: "time", size_ms: 500 });
    expect(parseWindow("auto")).toBeNull();
  });
  it("rejects what is not a window, naming the fix", () => {
    expect(() => parseWindow("5")).toThrow(/not a window size/);
    expect(() => parseWindow("0t")).toThrow(/not a window size/);
    expect(() => parseWindow("1.5t")).toThrow(/whole/);
    expect(() => checkWindowCount({ kind: "turns", size: 1 }, 20_000, 0)).toThrow(/at most 10000/);
  });
  it("auto: even window sizes for about 24 windows", () => {
    expect(autoWindow(12)).toEqual({ kind: "turns", size: 2 });
    expect(autoWindow(100_000)).toEqual({ kind: "turns", size: 4168 });
  });
});

describe("sparklines", () => {
  it("scales between min and max, a gap for null", () => {
    expect(sparkline([0, 1, null, 0.5])).toBe("▁█ ▅");
    expect(sparkline([2, 2])).toBe("▄▄");
    expect(sparkline([25.001, 24.999])).toBe("▄▄"); // less than 1% apart: flat
    expect(sparkline([0], { min: -1, max: 1 })).toBe("▅");
  });
});

describe("encodeText: encode(words(text)) read straight from the text", () => {
  const texts = [
    "Good morning Ben. Can we talk about the BUDGET?",
    "Don't worry, it's fine: the 2nd train leaves at 10:45 o'clock.",
    "rock'n'roll isn't 'quoted' nor trailing' nor 'leading, and ''double'' 'x'y'",
    "Don’t say ‘never’ — café, naïve, ÜBER straße İstanbul and the Kelvin sign K.",
    "a'é ab' é'a x'", // an apostrophe next to a letter outside ASCII
    "",
    "   ...?!  ",
    "MiXeD CaSe mixed case MIXED",
    "numbers 123 and 4'5 and x1y2",
    "good morning ben, can we talk about the budget",
    "emoji 😀 inside, then plain words again",
    `a very long word: ${"Ab".repeat(200)} and it again: ${"aB".repeat(200)}`,
  ];

  it("gives the same ids, in the same order, as encode(words(text)), new words numbered alike", () => {
    const slow = new Vocabulary();
    const fast = new Vocabulary();
    for (let round = 0; round < 2; round++) {
      for (const t of texts) expect(Array.from(fast.encodeText(t)), t).toEqual(Array.from(slow.encode(words(t))));
    }
    expect(fast.size).toBe(slow.size);
    expect(fast.word(fast.encodeText("Budget")[0] as number)).toBe("budget");
  });

  it("keeps up past its first table size (thousands of distinct words)", () => {
    const slow = new Vocabulary();
    const fast = new Vocabulary();
    const many = Array.from({ length: 3000 }, (_, i) => `w${i.toString(36)} It'S${i % 7} x`).join(" ");
    expect(Array.from(fast.encodeText(many))).toEqual(Array.from(slow.encode(words(many))));
    expect(Array.from(fast.encodeText(many.toUpperCase()))).toEqual(Array.from(slow.encode(words(many.toUpperCase()))));
  });
});
