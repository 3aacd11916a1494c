import { describe, expect, it } from "vitest";
import { load } from "../../src/config/load.js";
import { applyProviderFlag } from "../../src/config/provider-flag.js";

const twoModels = () =>
  load({ env: {}, scenario: "two-models" }).config!;

describe("--provider and --model apply to both agents and the manager", () => {
  it("--provider replaces each agent's own provider and drops models meant for another provider", () => {
    const c = applyProviderFlag(twoModels(), "simulated", undefined);
    expect(c.agents.map((a) => a.provider)).toEqual(["simulated", "simulated"]);
    expect(c.agents.map((a) => a.model)).toEqual([undefined, undefined]);
    expect(c.manager.provider).toBe("simulated");
    expect(c.manager.model).toBeUndefined();
    // options stay
    expect(c.agents[0]!.options.temperature).toBe(0.6);
  });

  it("keeps an agent's model when it was meant for the chosen provider", () => {
    const c = applyProviderFlag(twoModels(), "ollama", undefined);
    expect(c.agents[0]).toMatchObject({ provider: "ollama", model: "llama3.2" });
    expect(c.agents[1]!.provider).toBe("ollama");
    expect(c.agents[1]!.model).toBeUndefined();
  });

  it("--model sets every model; neither flag changes nothing", () => {
    const c = applyProviderFlag(twoModels(), undefined, "qwen2.5:0.5b");
    expect(c.agents.map((a) => [a.provider, a.model])).toEqual([
      ["ollama", "qwen2.5:0.5b"],
      ["embedded", "qwen2.5:0.5b"],
    ]);
    const same = twoModels();
    expect(applyProviderFlag(same, undefined, undefined)).toBe(same);
  });
});
