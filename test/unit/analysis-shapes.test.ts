/**
 * The analysis of conversations of any shape, against figures computed by hand from
 * test/fixtures/meeting.json (four agents, one a person; turn order addressed; a skipped turn and
 * a narrator's remark) and test/fixtures/panel.json (four models; turn order moderator). The
 * arithmetic is written next to each expectation.
 */
import { describe, expect, it } from "vitest";
import { analyze } from "../../src/analysis/analyzer.js";
import { AnalysisSchema } from "../../src/analysis/schema.js";
import { loadFixture } from "../helpers/fixtures.js";

const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;

describe("meeting: four agents, a person, a skipped turn, a narrator's remark, turn order addressed", () => {
  const fx = loadFixture("meeting");
  const a = analyze(fx.record, fx.entries);
  const by = (id: string) => a.agents.find((g) => g.agent_id === id)!;

  it("is a valid analysis with one entry per agent, in the agents' order, and none for the narrator", () => {
    expect(() => AnalysisSchema.parse(a)).not.toThrow();
    expect(a.agents.map((g) => g.agent_id)).toEqual(["chair", "clerk", "pat", "dev"]);
    expect(a.agents.map((g) => g.name)).toEqual(["Cleo Diaz", "Kai Lund", "Pat Ruiz", "Dev Rao"]);
  });

  it("run: 11 messages are 10 turns (one skipped) and 1 narrator's remark; only models generate tokens", () => {
    expect(a.run).toMatchObject({ turns: 10, remarks: 1, skipped_turns: 1, duration_s: 155 });
    expect(a.run.tokens_generated).toBe(70); // 7 model replies x 10 tokens; a person and the narrator none
    expect(a.run.prompt_tokens).toBe(350); // 7 x 50
    // a person is not a provider; the models list says who the person is
    expect(a.run.providers).toEqual(["simulated"]);
    expect(a.run.models.find((m) => m.role === "pat")).toEqual({ role: "pat", provider: "human", model: "person", simulated: false });
  });

  it("the person: turns with the skipped one, no model figures invented, the time to answer instead", () => {
    const pat = by("pat");
    expect(pat).toMatchObject({ kind: "human", provider: "human", model: "person", simulated: false, turns: 3, skipped_turns: 1 });
    expect(pat.tokens_generated).toBe(0);
    expect(pat.prompt_tokens).toBe(0);
    expect(pat.generation_time_ms).toBe(0);
    expect(pat.tokens_per_second).toEqual({ mean: null, p50: null, p95: null });
    expect(pat.time_to_first_token_ms).toEqual({ mean: null, p50: null, p95: null });
    expect(pat.queue_wait_ms).toEqual({ mean: null, p50: null, p95: null });
    expect(pat.load_time_ms).toEqual({ total: 0, max: null });
    // offered -> answered: 2,020,920 - 2,000,920 = 20 s (turn 2), 2,153,810 - 2,145,810 = 8 s (turn 10); the skipped turn 6 is left out
    // p95 at rank 0.95 = 8000 + 0.95 * 12000
    expect(pat.answer_time_ms).toEqual({ mean: 14000, p50: 14000, p95: 19400 });
    // a model has no answer time
    expect(by("dev").answer_time_ms).toEqual({ mean: null, p50: null, p95: null });
    expect(by("dev")).toMatchObject({ kind: "model", skipped_turns: 0, tokens_generated: 30, generation_time_ms: 2700 });
  });

  it("share of the talk: words of every agent (not the narrator's 9), turns spoken (not the skipped one)", () => {
    // chair 14 + 14, clerk 1 + 13, pat 11 + 3, dev 14 + 2 + 8: 80 words
    expect(a.content.words).toBe(80);
    expect(a.agents.map((g) => g.words)).toEqual([28, 14, 14, 24]);
    expect(a.agents.map((g) => g.share_of_talk)).toEqual([0.35, 0.175, 0.175, 0.3]);
    // 9 turns spoken: chair 2, clerk 2, pat 2 (of 3), dev 3
    expect(a.agents.map((g) => g.share_of_turns)).toEqual([r4(2 / 9), r4(2 / 9), r4(2 / 9), r4(3 / 9)]);
    expect(a.agents.map((g) => g.words_per_turn)).toEqual([14, 7, 7, 8]);
    // over all four agents: 1 - (0.35 - 0.175)
    expect(a.content.turn_balance).toBe(0.825);
    expect(a.content.questions).toBe(2); // turn 1 and turn 11
  });

  it("echo is against the previous speaker: past the narrator's remark and the skipped turn", () => {
    // turn 4 (dev) after the remark: 4 of its 12 3-grams are Pat's turn 2 ("the stops are", "stops are too", "are too far", "too far apart"); none are the narrator's
    // turn 9 (clerk) shares "and the cost" with the chair's turn 8: 1 of 11
    expect(by("dev").echo).toEqual({ mean: r4(1 / 9), max: r4(1 / 3) }); // (1/3 + 0 + 0) / 3
    expect(by("clerk").echo).toEqual({ mean: r4(1 / 22), max: r4(1 / 11) }); // (0 + 1/11) / 2
    // 8 messages answer someone (turn 1 answers nobody; the skipped turn and the remark are no messages of a speaker)
    expect(a.content.echo_mean).toBe(r4((1 / 3 + 1 / 11) / 8));
  });

  it("flags pass over the skipped turn: 'Fine.', (skipped), 'Sure thing.' are two short replies in a row, not three", () => {
    expect(a.flags).toEqual([]);
    expect(a.flag_counts.short_replies).toBe(0);
  });

  it("handoffs between turns, the remark passed over: turn 4 started 115 ms after turn 2 was recorded", () => {
    // 10, 115, 20, 20, 25, 20, 20, 10, 25 ms
    expect(a.orchestration.handoff_ms).toMatchObject({ n: 9, mean: 29.444, p50: 20, max: 115 });
  });

  it("windows of 2 turns count the agents' turns: the remark takes none, the skipped turn is a turn without words", () => {
    expect(a.window).toMatchObject({ kind: "turns", size: 2, auto: true });
    expect(a.windows.map((w) => [w.from_turn, w.to_turn, w.turns, w.words])).toEqual([
      // numbered as turns: the remark (message 3) is none, so message 4 is turn 3
      [1, 2, 2, 25],
      [3, 4, 2, 15],
      [5, 6, 2, 2],
      [7, 8, 2, 27],
      [9, 10, 2, 11],
    ]);
  });

  it("who answered whom: the spoken turns in order, chair pat dev clerk dev chair clerk pat dev", () => {
    const t = a.turn_taking;
    expect(t.turn_order).toBe("addressed");
    expect(t.agent_ids).toEqual(["chair", "clerk", "pat", "dev"]);
    expect(t.pairs).toBe(8);
    expect(t.who_answered_whom).toEqual([
      // chair -> pat (1-2), chair -> clerk (8-9)
      [0, 1, 1, 0],
      // clerk -> dev (5-7, the skipped turn 6 passed over), clerk -> pat (9-10)
      [0, 0, 1, 1],
      // pat -> dev (2-4, the remark passed over; 10-11)
      [0, 0, 0, 2],
      // dev -> clerk (4-5), dev -> chair (7-8)
      [1, 1, 0, 0],
    ]);
  });

  it("how the speakers were chosen, from each turn's turn_choice", () => {
    // first: 1; addressed: 2, 5, 6; round robin: 4, 7, 8, 9, 10, 11
    expect(a.turn_taking.chosen).toEqual({ first: 1, round_robin: 6, random: 0, addressed: 3, moderator: 0, not_recorded: 0 });
    expect(a.turn_taking.moderator).toBeNull();
  });

  it("addressed: named in 4 of the 7 model replies; the named agent spoke next 2 of the 3 times a turn followed", () => {
    // replies 1 (pat), 4 (clerk), 5 (pat), 11 (chair) name another agent; 8 names no one; 7 names dev itself; 9 names "zed"
    // 1 -> pat spoke (2); 4 -> clerk spoke (5); 5 -> pat's turn 6 was skipped; 11 was the last turn
    expect(a.turn_taking.addressed).toEqual({ replies: 7, named: 4, absent: 1, invalid: 2, named_followed: 3, named_spoke_next: 2 });
  });
});

