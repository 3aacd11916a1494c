/**
 * The `openai` provider: any OpenAI-compatible chat-completions server (LM Studio, vLLM,
 * llama.cpp's server, OpenAI), through the `openai` package (v6: v7 needs Node 22).
 *
 * Streams with `stream_options.include_usage`, so the server's last chunk (empty `choices`)
 * carries `usage`: completion_tokens -> tokens_generated, prompt_tokens -> prompt_tokens.
 * The API reports no timings: time to first token is measured here (request sent -> first chunk
 * with text), and tokens/s = completion tokens after the first / time from first to last chunk.
 * Structured output: `response_format` `json_schema` (strict), validated afterwards with zod.
 * The client does not retry by default (openai.max_retries 0): a 429, 5xx or lost connection
 * (before the reply, or in the middle of it: llm/stream-cut.ts) is one failed attempt, which the
 * worker retries within its budget and records on the turn (with the server's Retry-After);
 * every failure becomes one line naming the server and what to do.
 *
 * One client per stream, and the signal is passed per request, so an abort ends only its own.
 */
import type OpenAI from "openai";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { ProviderError } from "../errors/index.js";
import { describeOpenAIError, type OpenAISdk } from "./openai-errors.js";
import { closedSchema } from "./json-schema.js";
import { connectionLost, isConnectionLost } from "./stream-cut.js";
import type { GenerateRequest, GenerateResult, LlmProvider, ModelInfo } from "./types.js";

export interface OpenAISettings {
  /** @defaultValue null = https://api.openai.com/v1 */
  base_url: string | null;
  api_key: string | null;
  /** retries inside the client after 429/5xx/connection errors (invisible to the turn's record); @defaultValue 0 */
  max_retries?: number;
  /** @defaultValue 600000 */
  timeout_ms?: number;
  /** injected transport (tests, proxies) */
  fetch?: typeof fetch;
}

export const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";

let sdkPromise: Promise<OpenAISdk> | null = null;
/** the `openai` package, loaded on first use: a process that never calls it never pays for it */
const sdk = (): Promise<OpenAISdk> => (sdkPromise ??= import("openai"));

export class OpenAIProvider implements LlmProvider {
  readonly name = "openai";
  constructor(private readonly settings: OpenAISettings) {}

  get baseUrl(): string {
    return (this.settings.base_url ?? OPENAI_DEFAULT_BASE_URL).replace(/\/+$/, "");
  }

  async client(): Promise<OpenAI> {
    const { default: OpenAI } = await sdk();
    return new OpenAI({
      baseURL: this.baseUrl,
      // local servers need no key, but the client insists on one
      apiKey: this.settings.api_key ?? "not-needed",
      maxRetries: this.settings.max_retries ?? 0,
      timeout: this.settings.timeout_ms ?? 600_000,
      ...(this.settings.fetch ? { fetch: this.settings.fetch } : {}),
    });
  }

  async generate(req: GenerateRequest): Promise<GenerateResult> {
    const { signal, options: o } = req;
    const start = performance.now();
    let firstAt: number | null = null;
    let lastAt = 0;
    let chunks = 0;
    let text = "";
    let finish: string | null = null;
    let usage: ChatCompletionChunk["usage"] = null;
    let streaming = false;
    try {
      const stream = await (await this.client()).chat.completions.create(
        {
          model: req.model,
          messages: req.messages,
          stream: true,
          stream_options: { include_usage: true },
          ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
          ...(o.top_p !== undefined ? { top_p: o.top_p } : {}),
          ...(o.seed !== undefined ? { seed: o.seed } : {}),
          ...(o.num_predict !== undefined ? { max_tokens: o.num_predict } : {}),
          ...(req.jsonSchema
            ? { response_format: { type: "json_schema", json_schema: { name: "reply", strict: true, schema: closedSchema(req.jsonSchema, { tuples: false }) } } }
            : {}),
        },
        signal ? { signal } : {},
      );
      streaming = true;
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        const piece = choice?.delta?.content ?? "";
        if (piece) {
          const now = performance.now() - start;
          firstAt ??= now;
          lastAt = now;
          chunks++;
          text += piece;
          req.onToken?.(piece, 1);
        }
        if (choice?.finish_reason) finish = choice.finish_reason;
        if (chunk.usage) usage = chunk.usage;
      }
    } catch (err) {
      if (!signal?.aborted) {
        // the connection lost once the reply had started: the server went away mid-reply
        if (streaming && isConnectionLost(err)) throw connectionLost(`the server at ${this.baseUrl}`, chunks, err, "see the server's log");
        throw describeOpenAIError(err, this.baseUrl, req.model, await sdk());
      }
    }
    const cut = Boolean(signal?.aborted) && finish === null;
    const elapsed = performance.now() - start;
    const tokens = !cut && usage ? usage.completion_tokens : chunks;
    const afterFirst = firstAt === null ? 0 : lastAt - firstAt;
    return {
      text,
      tokens_generated: tokens,
      prompt_tokens: usage ? usage.prompt_tokens : null,
      generation_time_ms: elapsed,
      time_to_first_token_ms: firstAt,
      tokens_per_second: tokens > 1 && afterFirst > 0 ? (tokens - 1) / (afterFirst / 1000) : 0,
      load_time_ms: 0,
      done_reason: cut ? "cut" : finish === "length" ? "length" : "stop",
    };
  }

  /**
   * GET /models. `timeoutMs` and `retries` bound a check before a run (a dead server answers
   * within the timeout, not after the client's retries); @defaultValue the provider's settings.
   */
  async listModels(opts: { timeoutMs?: number; retries?: number } = {}): Promise<ModelInfo[]> {
    const lib = await sdk();
    try {
      const out: ModelInfo[] = [];
      const client = (await this.client()).withOptions({
        ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
        ...(opts.retries !== undefined ? { maxRetries: opts.retries } : {}),
      });
      for await (const m of client.models.list()) out.push({ name: m.id, details: m.owned_by });
      return out;
    } catch (err) {
      if (err instanceof lib.APIError && err.status === 404) {
        throw new ProviderError(`the server at ${this.baseUrl} has no /models (404): is it an OpenAI-compatible API?`, {
          hint: "check that OPENAI_BASE_URL ends in /v1 (LM Studio: http://127.0.0.1:1234/v1, llama-server: http://127.0.0.1:8080/v1)",
        });
      }
      throw describeOpenAIError(err, this.baseUrl, "", lib);
    }
  }
}
