/**
 * The analysis' flags name turns as the transcripts mark them: a narrator's remark (or a copied
 * history) before a streak moves no flag's turn.
 */
import { describe, expect, it } from "vitest";
import { analyze } from "../../src/analysis/analyzer.js";
import { reportText } from "../../src/analysis/report-text.js";
import { makeRemark } from "../helpers/cast.js";
import { loadFixture } from "../helpers/fixtures.js";

describe("the analysis' flags name turns as the transcripts do", () => {
  it("a remark before a loop moves no flag: looping from turn 5, detected at turn 9, as the transcript marks them", () => {
    const fx = loadFixture("looping");
    const shifted = fx.entries.map((e) => ({ ...e, message: { ...e.message, metadata: { ...e.message.metadata, sequence_number: e.message.metadata.sequence_number + 1 } } }));
    const a = analyze({ ...fx.record, turns: fx.record.turns + 1, remarks: 1 }, [{ message: makeRemark(1, "A bell rings."), recorded_at: null }, ...shifted]);
    expect(a.flags).toEqual([{ type: "looping", agent_id: "a", turn: 5, detected_turn: 9, until_turn: 9 }]);
    expect(reportText(a)).toContain("looping from turn 5 (a): detected at turn 9");
  });
});
