/**
 * `dialogue list --model`: a run matches when one of its model agents or its manager uses the
 * model; a person's agent speaks for itself, so the model its configuration names does not count.
 */
import { describe, expect, it } from "vitest";
import { matches, parseFilter } from "../../src/cli/list-filter.js";
import { makeCastRecord } from "../helpers/cast.js";

describe("list --model", () => {
  // agents alternate simulated/simulated-1 and ollama/llama3.2:3b; the manager is simulated
  it("matches a model agent's or the manager's provider/model, in any case", () => {
    const rec = makeCastRecord(4);
    expect(matches(rec, parseFilter({ model: "LLAMA3.2" }))).toBe(true);
    expect(matches(rec, parseFilter({ model: "ollama/" }))).toBe(true);
    expect(matches(rec, parseFilter({ model: "qwen" }))).toBe(false);
  });

  it("leaves out the model configured for an agent a person speaks for", () => {
    // officer and commuter are the ollama agents: with both people, no model agent uses llama3.2
    const rec = makeCastRecord(4, { people: ["officer", "commuter"] });
    expect(matches(rec, parseFilter({ model: "llama3.2" }))).toBe(false);
    expect(matches(rec, parseFilter({ model: "simulated-1" }))).toBe(true);
    expect(matches(makeCastRecord(4, { people: ["officer"] }), parseFilter({ model: "llama3.2" }))).toBe(true);
  });
});
