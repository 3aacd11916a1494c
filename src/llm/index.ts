/**
 * Providers by name. Workers create them on demand from the model spec a request carries, so
 * one worker process can serve any provider and model. One instance per provider and process:
 * the embedded provider keeps its loaded models there.
 */
import type { Config } from "../config/schema.js";
import { ProviderError } from "../errors/index.js";
import { IMPORTED, type ModelProvider, type ProviderName } from "../protocol/schemas.js";
import { EmbeddedProvider } from "./embedded.js";
import { OllamaProvider } from "./ollama.js";
import { OpenAIProvider } from "./openai.js";
import { SimulatedProvider } from "./simulated.js";
import type { LlmProvider } from "./types.js";

export type ProviderSettings = Pick<Config, "simulated" | "ollama" | "openai" | "embedded">;

export const DEFAULT_MODELS: Record<Exclude<ProviderName, "auto">, string> = {
  simulated: "simulated-1",
  ollama: "llama3.2",
  openai: "gpt-4o-mini",
  embedded: "default",
};

export function createProvider(name: Exclude<ProviderName, "auto">, settings: ProviderSettings, fetchImpl?: typeof fetch): LlmProvider {
  const transport = fetchImpl ? { fetch: fetchImpl } : {};
  switch (name) {
    case "simulated":
      return new SimulatedProvider(settings.simulated);
    case "ollama":
      return new OllamaProvider({ host: settings.ollama.host, keep_alive: settings.ollama.keep_alive, ...transport });
    case "openai":
      return new OpenAIProvider({ ...settings.openai, ...transport });
    case "embedded":
      return new EmbeddedProvider(settings.embedded);
  }
}

export class ProviderRegistry {
  private readonly cache = new Map<string, LlmProvider>();
  constructor(private readonly settings: ProviderSettings) {}

  get(name: ModelProvider): LlmProvider {
    if (name === "auto") throw new ProviderError('provider "auto" must be resolved before a request is sent');
    if (name === IMPORTED) throw new ProviderError("the speakers of an imported conversation have no model", { hint: "dialogue run --continue <id> gives them models" });
    const hit = this.cache.get(name);
    if (hit) return hit;
    const p = createProvider(name, this.settings);
    this.cache.set(name, p);
    return p;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.cache.values()].map((p) => p.close?.()));
  }
}
