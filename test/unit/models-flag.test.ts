/**
 * `--models`: a provider misspelt by one letter is refused, naming the provider meant; an Ollama
 * model's own name:tag (llama3:8b, llava:13b, llama:7b, olmo:7b …) is a model, never taken for a
 * misspelt provider.
 */
import { describe, expect, it } from "vitest";
import { applyModelsFlag } from "../../src/config/cast-flags.js";
import { load } from "../../src/config/load.js";

const config = load({ env: {} }).config!;

describe("--models", () => {
  it.each([
    ["olama:llama3.2", "ollama"],
    ["ollma:llama3.2", "ollama"],
    ["opnai:gpt-4o-mini", "openai"],
    ["openia:gpt-4o-mini", "openai"],
    ["simulted:a", "simulated"],
    ["embeded:model.gguf", "embedded"],
  ])("%s: refused, did you mean %s", (item, meant) => {
    expect(() => applyModelsFlag(config, `${item},simulated:b`)).toThrow(`unknown provider "${item.split(":")[0]}" (did you mean ${meant}?)`);
  });

  it.each(["llama3:8b", "llama2:7b", "llama4:scout", "llava:13b", "llama:7b", "olmo:7b", "openchat:7b", "orca2:13b", "qwen2.5:0.5b", "phi3:mini", "gemma2:2b", "mistral:7b"])("%s: a model name, kept whole", (item) => {
    const out = applyModelsFlag(config, `${item},simulated:b`);
    expect(out.agents[0]?.model).toBe(item);
  });
});
