/**
 * What a run will use, decided once, by the same code for `dialogue run` (before any process
 * starts) and `dialogue doctor` (which reports it): provider "auto" resolved, and for each server
 * provider (Ollama, OpenAI-compatible) that an agent or the manager uses without naming a model,
 * the model its server serves (llm/served.ts: pickServed), so the run records the name the server
 * knows instead of a default it may not have. A model file named with --model-file that cannot be
 * run is a problem before anything else. Reads the servers' model lists; writes nothing.
 */
import type { Config } from "../config/schema.js";
import type { ProviderError } from "../errors/index.js";
import { resolveAuto, type AutoChoice } from "../llm/auto.js";
import { DEFAULT_MODEL, modelFileError, modelPathFor } from "../llm/embedded-model.js";
import { noPick, pickServed, type ServedModels, type ServerProvider } from "../llm/served.js";
import { buildSpec, modelUses, needsAuto, type AutoResolved, type ModelUse } from "./spec.js";
import type { ConversationSpec } from "../protocol/record.js";

export interface Resolution {
  /** what "auto" picked and why, when some agent or the manager uses it */
  auto: AutoChoice | null;
  /** what buildSpec needs: auto's provider and model, and the served model of each server provider */
  resolved: AutoResolved;
  /** who uses what (provider, and the model named, if any) */
  uses: ModelUse[];
  /** one line each: which served model a provider uses where none was named, and why */
  notes: string[];
  /**
   * a server provider whose model could not be chosen (it does not answer, or serves none or
   * several), or a model file named on the command line that cannot be run
   */
  problems: Array<{ provider: ServerProvider | "embedded"; error: ProviderError }>;
}

export interface ResolveOptions {
  /** how long Ollama gets to answer when "auto" looks; @defaultValue 800 (resolveAuto's) */
  autoTimeoutMs?: number;
  fetch?: typeof fetch;
  /**
   * embedded.model_file was named on the command line (--model-file): it must be there and be a
   * GGUF model, whatever the provider — "auto" does not pass over a file the user named. A file
   * from the configuration or DIALOGUE_MODEL_FILE is auto's to skip. @defaultValue false
   */
  modelFileNamed?: boolean;
}

export async function resolveModels(config: Config, served: ServedModels, opts: ResolveOptions = {}): Promise<Resolution> {
  if (opts.modelFileNamed && config.embedded.model_file) {
    const error = modelFileError(modelPathFor(DEFAULT_MODEL, config.embedded));
    if (error) return { auto: null, resolved: { provider: "simulated", served: {} }, uses: [], notes: [], problems: [{ provider: "embedded", error }] };
  }
  const auto = needsAuto(config)
    ? await resolveAuto(config, { ...(opts.autoTimeoutMs !== undefined ? { timeoutMs: opts.autoTimeoutMs } : {}), ...(opts.fetch ? { fetch: opts.fetch } : {}) })
    : null;
  const resolved: AutoResolved = auto ? { provider: auto.provider, model: auto.model, served: {} } : { provider: "simulated", served: {} };
  const uses = modelUses(config, resolved);
  const notes: string[] = [];
  const problems: Resolution["problems"] = [];
  const unnamed = [...new Set(uses.filter((u) => u.named === undefined).map((u) => u.provider))];
  for (const provider of unnamed) {
    if (provider !== "ollama" && provider !== "openai") continue;
    const where = served.where(provider);
    let names: string[];
    try {
      names = await served.list(provider);
    } catch (err) {
      problems.push({ provider, error: err as ProviderError });
      continue;
    }
    const pick = pickServed(provider, names);
    if (!pick) {
      problems.push({ provider, error: noPick(provider, where, names) });
      continue;
    }
    (resolved.served ??= {})[provider] = pick.model;
    const who = uses.filter((u) => u.provider === provider && u.named === undefined).map((u) => u.who);
    notes.push(`Model: ${provider} → ${pick.model} (no model named for ${who.join(", ")}; ${pick.why}, at ${where}; --model picks another)`);
  }
  return { auto, resolved, uses, notes, problems };
}

/** the spec a run of this configuration gets: what resolveModels decided, filled in by buildSpec */
export function specOf(config: Config, r: Resolution, id?: string, seed?: number): ConversationSpec {
  return buildSpec(config, r.resolved, id, seed);
}
