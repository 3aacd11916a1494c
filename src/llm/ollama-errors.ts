/**
 * What went wrong talking to Ollama, as one line and a hint. Ollama answers errors with
 * `{"error": "..."}` and a status code (404 `model "x" not found, try pulling it first` for a
 * missing model); an `{"error": ...}` line can also arrive inside a 200 stream, which ollama-js
 * throws as a plain Error: that is a failed attempt, worth retrying. A server or proxy in front
 * of it may answer with an object (`{"error": {"message": …}}`) or a page of text instead: the
 * provider turns every error body into Ollama's shape first (errorBodyMessage), so the message is
 * read, not shown as [object Object].
 */
import { isSecretName, redactUrl } from "../config/redact.js";
import { ProviderError, printable } from "../errors/index.js";

export const ollamaHostHint = (host: string): string =>
  `start Ollama (\`ollama serve\`, or the Ollama app), or point OLLAMA_HOST / ollama.host at the server (now ${host})`;

function isConnectionFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const cause = (err as Error & { cause?: { code?: string } }).cause;
  const code = cause?.code ?? (err as NodeJS.ErrnoException).code;
  return (
    err.name === "TimeoutError" ||
    (err instanceof TypeError && /fetch failed/i.test(err.message)) ||
    ["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EHOSTUNREACH", "ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_SOCKET"].includes(code ?? "")
  );
}

/** `retryAfterMs`: the Retry-After of the response that failed, when it had one */
export function describeOllamaError(err: unknown, host: string, model: string, retryAfterMs: number | null = null): ProviderError {
  if (err instanceof ProviderError) return err;
  const status = (err as { status_code?: unknown }).status_code;
  const message = (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
  if (typeof status === "number") {
    if (status === 404 && /not found/i.test(message)) {
      return new ProviderError(`Ollama at ${host} has no model "${model}" (${message})`, {
        kind: "model_missing",
        hint: `run \`ollama pull ${model}\`, or pass --pull to let dialogue pull it; \`dialogue models --provider ollama\` lists what it has`,
      });
    }
    if (status === 429) {
      return new ProviderError(`Ollama at ${host} is rate limiting (429: ${message})`, {
        kind: "rate_limited",
        retryable: true,
        retryAfterMs,
        hint: RATE_LIMIT_HINT,
      });
    }
    if (status >= 500) {
      return new ProviderError(`Ollama at ${host} failed (${status}: ${message})`, {
        kind: "server_error",
        retryable: true,
        retryAfterMs,
        hint: "the server failed: see its log (`ollama serve` output, or journalctl -u ollama)",
      });
    }
    return new ProviderError(`Ollama at ${host} rejected the request (${status}: ${message})`, {
      kind: status === 401 || status === 403 ? "auth" : "bad_request",
      hint: "check the model name and its options",
    });
  }
  if (isConnectionFailure(err)) {
    return new ProviderError(`no Ollama server answers at ${host}`, { kind: "unreachable", hint: ollamaHostHint(host), retryable: true });
  }
  // an {"error": ...} line in the middle of a stream, or a stream that ended without "done"
  return new ProviderError(`Ollama at ${host} failed during generation: ${message}`, {
    kind: "generation_error",
    retryable: true,
    hint: "it is retried; if it keeps failing, see the Ollama server's log",
  });
}

/** longest error message shown, in characters */
const MAX_ERROR_CHARS = 300;

/** `value` with every string under a secret's name (api_key, token, password …) as *** */
function withoutSecrets(value: unknown, name = ""): unknown {
  if (name && isSecretName(name) && (typeof value === "string" || typeof value === "number")) return "***";
  if (Array.isArray(value)) return value.map((v) => withoutSecrets(v, name));
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutSecrets(v, k)]));
  return value;
}

/**
 * The message of an error body, on one line: Ollama's `{"error": "…"}`; `error.message` of an
 * object (OpenAI's shape), else the object as JSON without its secrets; the text of a body that
 * is not JSON; else the status text. Never longer than 300 characters, never a control character
 * or a URL's password.
 */
export function errorBodyMessage(body: string, statusText = ""): string {
  let message: string;
  try {
    const parsed = JSON.parse(body) as unknown;
    const inner = typeof parsed === "object" && parsed !== null && "error" in parsed ? (parsed as { error: unknown }).error : parsed;
    const text = typeof inner === "object" && inner !== null ? (inner as { message?: unknown }).message : undefined;
    message = typeof inner === "string" ? inner : typeof text === "string" ? text : JSON.stringify(withoutSecrets(inner)) ?? "";
  } catch {
    message = body;
  }
  const line = printable(message.trim().split("\n")[0]?.trim() ?? "") || statusText || "no error message";
  const shown = redactUrl(line);
  return shown.length > MAX_ERROR_CHARS ? `${shown.slice(0, MAX_ERROR_CHARS - 1)}…` : shown;
}

/**
 * what to do about a server that answers 429, whichever the provider, said for runs (their turns
 * and the manager's story); `analyze --judge` / `--notes` give their own (cli/analyze-model.ts)
 */
export const RATE_LIMIT_HINT =
  "the server is rate limiting: wait a little, or lower the load (fewer runs at once with --count, or a lower queues.worker_concurrency)";
