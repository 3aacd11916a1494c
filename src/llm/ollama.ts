/**
 * The `ollama` provider, through the `ollama` package: POST /api/chat, streamed (NDJSON).
 *
 * Metrics come from the final chunk, where Ollama reports durations in nanoseconds:
 * eval_count -> tokens_generated, prompt_eval_count -> prompt_tokens (absent on a prompt-cache
 * hit: null), load_duration -> load_time_ms, total_duration -> generation_time_ms, and
 * tokens/s = eval_count / eval_duration. Time to first token is measured here, from sending the
 * request to the first chunk with text. A stream cut by `signal` has no final chunk: its token
 * count is the number of chunks received (Ollama sends one per token).
 *
 * One client per stream: ollama-js aborts every stream of a client at once, so each generation
 * gets its own, and aborting one conversation never touches another.
 */
import { Ollama, type ChatResponse, type Message } from "ollama";
import { parseRetryAfter, ProviderError } from "../errors/index.js";
import type { ModelOptions } from "../protocol/schemas.js";
import { describeOllamaError, errorBodyMessage, ollamaHostHint } from "./ollama-errors.js";
import { connectionLost, isConnectionLost } from "./stream-cut.js";
import { tuplesOnly } from "./json-schema.js";
import type { GenerateRequest, GenerateResult, LlmProvider, ModelInfo } from "./types.js";

export interface OllamaSettings {
  /** @defaultValue "http://127.0.0.1:11434" */
  host: string;
  /** @defaultValue null (the server's own, 5 minutes) */
  keep_alive?: string | number | null;
  /** injected transport (tests, proxies); @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
}

const NS_PER_MS = 1e6;

/** the `options` object of an Ollama request: only what the agent set */
export function ollamaOptions(o: ModelOptions): Record<string, number> {
  const out: Record<string, number> = {};
  if (o.temperature !== undefined) out.temperature = o.temperature;
  if (o.seed !== undefined) out.seed = o.seed;
  if (o.num_ctx !== undefined) out.num_ctx = o.num_ctx;
  if (o.num_predict !== undefined) out.num_predict = o.num_predict;
  if (o.top_p !== undefined) out.top_p = o.top_p;
  return out;
}

/** longest error body read, in bytes */
const MAX_ERROR_BODY = 64 * 1024;

/**
 * A failed response in Ollama's own shape, `{"error": "<one line>"}`: ollama-js shows an error
 * object as "[object Object]" (and logs to the console for a body that is not JSON). The status
 * and headers (Retry-After) are kept.
 */
async function asOllamaError(res: Response): Promise<Response> {
  let body = "";
  try {
    const reader = res.body?.getReader();
    const decoder = new TextDecoder();
    let bytes = 0;
    for (;;) {
      const next = await reader?.read();
      if (!next || next.done) break;
      bytes += next.value.byteLength;
      body += decoder.decode(next.value, { stream: true });
      if (bytes >= MAX_ERROR_BODY) {
        await reader?.cancel();
        break;
      }
    }
  } catch {
    // a body cut off: what arrived is the message
  }
  const headers = new Headers(res.headers);
  headers.set("content-type", "application/json; charset=utf-8");
  headers.delete("content-length");
  headers.delete("content-encoding");
  return new Response(JSON.stringify({ error: errorBodyMessage(body, res.statusText) }), { status: res.status, statusText: res.statusText, headers });
}

export class OllamaProvider implements LlmProvider {
  readonly name = "ollama";
  constructor(private readonly settings: OllamaSettings) {}

  get host(): string {
    return this.settings.host.replace(/\/+$/, "");
  }

  /**
   * a fresh client whose requests also end when `signal` aborts (even before the first byte);
   * `onResponse` sees each response (ollama-js keeps only the status of a failed one, not its
   * Retry-After)
   */
  client(signal?: AbortSignal, onResponse?: (res: Response) => void): Ollama {
    const base = this.settings.fetch ?? fetch;
    const wrapped: typeof fetch = async (input, init) => {
      const signals = [init?.signal, signal].filter((s): s is AbortSignal => Boolean(s));
      const res = await base(input, { ...init, ...(signals.length ? { signal: AbortSignal.any(signals) } : {}) });
      onResponse?.(res);
      return res.ok ? res : asOllamaError(res);
    };
    return new Ollama({ host: this.host, fetch: wrapped });
  }

