/**
 * What this host can serve, as a manager or worker reports it in its heartbeat
 * (redis/presence.ts) for `dialogue status`: the models its Ollama server lists, those of its
 * OpenAI-compatible server (when one is configured), its embedded GGUF file and whether the
 * default model is downloaded. Asked with the same short timeouts as `dialogue run`'s pre-flight
 * (llm/served.ts); never pulls or downloads anything.
 */
import { existsSync } from "node:fs";
import type { Config } from "../config/schema.js";
import type { Serves, ServerView } from "../protocol/presence.js";
import { defaultModelPath, modelPathFor, DEFAULT_MODEL } from "./embedded-model.js";
import { ServedModels, type ServerProvider } from "./served.js";

const oneLine = (s: string): string => (s.split("\n")[0] ?? s).slice(0, 500);

async function view(served: ServedModels, provider: ServerProvider): Promise<ServerView> {
  const where = served.where(provider);
  try {
    const models = (await served.list(provider)).slice(0, 200);
    return { where, ok: true, models, error: null };
  } catch (err) {
    return { where, ok: false, models: [], error: oneLine(err instanceof Error ? err.message : String(err)) };
  }
}

export async function whatIServe(config: Config, opts: { fetch?: typeof fetch; timeoutMs?: number } = {}): Promise<Omit<Serves, "checked_at">> {
  const served = new ServedModels(config, { ...(opts.fetch ? { fetch: opts.fetch } : {}), timeoutMs: opts.timeoutMs ?? 3000 });
  const configured = Boolean(config.openai.base_url || config.openai.api_key);
  const [ollama, openai] = await Promise.all([view(served, "ollama"), configured ? view(served, "openai") : Promise.resolve(null)]);
  const file = config.embedded.model_file ? modelPathFor(DEFAULT_MODEL, config.embedded) : null;
  const def = defaultModelPath(config.embedded);
  return {
    ollama,
    openai,
    embedded: { model_file: file, model_file_present: file !== null && existsSync(file), default_model: def, default_present: existsSync(def) },
  };
}
