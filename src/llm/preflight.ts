/**
 * Before `dialogue run` starts any process: can every model of the run be used? Ollama must
 * answer and have the model (with --pull it is pulled, with a progress bar); the embedded
 * provider's model file must exist (the default model is downloaded into the cache, with a
 * progress bar); the openai provider needs a base URL or a key. Each problem is one
 * ProviderError naming the host or file and what to do.
 */
import type { Config } from "../config/schema.js";
import { ProviderError } from "../errors/index.js";
import type { ModelSpec } from "../protocol/schemas.js";
import { ensureModelFile } from "./embedded-model.js";
import { OllamaProvider } from "./ollama.js";
import { progressBar } from "./progress.js";

export interface PreflightOptions {
  /** pull missing Ollama models instead of failing; @defaultValue config.ollama.pull */
  pull?: boolean;
  say: (line: string) => void;
  /** how long Ollama gets to answer; @defaultValue 3000 */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export async function preflight(config: Config, models: ModelSpec[], opts: PreflightOptions): Promise<void> {
  const seen = new Set<string>();
  for (const m of models) {
    const key = `${m.provider}\u0000${m.model}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (m.provider === "ollama") await checkOllama(config, m.model, opts);
    if (m.provider === "embedded") await ensureModelFile(m.model, config.embedded, opts.say);
    if (m.provider === "openai" && !config.openai.base_url && !config.openai.api_key) {
      throw new ProviderError("the openai provider has no server to talk to: neither OPENAI_BASE_URL nor OPENAI_API_KEY is set", {
        exitCode: 2,
        hint: "set OPENAI_BASE_URL to a local server (LM Studio: http://127.0.0.1:1234/v1) or OPENAI_API_KEY for api.openai.com",
      });
    }
  }
}

async function checkOllama(config: Config, model: string, opts: PreflightOptions): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const ollama = new OllamaProvider({ host: config.ollama.host, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  let has: boolean;
  try {
    has = await Promise.race([
      ollama.hasModel(model),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new ProviderError(`no Ollama server answered at ${ollama.host} within ${timeoutMs / 1000} s`, { hint: ollama.hostHint() })), timeoutMs).unref(),
      ),
    ]);
  } catch (err) {
    if (err instanceof ProviderError) throw err;
    throw new ProviderError(`no Ollama server answers at ${ollama.host}`, { hint: ollama.hostHint() });
  }
  if (has) return;
  if (!(opts.pull ?? config.ollama.pull)) {
    throw new ProviderError(`Ollama at ${ollama.host} has no model "${model}"`, {
      hint: `run \`ollama pull ${model}\` first, or pass --pull to pull it now`,
    });
  }
  opts.say(`ollama: pulling ${model} from ${ollama.host}`);
  const bar = progressBar(`ollama: pull ${model}`);
  let status = "";
  await ollama.pull(model, (p) => {
    if (p.total && p.completed !== undefined) bar.update(p.completed, p.total);
    else if (p.status !== status) bar.update(0, 0, p.status);
    status = p.status;
  });
  bar.done("done");
}
