/**
 * OpenAI-compatible failures as one line and a hint. The server answers errors as
 * `{"error": {"message", "type", "code"}}` with a status: 401 (bad or missing key), 404 (no
 * such model, or a base URL without /v1), 429 (rate limited) and 5xx (server failure) are the
 * ones users meet. The client does not retry (max_retries 0 by default): the worker does, with its
 * own budget, and records each attempt's cause; Retry-After (or OpenAI's retry-after-ms) is kept.
 */
import { parseRetryAfter, ProviderError } from "../errors/index.js";
import { RATE_LIMIT_HINT } from "./ollama-errors.js";

function retryAfterOf(headers: Headers | undefined): number | null {
  const ms = headers?.get("retry-after-ms");
  if (ms && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms));
  return parseRetryAfter(headers?.get("retry-after"));
}

/** the `openai` package (loaded on first use by openai.ts), for its error classes */
export type OpenAISdk = typeof import("openai");

export function describeOpenAIError(err: unknown, baseUrl: string, model: string, sdk: OpenAISdk): ProviderError {
  const { APIConnectionError, APIError } = sdk;
  if (err instanceof ProviderError) return err;
  if (err instanceof APIConnectionError) {
    return new ProviderError(`no OpenAI-compatible server answers at ${baseUrl} (${err.message})`, {
      kind: "unreachable",
      retryable: true,
      hint: "start the server (LM Studio, vLLM, llama-server …) or set OPENAI_BASE_URL / openai.base_url to where it runs",
    });
  }
  if (err instanceof APIError) {
    const status = err.status;
    // the SDK's own message starts with the status ("429 Too Many Requests", "502 status code (no
    // body)") when the body has no error message: the status is said once, below
    const inner = (((err.error as { message?: string } | undefined)?.message ?? err.message).split("\n")[0] ?? "")
      .replace(new RegExp(`^${status ?? ""}\\s+`), "")
      .replace(/^status code \(no body\)$/, "no body");
    const retryAfterMs = retryAfterOf(err.headers as Headers | undefined);
    switch (true) {
      case status === 401:
        return new ProviderError(`the server at ${baseUrl} refused the API key (401: ${inner})`, {
          kind: "auth",
          hint: "set OPENAI_API_KEY (or openai.api_key) to a valid key",
        });
      case status === 403:
        return new ProviderError(`the server at ${baseUrl} denied access (403: ${inner})`, { kind: "auth", hint: "check the key's permissions for this model" });
      case status === 404:
        return new ProviderError(`the server at ${baseUrl} has no model "${model}" (404: ${inner})`, {
          kind: "model_missing",
          hint: "`dialogue models --provider openai` lists its models; check that the base URL ends in /v1",
        });
      case status === 429:
        return new ProviderError(`the server at ${baseUrl} is rate limiting (429: ${inner})`, {
          kind: "rate_limited",
          retryable: true,
          retryAfterMs,
          hint: RATE_LIMIT_HINT,
        });
      case status !== undefined && status >= 500:
        return new ProviderError(`the server at ${baseUrl} failed (${status}: ${inner})`, {
          kind: "server_error",
          retryable: true,
          retryAfterMs,
          hint: "the server failed: see its log",
        });
      case status === undefined:
        // an error object inside the stream
        return new ProviderError(`the server at ${baseUrl} reported an error during generation: ${inner}`, { kind: "generation_error", retryable: true });
      default:
        return new ProviderError(`the server at ${baseUrl} rejected the request (${status}: ${inner})`, {
          kind: "bad_request",
          hint: "check the model name and its options",
        });
    }
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ProviderError(`OpenAI-compatible request to ${baseUrl} failed: ${message.split("\n")[0]}`, { kind: "generation_error", retryable: true });
}
