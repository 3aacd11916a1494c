/**
 * The retry policy of one turn, as pure functions: what an error was (its cause, in one line with
 * its hint), and whether and when the same model tries again.
 *
 *   transient causes (rate_limited, server_error, unreachable, no_first_token, stalled): retried
 *     with exponential backoff and jitter, or after the server's Retry-After when it gave one,
 *     while the time since this model's first failure stays within `budget_ms`;
 *   other retryable causes (invalid_reply, reply_too_long, generation_error, error): up to
 *     `max_attempts` attempts of this model;
 *   the rest (model_missing, auth, bad_request): never.
 * No retry is ever scheduled at or past the run's deadline. When the model is done with, the
 * agent's fallback model (if any) gets a budget of its own.
 */
import { ProviderError, type FailureCause } from "../errors/index.js";
import type { FailedAttempt, ModelSpec } from "../protocol/schemas.js";
import { now } from "../redis/clock.js";

export const TRANSIENT: ReadonlySet<FailureCause> = new Set(["rate_limited", "server_error", "unreachable", "no_first_token", "stalled"]);
const NEVER: ReadonlySet<FailureCause> = new Set(["model_missing", "auth", "bad_request"]);

export interface RetryPolicy {
  budget_ms: number;
  max_attempts: number;
  backoff_ms: number;
  backoff_max_ms: number;
  /** epoch ms: the run's deadline */
  deadline_at: number;
}

export interface Failure {
  cause: FailureCause;
  /** one line: what happened, then what to do */
  error: string;
  retryAfterMs: number | null;
}

/** first line only, at most `max` characters */
export function oneLine(s: string, max = 1000): string {
  const line = s.split("\n")[0] ?? "";
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export function classify(err: unknown): Failure {
  if (err instanceof ProviderError) {
    return { cause: err.kind, error: oneLine(err.hint ? `${err.message} (${err.hint})` : err.message), retryAfterMs: err.retryAfterMs };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { cause: "error", error: oneLine(message), retryAfterMs: null };
}

/** the failures of `model` since the turn last switched models (the model's own record) */
export function failuresOf(failed: readonly FailedAttempt[], model: ModelSpec): FailedAttempt[] {
  const out: FailedAttempt[] = [];
  for (let i = failed.length - 1; i >= 0; i--) {
    const f = failed[i] as FailedAttempt;
    if (f.cause === "worker_lost") continue;
    if (f.provider !== model.provider || f.model !== model.model) break;
    out.unshift(f);
  }
  return out;
}

/** a duration in seconds to a tenth, as the messages say it (0.8 s, 45 s, 120 s), rounded `way` */
function seconds(ms: number, way: (x: number) => number = Math.round): string {
  return `${way(ms / 100) / 10} s`;
}

/**
 * Why a model is given up on when the server's Retry-After asks for a longer wait than what is left
 * of the retry budget: said in plain words, with the setting to raise (the attempts so far and
 * the time they took come first, as in every other "gave up" reason).
 */
export function retryAfterTooLong(attempts: number, sinceMs: number, retryAfterMs: number, leftMs: number, budgetMs: number): string {
  const budget = `retry budget (${seconds(budgetMs)}, queues.retry_budget_ms)`;
  // the first attempt has the whole budget before it
  const allowed = attempts === 1 ? `longer than the ${budget}` : `more than the ${seconds(leftMs, Math.floor)} left of the ${budget}`;
  const after = attempts === 1 ? "gave up after 1 attempt" : `gave up after ${attempts} attempts over ${Math.round(sinceMs / 1000)} s`;
  return `${after}: the server asked to wait ${seconds(retryAfterMs, Math.ceil)} (Retry-After), ${allowed}: raise it or try later`;
}

/**
 * How long to wait before the same model tries again, or why it should not: `mine` are this
 * model's failures so far, the latest last (the one just recorded included). `random` in [0, 1).
 */
export function nextDelay(
  policy: RetryPolicy,
  mine: readonly FailedAttempt[],
  now: number,
  random: () => number = Math.random,
): { delay: number } | { reason: string } {
  const last = mine[mine.length - 1];
  if (!last || NEVER.has(last.cause)) return { reason: "retrying cannot help" };
  const k = mine.length;
  const attempts = `${k} attempt${k === 1 ? "" : "s"}`;
  const exp = Math.min(policy.backoff_max_ms, policy.backoff_ms * 2 ** (k - 1));
  // "equal jitter": half the delay fixed, half random, so retries of many turns spread out
  let delay = Math.round(exp / 2 + (random() * exp) / 2);
  if (TRANSIENT.has(last.cause)) {
    if (last.retry_after_ms !== null) delay = last.retry_after_ms + Math.round(random() * Math.min(1000, last.retry_after_ms / 10));
    const since = now - (mine[0] as FailedAttempt).at;
    if (since + delay > policy.budget_ms) {
      const left = Math.max(0, policy.budget_ms - since);
      if (last.retry_after_ms !== null && last.retry_after_ms > left) return { reason: retryAfterTooLong(k, since, last.retry_after_ms, left, policy.budget_ms) };
      return { reason: `gave up after ${attempts} over ${Math.round(since / 1000)} s (retry budget ${Math.round(policy.budget_ms / 1000)} s, queues.retry_budget_ms)` };
    }
  } else if (k >= policy.max_attempts) {
    return { reason: `gave up after ${attempts} (queues.attempts)` };
  }
  if (now + delay >= policy.deadline_at) return { reason: `gave up after ${attempts}: a retry would start past the run's deadline` };
  return { delay };
}

/**
 * A model call made as a retry policy says (withRetries, with what the caller tells of each failed
 * attempt), or just once; `what` names the call in those words ("the verdict", "the note on window 3 of 8").
 */
export type Retrying = <T>(what: string, call: (attempt: number) => Promise<T>) => Promise<T>;
export const once: Retrying = (_what, call) => call(1);

/**
 * Runs `attempt` until it succeeds or the policy gives up (then throws a ProviderError of the
 * last cause, saying why it gave up). For generations outside a turn (the manager's story and
 * personas, `analyze --judge` and `--notes`); `model` labels the attempts.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  model: Pick<ModelSpec, "provider" | "model">,
  attempt: (n: number) => Promise<T>,
  onFailure?: (f: FailedAttempt) => void | Promise<void>,
  /** the wait before the next attempt (it may end it early by throwing: a run stopped meanwhile) */
  wait: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<T> {
  const failed: FailedAttempt[] = [];
  for (;;) {
    try {
      return await attempt(failed.length + 1);
    } catch (err) {
      const f = classify(err);
      const record: FailedAttempt = { attempt: failed.length + 1, provider: model.provider, model: model.model, cause: f.cause, error: f.error, at: now(), retry_after_ms: f.retryAfterMs, wait_ms: null };
      failed.push(record);
      const next = nextDelay(policy, failed, now());
      if ("delay" in next) record.wait_ms = next.delay;
      await onFailure?.(record);
      if (!("delay" in next)) throw new ProviderError(oneLine(`${f.error}; ${next.reason}`, 2000), { kind: f.cause });
      await wait(next.delay);
    }
  }
}
