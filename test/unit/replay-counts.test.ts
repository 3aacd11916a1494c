/**
 * A replay numbers a person's turn as the live run did, even when a narrator's remark comes later:
 * each record it plays counts what was counted then (messages, remarks, tokens, outcomes), not
 * what the run had at its end — so turnOf, the "… turn n is" line, waiting_for_person and the
 * status events are those of that moment.
 */
import { describe, expect, it } from "vitest";
import { jsonRenderer } from "../../src/observer/jsonl.js";
import { plainRenderer } from "../../src/observer/plain.js";
import { timeline } from "../../src/observer/replay.js";

import { final, log, replayed } from "../helpers/remark-run.js";

describe("a replay numbers each turn as the live run did", () => {
  it("plain: the person's turn is turn 3 (the remark after it is no turn)", () => {
    const out: string[] = [];
    replayed(plainRenderer((s) => out.push(s), { live: false, reach: "" }));
    const text = out.join("");
    expect(text).toContain("… turn 3 is Bongani Dlamini's (commuter, a person): waiting for their answer");
    expect(text).not.toContain("… turn 2 is Bongani");
  });

  it("JSON: waiting_for_person says turn 3; each status counts the turns and remarks of its moment", () => {
    const lines: Array<Record<string, unknown>> = [];
    replayed(jsonRenderer((s) => lines.push(JSON.parse(s) as Record<string, unknown>), { live: false, reach: "" }));
    expect(lines.filter((l) => l.type === "waiting_for_person")).toEqual([expect.objectContaining({ seq: 3, turn: 3, agent_id: "commuter" })]);
    expect(lines.filter((l) => l.type === "status").map((l) => [l.turns, l.remarks])).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
      [3, 1],
      [4, 1],
      [4, 1],
    ]);
  });

  it("the records carry the outcomes counted so far, not the end's", () => {
    const records = timeline({ ...final, ok_turns: 4, failed_turns: 0 }, log, []).flatMap((e) => (e.event.type === "record" ? [e.event.record] : []));
    expect(records[0]).toMatchObject({ turns: 0, remarks: 0, ok_turns: 0, tokens_total: 0 });
    const waiting = records.find((x) => x.next_choice?.agent_id === "commuter" && x.pending_seq === 3);
    expect(waiting).toMatchObject({ turns: 2, remarks: 0, ok_turns: 2 });
  });
});

