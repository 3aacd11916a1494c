/**
 * A reply whose connection was lost once it had started: the server died or restarted mid-reply,
 * or something between dropped the socket. Node's fetch (undici) then fails the body's read with
 * TypeError "terminated" (its cause: "other side closed", UND_ERR_SOCKET), or a reset (ECONNRESET,
 * EPIPE). Both server providers (Ollama, OpenAI-compatible) record it the same way: cause
 * `unreachable` (the server went away, as one that is restarting does — no cause of its own, so
 * that processes and readers of an earlier version still read the record), transient, so the turn
 * is retried with backoff within the retry budget; an error the server itself reports in the
 * stream is not this.
 */
import { ProviderError } from "../errors/index.js";

const LOST_CODES = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE", "ECONNABORTED"]);

/** whether `err` is a connection lost (not an error the server sent, not an abort of ours) */
export function isConnectionLost(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const cause = (err as Error & { cause?: { code?: unknown } }).cause;
  const code = cause?.code ?? (err as NodeJS.ErrnoException).code;
  return (err instanceof TypeError && err.message === "terminated") || (typeof code === "string" && LOST_CODES.has(code));
}

/**
 * The failed attempt of a reply cut off after `chunks` chunks: `who` is the server as users know
 * it ("Ollama at http://…"), `check` what to look at when it keeps happening.
 */
export function connectionLost(who: string, chunks: number, err: unknown, check: string): ProviderError {
  const why = (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
  return new ProviderError(`${who} failed during generation: the stream ended after ${chunks} chunk${chunks === 1 ? "" : "s"} (${why})`, {
    kind: "unreachable",
    retryable: true,
    hint: `it is retried within the retry budget (queues.retry_budget_ms); if it keeps failing, ${check}`,
  });
}
