/**
 * What the retry policy says when it gives up because the server's Retry-After asks for a longer
 * wait than the retry budget has left: in plain words, with the setting to raise (llm/retry.ts).
 */
import { describe, expect, it } from "vitest";
import { ProviderError, type FailureCause } from "../../src/errors/index.js";
import { nextDelay, withRetries, type RetryPolicy } from "../../src/llm/retry.js";
import type { FailedAttempt } from "../../src/protocol/schemas.js";

const policy: RetryPolicy = { budget_ms: 60_000, max_attempts: 3, backoff_ms: 1000, backoff_max_ms: 15_000, deadline_at: Number.POSITIVE_INFINITY };
const T0 = 1_800_000_000_000;
const fail = (cause: FailureCause, at: number, retryAfter: number | null = null): FailedAttempt => ({
  attempt: 1,
  provider: "ollama",
  model: "m",
  cause,
  error: cause,
  at,
  retry_after_ms: retryAfter,
  wait_ms: null,
});
const half = () => 0.5;

describe("a Retry-After longer than what is left of the retry budget", () => {
  it("at the first attempt: says the server asked for longer than the whole budget, and names the setting", () => {
    expect(nextDelay(policy, [fail("rate_limited", T0, 120_000)], T0, half)).toEqual({
      reason: "gave up after 1 attempt: the server asked to wait 120 s (Retry-After), longer than the retry budget (60 s, queues.retry_budget_ms): raise it or try later",
    });
  });

  it("after earlier attempts: says how much of the budget was left", () => {
    const mine = [fail("server_error", T0), fail("rate_limited", T0 + 15_000, 120_000)];
    expect(nextDelay(policy, mine, T0 + 15_000, half)).toEqual({
      reason:
        "gave up after 2 attempts over 15 s: the server asked to wait 120 s (Retry-After), more than the 45 s left of the retry budget (60 s, queues.retry_budget_ms): raise it or try later",
    });
  });

  it("never rounds the two into the same number: the wait up, what is left down", () => {
    const mine = [fail("rate_limited", T0, 1000), fail("rate_limited", T0 + 15_040, 45_000)];
    const d = nextDelay(policy, mine, T0 + 15_040, half);
    expect(d).toEqual({ reason: expect.stringContaining("asked to wait 45 s (Retry-After), more than the 44.9 s left of the retry budget") });
  });

  it("a wait that fits, pushed past the budget only by the jitter, and a backoff without Retry-After: the usual words", () => {
    const jittered = nextDelay(policy, [fail("server_error", T0), fail("rate_limited", T0 + 15_000, 44_900)], T0 + 15_000, () => 0.999);
    expect(jittered).toEqual({ reason: "gave up after 2 attempts over 15 s (retry budget 60 s, queues.retry_budget_ms)" });
    const late = nextDelay(policy, [fail("unreachable", T0), fail("unreachable", T0 + 59_500)], T0 + 59_500, half);
    expect(late).toEqual({ reason: "gave up after 2 attempts over 60 s (retry budget 60 s, queues.retry_budget_ms)" });
  });

  it("withRetries gives up at once, its error saying what the server said and why no retry was made", async () => {
    let calls = 0;
    const err = await withRetries(policy, { provider: "ollama", model: "m" }, async () => {
      calls++;
      throw new ProviderError("Ollama at http://127.0.0.1:11434 is rate limiting (429: too many requests)", { kind: "rate_limited", retryable: true, retryAfterMs: 120_000 });
    }).catch((e: unknown) => e as ProviderError);
    expect(calls).toBe(1);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.kind).toBe("rate_limited");
    expect(err.message).toBe(
      "Ollama at http://127.0.0.1:11434 is rate limiting (429: too many requests); gave up after 1 attempt: the server asked to wait 120 s (Retry-After), longer than the retry budget (60 s, queues.retry_budget_ms): raise it or try later",
    );
  });
});
