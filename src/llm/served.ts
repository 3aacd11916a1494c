/**
 * What the model servers serve, asked once per command: the models an Ollama server has
 * (GET /api/tags) and those an OpenAI-compatible server lists (GET /models), each within a short
 * timeout and without retries. A server that does not answer, or refuses, is a ProviderError
 * naming the server and what to do. `dialogue run`'s pre-flight, `dialogue doctor` and
 * `dialogue models` read these lists and pick with the same rule (pickServed), so they agree.
 */
import type { Config } from "../config/schema.js";
import { ProviderError } from "../errors/index.js";
import { DEFAULT_MODELS } from "./index.js";
import { OllamaProvider } from "./ollama.js";
import { OpenAIProvider } from "./openai.js";

export type ServerProvider = "ollama" | "openai";

/** how long a server gets to list its models; @defaultValue 3000 */
export const LIST_TIMEOUT_MS = 3000;

export class ServedModels {
  private readonly lists = new Map<ServerProvider, Promise<string[]>>();

  constructor(
    private readonly config: Config,
    private readonly opts: { timeoutMs?: number; fetch?: typeof fetch } = {},
  ) {}

  /** where the provider's server is, as shown to the user */
  where(provider: ServerProvider): string {
    return provider === "ollama" ? this.ollama().host : this.openai().baseUrl;
  }

  /** the model names the server serves (asked once); throws a ProviderError when it cannot say */
  list(provider: ServerProvider): Promise<string[]> {
    let hit = this.lists.get(provider);
    if (!hit) {
      hit = provider === "ollama" ? this.listOllama() : this.listOpenAI();
      this.lists.set(provider, hit);
    }
    return hit;
  }

  /** forget a list (after a model was pulled) */
  forget(provider: ServerProvider): void {
    this.lists.delete(provider);
  }

  ollama(): OllamaProvider {
    return new OllamaProvider({ host: this.config.ollama.host, ...(this.opts.fetch ? { fetch: this.opts.fetch } : {}) });
  }

  openai(): OpenAIProvider {
    return new OpenAIProvider({ ...this.config.openai, ...(this.opts.fetch ? { fetch: this.opts.fetch } : {}) });
  }

  private async listOllama(): Promise<string[]> {
    const ollama = this.ollama();
    const timeoutMs = this.opts.timeoutMs ?? LIST_TIMEOUT_MS;
    const models = await ollama.listModels({ timeoutMs }).catch((err: unknown) => {
      if (err instanceof ProviderError && /no Ollama server answers/.test(err.message)) {
        throw new ProviderError(`no Ollama server answers at ${ollama.host}`, { kind: "unreachable", retryable: true, hint: ollama.hostHint() });
      }
      throw err;
    });
    return models.map((m) => m.name);
  }

  private async listOpenAI(): Promise<string[]> {
    if (!this.config.openai.base_url && !this.config.openai.api_key) {
      throw new ProviderError("the openai provider has no server to talk to: neither OPENAI_BASE_URL nor OPENAI_API_KEY is set", {
        exitCode: 2,
        hint: "set OPENAI_BASE_URL to a local server (LM Studio: http://127.0.0.1:1234/v1, llama-server: http://127.0.0.1:8080/v1) or OPENAI_API_KEY for api.openai.com",
      });
    }
    const models = await this.openai().listModels({ timeoutMs: this.opts.timeoutMs ?? LIST_TIMEOUT_MS, retries: 0 });
    return models.map((m) => m.name);
  }
}

/** an Ollama name and the name it is listed under (`llama3.2` is `llama3.2:latest`) */
export function ollamaHas(names: readonly string[], model: string): boolean {
  return names.includes(model) || (!model.includes(":") && names.includes(`${model}:latest`));
}

const bare = (n: string): string => n.replace(/:latest$/, "");

export interface Pick {
  model: string;
  /** why this one, for the line that says which */
  why: string;
}

/**
 * The model a provider uses when none is named, from what its server serves. Ollama: its default
 * (llama3.2) when the server has it, else the first it lists. OpenAI-compatible: the only model a
 * server serves (llama-server, one model in LM Studio), else the default (gpt-4o-mini) when it is
 * listed. Null when there is nothing to pick (see `noPick` for the error).
 */
export function pickServed(provider: ServerProvider, names: readonly string[]): Pick | null {
  const fallback = DEFAULT_MODELS[provider];
  if (provider === "ollama") {
    if (ollamaHas(names, fallback)) return { model: fallback, why: "the default, and the server has it" };
    const first = names[0];
    if (first === undefined) return null;
    return { model: bare(first), why: names.length === 1 ? "the only model the server has" : `the first of the ${names.length} models the server has` };
  }
  if (names.length === 1) return { model: names[0] as string, why: "the only model the server serves" };
  if (names.includes(fallback)) return { model: fallback, why: "the default, and the server lists it" };
  return null;
}

/** why nothing could be picked: one line and what to pass */
export function noPick(provider: ServerProvider, where: string, names: readonly string[]): ProviderError {
  if (provider === "ollama") {
    return new ProviderError(`Ollama at ${where} has no models yet`, {
      hint: `pull one: dialogue run --provider ollama --model ${DEFAULT_MODELS.ollama} --pull (or \`ollama pull ${DEFAULT_MODELS.ollama}\`)`,
    });
  }
  if (names.length === 0) {
    return new ProviderError(`the OpenAI-compatible server at ${where} lists no models`, {
      exitCode: 2,
      hint: "load a model in the server (LM Studio: load one; llama-server: -m <file.gguf>), or name one with --model",
    });
  }
  return new ProviderError(`the OpenAI-compatible server at ${where} serves ${names.length} models and none was named`, {
    exitCode: 2,
    hint: `pass --model with one of: ${listed(names)}`,
  });
}

/** a server's models for a one-line message: the first few, and how many more */
export function listed(names: readonly string[], max = 8): string {
  if (names.length === 0) return "(none)";
  const shown = names.slice(0, max).join(", ");
  return names.length > max ? `${shown} … (${names.length - max} more: dialogue models)` : shown;
}
