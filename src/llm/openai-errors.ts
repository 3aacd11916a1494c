/**
 * OpenAI-compatible failures as one line and a hint. The server answers errors as
 * `{"error": {"message", "type", "code"}}` with a status: 401 (bad or missing key), 404 (no
 * such model, or a base URL without /v1), 429 (rate limited) and 5xx (server failure) are the
 * ones users meet. The client has already retried 429/5xx by the time these are seen.
 */
import { ProviderError } from "../errors/index.js";

/** the `openai` package (loaded on first use by openai.ts), for its error classes */
export type OpenAISdk = typeof import("openai");

export function describeOpenAIError(err: unknown, baseUrl: string, model: string, sdk: OpenAISdk): ProviderError {
  const { APIConnectionError, APIError } = sdk;
  if (err instanceof ProviderError) return err;
  if (err instanceof APIConnectionError) {
    return new ProviderError(`no OpenAI-compatible server answers at ${baseUrl} (${err.message})`, {
      retryable: true,
      hint: "start the server (LM Studio, vLLM, llama-server …) or set OPENAI_BASE_URL / openai.base_url to where it runs",
    });
  }
  if (err instanceof APIError) {
    const status = err.status;
    const inner = (err.error as { message?: string } | undefined)?.message ?? err.message;
    switch (true) {
      case status === 401:
        return new ProviderError(`the server at ${baseUrl} refused the API key (401: ${inner})`, {
          hint: "set OPENAI_API_KEY (or openai.api_key) to a valid key",
        });
      case status === 403:
        return new ProviderError(`the server at ${baseUrl} denied access (403: ${inner})`, { hint: "check the key's permissions for this model" });
      case status === 404:
        return new ProviderError(`the server at ${baseUrl} has no model "${model}" (404: ${inner})`, {
          hint: "`dialogue models --provider openai` lists its models; check that the base URL ends in /v1",
        });
      case status === 429:
        return new ProviderError(`rate limited by ${baseUrl} (429: ${inner}), still after retrying`, {
          retryable: true,
          hint: "wait, lower the request rate, or raise openai.max_retries",
        });
      case status !== undefined && status >= 500:
        return new ProviderError(`the server at ${baseUrl} failed (${status}: ${inner}), still after retrying`, {
          retryable: true,
          hint: "see the server's log",
        });
      case status === undefined:
        // an error object inside the stream
        return new ProviderError(`the server at ${baseUrl} reported an error during generation: ${inner}`, { retryable: true });
      default:
        return new ProviderError(`the server at ${baseUrl} rejected the request (${status}: ${inner})`, {
          hint: "check the model name and options",
        });
    }
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ProviderError(`OpenAI-compatible request to ${baseUrl} failed: ${message.split("\n")[0]}`, { retryable: true });
}
