/**
 * The manager's loop stop asks, after every turn, whether the last speaker is looping
 * (analysis/repetition.ts). LoopDetector answers as isLooping does, turn after turn on one
 * conversation, with each message's 3-grams worked out once and most turns settled by the last
 * message alone. Checked against isLooping on every window of the fixtures (two agents, a looping
 * one, and multi-agent meetings) and of a long made-up run that loops, recovers and loops again.
 */
import { describe, expect, it } from "vitest";
import { isLooping, LoopDetector, loopLookback, type LoopRule } from "../../src/analysis/repetition.js";
import { loadFixture } from "../helpers/fixtures.js";

interface Said {
  speaker: string;
  text: string;
}

/** the answers of both, as the manager asks: after each message, about its speaker, over the latest loopLookback messages */
function answers(messages: readonly Said[], rule: LoopRule): { detector: boolean[]; reference: boolean[] } {
  const detector = new LoopDetector();
  // one object per message, kept from turn to turn as the manager's store keeps them
  const keyed = messages.map((m) => ({ ...m, key: { ...m } }));
  const out = { detector: [] as boolean[], reference: [] as boolean[] };
  for (let k = 1; k <= messages.length; k++) {
    const window = keyed.slice(Math.max(0, k - loopLookback(rule)), k);
    const speaker = (messages[k - 1] as Said).speaker;
    out.detector.push(detector.isLooping(window, speaker, rule));
    out.reference.push(isLooping(window.map(({ speaker: s, text }) => ({ speaker: s, text })), speaker, rule));
  }
  return out;
}

const fromFixture = (name: string): Said[] => loadFixture(name).messages.map((m) => ({ speaker: m.metadata.agent_id, text: m.content.message }));

/** a run of `n` turns among `speakers`: fresh lines, but one speaker repeats itself from turn 20 to 35 and from 60 on */
function madeUp(n: number, speakers: string[]): Said[] {
  const words = "rain station tram ticket square bakery bridge river museum market evening train corner".split(" ");
  return Array.from({ length: n }, (_, i) => {
    const speaker = speakers[i % speakers.length] as string;
    const stuck = speaker === speakers[0] && ((i >= 20 && i < 35) || i >= 60);
    const text = stuck
      ? "I keep saying the same thing about the tram and the ticket and the station, over and over again."
      : Array.from({ length: 18 }, (_, j) => words[(i * 7 + j * (i % 5 + 1)) % words.length]).join(" ") + ` number ${i}.`;
    return { speaker, text };
  });
}

describe("LoopDetector", () => {
  const rules: LoopRule[] = [
    { loop_threshold: 0.6, loop_turns: 3 },
    { loop_threshold: 1, loop_turns: 2 },
    { loop_threshold: 0.3, loop_turns: 1 },
  ];

  it.each(["healthy", "looping", "troubled", "meeting", "panel"])("answers as isLooping after every message of the %s fixture", (name) => {
    for (const rule of rules) {
      const { detector, reference } = answers(fromFixture(name), rule);
      expect(detector).toEqual(reference);
    }
  });

  it("answers as isLooping on a long run that loops, recovers and loops again (two and five speakers)", () => {
    for (const speakers of [["a", "b"], ["a", "b", "c", "d", "e"]]) {
      const { detector, reference } = answers(madeUp(90, speakers), { loop_threshold: 0.6, loop_turns: 3 });
      expect(detector).toEqual(reference);
      // the run does loop (so both answers are not simply "no")
      expect(reference.filter(Boolean).length).toBeGreaterThan(5);
    }
  });
});
