/**
 * Resolving provider "auto": the first provider that can serve, with the reason, so the CLI can
 * say which one it picked and why. In order: Ollama (if it answers and has a model), an
 * OpenAI-compatible server (if one is configured), embedded llama.cpp (if a model file is at
 * hand and is a GGUF model: --model-file, or the default model already downloaded), and the
 * offline simulator. (A file named with --model-file that cannot be run stops the run before
 * auto looks: manager/resolve.ts.)
 */
import { printable } from "../errors/index.js";
import type { Config } from "../config/schema.js";
import type { ProviderName } from "../protocol/schemas.js";
import { existsSync } from "node:fs";
import { DEFAULT_MODEL, isDefaultModel, modelFileError, modelPathFor } from "./embedded-model.js";
import { DEFAULT_MODELS } from "./index.js";
import { OllamaProvider } from "./ollama.js";
import { ollamaHas, pickServed } from "./served.js";

export interface AutoChoice {
  provider: Exclude<ProviderName, "auto">;
  /** the model auto found, when it looked (one the Ollama server has) */
  model?: string;
  reason: string;
}

/** the model to use on an Ollama server that has `names`: the configured one, else what `run --provider ollama` picks */
function pickOllamaModel(names: string[], wanted: string): string | null {
  if (wanted && ollamaHas(names, wanted)) return wanted;
  return pickServed("ollama", names)?.model ?? null;
}

export async function resolveAuto(config: Config, opts: { timeoutMs?: number; fetch?: typeof fetch } = {}): Promise<AutoChoice> {
  const timeoutMs = opts.timeoutMs ?? 800;
  const notes: string[] = [];
  const ollama = new OllamaProvider({ host: config.ollama.host, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  try {
    const models = await Promise.race([
      ollama.listModels(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), timeoutMs).unref()),
    ]);
    const model = pickOllamaModel(
      models.map((m) => m.name),
      config.model,
    );
    if (model) return { provider: "ollama", model, reason: `Ollama answers at ${ollama.host} and has ${model}` };
    notes.push(`Ollama at ${ollama.host} has no models (\`ollama pull ${DEFAULT_MODELS.ollama}\`)`);
  } catch {
    notes.push(`no Ollama server answered at ${ollama.host}`);
  }
  if (config.openai.base_url || config.openai.api_key) {
    return { provider: "openai", reason: `${notes.join("; ")}; using the OpenAI-compatible server at ${config.openai.base_url ?? "api.openai.com"}` };
  }
  notes.push("OPENAI_BASE_URL is not set");
  const model = config.embedded.model_file ? config.embedded.model_file : DEFAULT_MODEL;
  const file = modelPathFor(model, config.embedded);
  const unusable = modelFileError(file, isDefaultModel(model, config.embedded));
  if (!unusable) {
    return { provider: "embedded", reason: `${notes.join("; ")}; running ${printable(file)} in-process (llama.cpp)` };
  }
  notes.push(
    existsSync(file) ? unusable.message : config.embedded.model_file ? `no model file at ${printable(file)}` : "no embedded model downloaded yet (--provider embedded downloads one; --model-file uses yours)",
  );
  return { provider: "simulated", reason: `${notes.join("; ")}: using the offline simulated provider` };
}