  async generate(req: GenerateRequest): Promise<GenerateResult> {
    const { signal } = req;
    const keepAlive = req.options.keep_alive ?? this.settings.keep_alive ?? undefined;
    const start = performance.now();
    let firstAt: number | null = null;
    let chunks = 0;
    let text = "";
    let final: ChatResponse | null = null;
    let retryAfterMs: number | null = null;
    let streaming = false;
    const onResponse = (res: Response): void => {
      if (!res.ok) retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
      else streaming = true;
    };
    try {
      const stream = await this.client(signal, onResponse).chat({
        model: req.model,
        messages: req.messages as Message[],
        stream: true,
        options: ollamaOptions(req.options),
        ...(req.jsonSchema ? { format: tuplesOnly(req.jsonSchema) } : {}),
        ...(keepAlive !== undefined ? { keep_alive: keepAlive } : {}),
      });
      const onAbort = () => stream.abort();
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        for await (const chunk of stream) {
          const piece = chunk.message?.content ?? "";
          if (piece) {
            firstAt ??= performance.now() - start;
            chunks++;
            text += piece;
            req.onToken?.(piece, 1);
          }
          if (chunk.done) final = chunk;
        }
      } finally {
        signal?.removeEventListener("abort", onAbort);
      }
    } catch (err) {
      if (!signal?.aborted) {
        // once the reply had started: a lost connection is the server going away mid-reply (retried
        // within the budget, as a restarting server is), anything else an error in the stream
        if (streaming && isConnectionLost(err)) throw connectionLost(`Ollama at ${this.host}`, chunks, err, "see the Ollama server's log");
        if (streaming && !(err as { status_code?: unknown }).status_code) {
          throw new ProviderError(`Ollama at ${this.host} failed during generation: the stream ended after ${chunks} chunk${chunks === 1 ? "" : "s"} (${(err as Error).message?.split("\n")[0] ?? err})`, {
            kind: "generation_error",
            retryable: true,
            hint: "it is retried; if it keeps failing, see the Ollama server's log",
          });
        }
        throw describeOllamaError(err, this.host, req.model, retryAfterMs);
      }
    }
    const elapsed = performance.now() - start;
    if (!final && !signal?.aborted) {
      throw new ProviderError(`Ollama at ${this.host} failed during generation: the stream ended after ${chunks} chunk${chunks === 1 ? "" : "s"} without its final chunk`, {
        kind: "generation_error",
        retryable: true,
        hint: "it is retried; if it keeps failing, see the Ollama server's log",
      });
    }
    if (!final) {
      // cut: what arrived, counted client-side
      const afterFirst = firstAt === null ? 0 : elapsed - firstAt;
      return {
        text,
        tokens_generated: chunks,
        prompt_tokens: null,
        generation_time_ms: elapsed,
        time_to_first_token_ms: firstAt,
        tokens_per_second: chunks > 1 && afterFirst > 0 ? (chunks - 1) / (afterFirst / 1000) : 0,
        load_time_ms: 0,
        done_reason: "cut",
      };
    }
    const evalCount = final.eval_count ?? chunks;
    for (const [name, v] of Object.entries({ eval_count: final.eval_count, prompt_eval_count: final.prompt_eval_count })) {
      if (v !== undefined && v !== null && !(Number.isInteger(v) && v >= 0)) {
        throw new ProviderError(`Ollama at ${this.host} sent an invalid ${name} (${JSON.stringify(v)}) in its final chunk`, {
          kind: "invalid_reply",
          retryable: true,
          hint: "the server's reply breaks Ollama's API (counts are whole numbers); see the server's version and log",
        });
      }
    }
    const evalNs = final.eval_duration ?? 0;
    return {
      text,
      tokens_generated: evalCount,
      prompt_tokens: typeof final.prompt_eval_count === "number" ? final.prompt_eval_count : null,
      generation_time_ms: final.total_duration ? final.total_duration / NS_PER_MS : elapsed,
      time_to_first_token_ms: firstAt,
      tokens_per_second: evalNs > 0 ? evalCount / (evalNs / 1e9) : 0,
      load_time_ms: (final.load_duration ?? 0) / NS_PER_MS,
      done_reason: final.done_reason === "length" ? "length" : "stop",
    };
  }

  async contextWindow(_model: string, options: ModelOptions): Promise<number | null> {
    return options.num_ctx ?? null;
  }

  /** GET /api/tags; `timeoutMs` @defaultValue 5000 */
  async listModels(opts: { timeoutMs?: number } = {}): Promise<ModelInfo[]> {
    try {
      const { models } = await this.client(AbortSignal.timeout(opts.timeoutMs ?? 5000)).list();
      return models.map((m) => ({
        name: m.name,
        size: m.size,
        details: [m.details?.parameter_size, m.details?.quantization_level].filter(Boolean).join(" "),
      }));
    } catch (err) {
      throw describeOllamaError(err, this.host, "");
    }
  }

  /** true when the server has the model (GET /api/tags); throws when the server does not answer */
  async hasModel(model: string): Promise<boolean> {
    const names = (await this.listModels()).map((m) => m.name);
    const want = model.includes(":") ? model : `${model}:latest`;
    return names.includes(model) || names.includes(want);
  }

  /** POST /api/pull, streamed: `onProgress` hears each status line (with byte counts while downloading) */
  async pull(model: string, onProgress: (p: { status: string; completed?: number; total?: number }) => void): Promise<void> {
    try {
      const stream = await this.client().pull({ model, stream: true });
      for await (const p of stream) onProgress({ status: p.status, completed: p.completed, total: p.total });
    } catch (err) {
      const e = describeOllamaError(err, this.host, model);
      throw new ProviderError(`could not pull ${model}: ${e.message}`, e.hint ? { hint: e.hint } : {});
    }
  }

  hostHint(): string {
    return ollamaHostHint(this.host);
  }
}