describe("panel: four models, turn order moderator", () => {
  const fx = loadFixture("panel");
  const a = analyze(fx.record, fx.entries);

  it("the moderator's choices per agent, and the turn that went round robin", () => {
    const t = a.turn_taking;
    expect(t.turn_order).toBe("moderator");
    expect(t.chosen).toEqual({ first: 1, round_robin: 1, random: 0, addressed: 0, moderator: 6, not_recorded: 0 });
    // host 3 and 6, ana 2 and 8, ben 4, cal 7; cal's turn 5 went round robin
    expect(t.moderator).toEqual({ chosen: [2, 2, 1, 1], fallbacks: 1 });
    expect(t.addressed).toBeNull();
  });

  it("who answered whom: host ana host ben cal host cal ana", () => {
    expect(a.turn_taking.who_answered_whom).toEqual([
      [0, 1, 1, 1], // host -> ana, ben, cal
      [1, 0, 0, 0], // ana -> host
      [0, 0, 0, 1], // ben -> cal
      [1, 1, 0, 0], // cal -> host, ana
    ]);
    expect(a.turn_taking.pairs).toBe(7);
  });

  it("monologue against the previous speaker: cal's 19 words after ben's 2, then 19 after the host's 3", () => {
    expect(a.flags).toEqual([{ type: "monologue", agent_id: "cal", turn: 5, detected_turn: 7, until_turn: 7 }]);
  });

  it("turn balance over four: 1 - (38 - 2) / 66", () => {
    expect(a.agents.map((g) => g.words)).toEqual([15, 11, 2, 38]);
    expect(a.content.turn_balance).toBe(r4(1 - 36 / 66));
  });
});

describe("two agents, as before", () => {
  it("a two-agent round robin run: the turn taking alternates, no choices recorded in a fixture without them", () => {
    const fx = loadFixture("healthy");
    const a = analyze(fx.record, fx.entries);
    expect(a.run).toMatchObject({ turns: 6, remarks: 0, skipped_turns: 0 });
    expect(a.turn_taking).toEqual({
      turn_order: "round_robin",
      agent_ids: ["a", "b"],
      who_answered_whom: [
        [0, 3],
        [2, 0],
      ],
      pairs: 5,
      chosen: { first: 0, round_robin: 0, random: 0, addressed: 0, moderator: 0, not_recorded: 6 },
      addressed: null,
      moderator: null,
    });
    expect(a.agents.every((g) => g.kind === "model" && g.skipped_turns === 0)).toBe(true);
  });
});
