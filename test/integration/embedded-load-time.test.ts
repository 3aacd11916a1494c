/**
 * The embedded provider's load_time_ms, with real llama.cpp on the tiny GGUF: the worker fits each
 * prompt to the context window before it generates (contextWindow, countTokens), which loads the
 * model; the load is still reported by the first generation of that model, and by no other.
 */
import { afterAll, describe, expect, it } from "vitest";
import { EmbeddedProvider } from "../../src/llm/embedded.js";
import { buildTurnMessages } from "../../src/worker/prompt.js";
import { tinyGgufPath } from "../helpers/tiny-gguf.mjs";
import { turnRequest, turnTask } from "../helpers/turn-fixture.js";

const file = tinyGgufPath();
const settings = { model_file: file, cache_dir: null, default_model: "unused", threads: 1, context_size: 1024, max_tokens: 24 };
const options = { seed: 3, temperature: 0.8, num_predict: 8 };
const req = turnRequest({ provider: "embedded", model: file, options });
const messages = buildTurnMessages(req);
const base = { model: file, options, task: turnTask(req), messages };

const providers: EmbeddedProvider[] = [];
const fresh = (): EmbeddedProvider => {
  const p = new EmbeddedProvider(settings);
  providers.push(p);
  return p;
};
afterAll(async () => {
  for (const p of providers) await p.close();
});

describe("embedded: load_time_ms belongs to the first generation of a model", () => {
  it("the prompt is fitted first (which loads the model), as the worker does: the first generation still reports the load, the next 0", async () => {
    const provider = fresh();
    expect(await provider.contextWindow(file, options)).toBe(1024);
    expect(await provider.countTokens(file, messages)).toBeGreaterThan(0);
    const first = await provider.generate(base);
    const second = await provider.generate(base);
    expect(first.load_time_ms).toBeGreaterThan(0);
    expect(second.load_time_ms).toBe(0);
  }, 120_000);

  it("a generation that loads the model itself reports the load once; concurrent first generations report it once between them", async () => {
    const provider = fresh();
    const [a, b] = await Promise.all([provider.generate(base), provider.generate(base)]);
    expect([a.load_time_ms, b.load_time_ms].filter((ms) => ms > 0)).toHaveLength(1);
    expect((await provider.generate(base)).load_time_ms).toBe(0);
  }, 120_000);
});
