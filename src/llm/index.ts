/**
 * Providers by name. Workers create them on demand from the model spec a request carries, so
 * one worker process can serve any provider and model.
 */
import type { Config } from "../config/schema.js";
import { ProviderError } from "../errors/index.js";
import type { ProviderName } from "../protocol/schemas.js";
import { SimulatedProvider } from "./simulated.js";
import type { LlmProvider } from "./types.js";

export type ProviderSettings = Pick<Config, "simulated" | "ollama" | "openai">;

export const DEFAULT_MODELS: Record<Exclude<ProviderName, "auto">, string> = {
  simulated: "simulated-1",
  ollama: "llama3.2",
  openai: "gpt-4o-mini",
  embedded: "default",
};

export class ProviderRegistry {
  private readonly cache = new Map<string, LlmProvider>();
  constructor(private readonly settings: ProviderSettings) {}

  get(name: ProviderName): LlmProvider {
    const hit = this.cache.get(name);
    if (hit) return hit;
    const p = this.create(name);
    this.cache.set(name, p);
    return p;
  }

  private create(name: ProviderName): LlmProvider {
    switch (name) {
      case "simulated":
        return new SimulatedProvider(this.settings.simulated);
      case "auto":
        throw new ProviderError("provider \"auto\" must be resolved before a request is sent", 1);
      default:
        throw new ProviderError(
          `the ${name} provider is not available in this version`,
          2,
          "use --provider simulated (or auto)",
        );
    }
  }
}
