/**
 * Can every model of a run be used? Checked before `dialogue run` starts any process (and
 * reported, the same checks, by `dialogue doctor`): Ollama must answer and have the model (with
 * --pull it is pulled, with a progress bar); an OpenAI-compatible server must answer its model
 * list (a model it does not list is a warning: llama-server answers to any name); the embedded
 * provider's model file must exist and have a GGUF model's header (llm/gguf-check.ts: read, not
 * loaded; the default model is downloaded, with a progress bar). Each problem is one line naming
 * the server or file, and a hint with what to do.
 */
import type { Config } from "../config/schema.js";
import { ProviderError, printable } from "../errors/index.js";
import type { ModelSpec } from "../protocol/schemas.js";
import { existsSync } from "node:fs";
import { DEFAULT_MODEL, ensureModelFile, isDefaultModel, modelFileError, modelPathFor } from "./embedded-model.js";
import { progressBar } from "./progress.js";
import { listed, ollamaHas, ServedModels } from "./served.js";

export interface PreflightOptions {
  /** pull missing Ollama models instead of failing; @defaultValue config.ollama.pull */
  pull?: boolean;
  say: (line: string) => void;
  /** how long a server gets to answer; @defaultValue 3000 */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** the servers' model lists, when the caller already asked (manager/resolve.ts) */
  served?: ServedModels;
}

export type CheckLevel = "ok" | "warn" | "fail";

export interface ModelCheck {
  spec: ModelSpec;
  level: CheckLevel;
  /** one line: what was found */
  what: string;
  /** a fail: the error a run stops with; a warn: what to do about it */
  error?: ProviderError;
  hint?: string;
  /** an Ollama model the server does not have (--pull fetches it) */
  pullable?: boolean;
  /** the embedded default model, not downloaded yet (a run downloads it) */
  downloadable?: boolean;
}

const fail = (spec: ModelSpec, error: ProviderError, pullable = false): ModelCheck => ({ spec, level: "fail", what: error.message, error, ...(error.hint ? { hint: error.hint } : {}), pullable });

/** each distinct model once: is it there? Never pulls or downloads anything. */
export async function checkModels(config: Config, models: ModelSpec[], served: ServedModels): Promise<ModelCheck[]> {
  const seen = new Set<string>();
  const out: ModelCheck[] = [];
  for (const m of models) {
    const key = `${m.provider}\u0000${m.model}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(await checkOne(config, m, served));
  }
  return out;
}

async function checkOne(config: Config, spec: ModelSpec, served: ServedModels): Promise<ModelCheck> {
  switch (spec.provider) {
    case "imported":
      return { spec, level: "ok", what: "imported: the speaker of a recorded conversation, no model" };
    case "simulated":
    case "auto":
      return { spec, level: "ok", what: "simulated: offline, scripted text, always labelled [simulated]" };
    case "embedded": {
      const model = spec.model || DEFAULT_MODEL;
      const file = modelPathFor(model, config.embedded);
      const isDefault = isDefaultModel(model, config.embedded);
      const error = modelFileError(file, isDefault);
      if (!error) return { spec, level: "ok", what: `embedded ${printable(file)}` };
      return { ...fail(spec, error), downloadable: isDefault && !existsSync(file) };
    }
    case "ollama": {
      const where = served.where("ollama");
      let names: string[];
      try {
        names = await served.list("ollama");
      } catch (err) {
        return fail(spec, err as ProviderError);
      }
      if (ollamaHas(names, spec.model)) return { spec, level: "ok", what: `ollama ${spec.model} at ${where}` };
      const has = names.length === 0 ? "it has no models yet" : `it has: ${listed(names)}`;
      const first = names[0]?.replace(/:latest$/, "");
      return fail(
        spec,
        new ProviderError(`Ollama at ${where} has no model "${spec.model}"; ${has}`, {
          hint: `${first ? `use one of those (--model ${first}), or ` : ""}pass --pull to fetch "${spec.model}" from the Ollama library, if it is there`,
        }),
        true,
      );
    }
    case "openai": {
      const where = served.where("openai");
      let names: string[];
      try {
        names = await served.list("openai");
      } catch (err) {
        return fail(spec, err as ProviderError);
      }
      if (names.includes(spec.model)) return { spec, level: "ok", what: `openai ${spec.model} at ${where}` };
      return {
        spec,
        level: "warn",
        what: `the server at ${where} does not list "${spec.model}" (it lists: ${listed(names)}); the run tries it anyway`,
        hint: `some servers (llama-server) answer to any name, others fail the first turn (404); --model ${names[0] ?? "<name>"} uses a listed one`,
      };
    }
  }
}

/** the checks, then: stop at the first failure (pulling a missing Ollama model first with --pull), say each warning */
export async function preflight(config: Config, models: ModelSpec[], opts: PreflightOptions): Promise<void> {
  const served = opts.served ?? new ServedModels(config, { ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}), ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  for (const c of await checkModels(config, models, served)) {
    if (c.level === "warn") opts.say(`warning: ${c.what}\n  ${c.hint ?? ""}`.trimEnd());
    if (c.level !== "fail") continue;
    if (c.pullable && (opts.pull ?? config.ollama.pull)) {
      await pull(served, c.spec.model, opts.say);
      served.forget("ollama");
      continue;
    }
    if (c.downloadable) {
      // the default model is downloaded once, with a progress bar
      await ensureModelFile(c.spec.model, config.embedded, opts.say);
      continue;
    }
    throw c.error ?? new ProviderError(c.what);
  }
}

async function pull(served: ServedModels, model: string, say: (line: string) => void): Promise<void> {
  const ollama = served.ollama();
  say(`ollama: pulling ${model} from ${ollama.host}`);
  const bar = progressBar(`ollama: pull ${model}`);
  let status = "";
  await ollama.pull(model, (p) => {
    if (p.total && p.completed !== undefined) bar.update(p.completed, p.total);
    else if (p.status !== status) bar.update(0, 0, p.status);
    status = p.status;
  });
  bar.done("done");
}
