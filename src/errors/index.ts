/**
 * Errors that know their exit code. Library code throws these; the CLI's single top-level
 * catch prints `error: <message>` (and `hint: <hint>`) on one line each and exits with the code.
 *
 * Exit codes: 1 runtime failure (Redis unreachable, LLM failed), 2 bad input (config, arguments),
 * 3 not found (unknown conversation id), 130 interrupted.
 */
import type { Problem } from "../config/load.js";

export class DialogueError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class UsageError extends DialogueError {
  constructor(message: string, hint?: string) {
    super(message, 2, hint);
  }
}

/**
 * Bad input that is bad only because of where things stand (the conversation has ended, it is
 * someone else's turn): the same exit code as any bad input; the web answers it with 409.
 */
export class ConflictError extends UsageError {}

const where = (p: Problem): string => (p.source ? `${p.path} (${p.source})` : p.path);

export class ConfigError extends DialogueError {
  constructor(readonly problems: Problem[]) {
    const only = problems.length === 1 ? problems[0] : undefined;
    super(
      only
        ? `invalid configuration: ${where(only)}: ${only.message}`
        : `invalid configuration (${problems.length} problems):\n` + problems.map((p) => `  ${where(p)}: ${p.message}`).join("\n"),
      2,
      only?.hint ?? "fix the value(s) named above (every setting is described in config/config.schema.json)",
    );
  }
}

export class NotFoundError extends DialogueError {
  constructor(message: string, hint?: string) {
    super(message, 3, hint);
  }
}

export class RedisUnavailableError extends DialogueError {}

/**
 * A conversation that was there went away while it was followed (`run`, `watch`): it was purged,
 * or Redis restarted without its data. `where`: the Redis it was read from, e.g.
 * `Redis at redis://127.0.0.1:6379 (prefix "dialogue")`.
 */
export class ConversationGoneError extends DialogueError {
  constructor(
    readonly id: string,
    where = "Redis",
  ) {
    super(
      `conversation ${id} disappeared`,
      1,
      `${where} no longer has it: it was purged (dialogue purge), or Redis restarted without its data (dialogue doctor checks persistence)`,
    );
  }
}

/**
 * Why an attempt at a generation failed: recorded on the turn (MessageMetadata.failed_attempts),
 * counted by the analysis, and deciding the retry policy (worker/retry.ts):
 *   transient — retried with backoff within queues.retry_budget_ms (honouring Retry-After):
 *     rate_limited (429), server_error (5xx), unreachable (no connection: the server is down or
 *     restarting, or the connection dropped mid-reply), no_first_token (first_token_ms passed in silence), stalled (between_tokens_ms
 *     passed in silence mid-reply);
 *   retried up to queues.attempts times: invalid_reply (the reply could not be made into a
 *     message), reply_too_long, generation_error (an error inside the stream), error (anything else);
 *   never retried (the fallback model, if any, takes the turn): model_missing, auth, bad_request;
 *   worker_lost: the process running an attempt stopped (crash, SIGKILL), or lost its job lock (not
 *   renewed while Redis was away), and the queue retried it.
 */
export const FAILURE_CAUSES = [
  "rate_limited",
  "server_error",
  "unreachable",
  "no_first_token",
  "stalled",
  "invalid_reply",
  "reply_too_long",
  "generation_error",
  "model_missing",
  "auth",
  "bad_request",
  "worker_lost",
  "error",
] as const;
export type FailureCause = (typeof FAILURE_CAUSES)[number];

/**
 * An LLM provider could not do what was asked. `retryable`: the same request may succeed later
 * (server busy, rate limited, an error in the middle of a stream), so a worker retries the turn;
 * otherwise (missing model, refused key, no model file) retrying cannot help. `kind` says why, and
 * `retryAfterMs` is what the server asked for (Retry-After), when it did.
 */
export class ProviderError extends DialogueError {
  readonly retryable: boolean;
  readonly kind: FailureCause;
  readonly retryAfterMs: number | null;
  constructor(
    message: string,
    opts: { hint?: string; retryable?: boolean; exitCode?: number; kind?: FailureCause; retryAfterMs?: number | null } = {},
  ) {
    super(message, opts.exitCode ?? 1, opts.hint);
    this.retryable = opts.retryable ?? false;
    this.kind = opts.kind ?? (this.retryable ? "error" : "bad_request");
    this.retryAfterMs = opts.retryAfterMs ?? null;
  }
}

/**
 * A Retry-After header's value in ms from `now`: delta-seconds ("2") or an HTTP date; null when
 * absent or unreadable. A date in the past is 0.
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | null {
  if (value === null || value === undefined) return null;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  // an HTTP date names its day and month ("Wed, 21 Oct 2015 07:28:00 GMT"); a bare "-3" is not one
  if (!/[a-z]{3}/i.test(v)) return null;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** one line, never a stack: the message of anything thrown */
export function describe(err: unknown): string {
  if (err instanceof Error) return err.message.split("\n")[0] ?? err.message;
  return String(err);
}

/** a string (a path, an error message) as it may be shown: control characters escaped */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
