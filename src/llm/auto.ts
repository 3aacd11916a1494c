/**
 * Resolving provider "auto": the first provider that can serve, with the reason, so the CLI can
 * say which one it picked and why. In order: Ollama (if it answers and has a model), an
 * OpenAI-compatible server (if one is configured), embedded llama.cpp (if a model file is at
 * hand and is a GGUF model: --model-file, or the default model already downloaded), and the
 * offline simulator. (A file named with --model-file that cannot be run stops the run before
 * auto looks: manager/resolve.ts.) The reason names the models the run will use on Ollama — the
 * ones named (--model, an agent's own) and, for those that name none, the one it picks — and says
 * which the server does not list; it never names a pick nobody will use.
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
  /**
   * when auto chose Ollama: the model named with --model (`config.model`), whether or not the
   * server has it, else the one it picked for those that name none (one the server has); absent
   * when every agent and the manager that use auto name their own
   */
  model?: string;
  reason: string;
}

/**
 * The models named for the agents (not people) and the manager that use "auto": their own, else
 * --model (`config.model`); and whether any of them names none (auto picks one for those).
 */
function namedForAuto(config: Config): { named: string[]; unnamed: boolean } {
  const users = [...config.agents.filter((a) => a.kind !== "human"), config.manager].filter((x) => (x.provider ?? config.provider) === "auto");
  const models = users.map((x) => x.model ?? (config.model || undefined));
  return { named: [...new Set(models.filter((m): m is string => Boolean(m)))], unnamed: models.some((m) => !m) };
}

/**
 * Ollama answers and has `names` (at least one): the model to record for auto (see AutoChoice.model)
 * and the reason, which names the models that will be used — never one nobody asked for and auto
 * did not pick (`--model nosuch` is not said to be served by the model auto would have picked).
 */
function ollamaChoice(config: Config, host: string, names: string[]): AutoChoice {
  const { named, unnamed } = namedForAuto(config);
  // what `run --provider ollama` picks, for those that name no model
  const pick = unnamed ? (pickServed("ollama", names)?.model ?? null) : null;
  const used = [...new Set([...named, ...(pick ? [pick] : [])])];
  const has = used.filter((m) => ollamaHas(names, m));
  const lacks = used.filter((m) => !ollamaHas(names, m));
  const reason = `Ollama answers at ${host}${has.length ? ` and has ${has.join(", ")}` : ""}${lacks.length ? `${has.length ? "," : ""} but does not list ${lacks.join(", ")}` : ""}`;
  const model = config.model || pick;
  return { provider: "ollama", ...(model ? { model } : {}), reason };
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
    if (models.length > 0) return ollamaChoice(config, ollama.host, models.map((m) => m.name));
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
