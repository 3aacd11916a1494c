/**
 * The retry policy (llm/retry.ts) and Retry-After parsing: which failures are retried, how long
 * each waits, and when a model is given up on — as pure functions of the failures so far.
 */
import { describe, expect, it } from "vitest";
import { parseRetryAfter, ProviderError, type FailureCause } from "../../src/errors/index.js";
import { classify, failuresOf, nextDelay, type RetryPolicy } from "../../src/llm/retry.js";
import type { FailedAttempt } from "../../src/protocol/schemas.js";

const policy: RetryPolicy = { budget_ms: 60_000, max_attempts: 3, backoff_ms: 1000, backoff_max_ms: 15_000, deadline_at: Number.POSITIVE_INFINITY };
const T0 = 1_800_000_000_000;
const fail = (cause: FailureCause, at: number, retryAfter: number | null = null, model = "m"): FailedAttempt => ({
  attempt: 1,
  provider: "ollama",
  model,
  cause,
  error: cause,
  at,
  retry_after_ms: retryAfter,
  wait_ms: null,
});
const half = () => 0.5;

describe("parseRetryAfter", () => {
  it("reads delta-seconds and HTTP dates; anything else is null", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter(" 0.5 ")).toBe(500);
    expect(parseRetryAfter(new Date(T0 + 7000).toUTCString(), T0)).toBe(7000);
    expect(parseRetryAfter(new Date(T0 - 7000).toUTCString(), T0)).toBe(0);
    expect(parseRetryAfter("soon")).toBeNull();
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter("-3")).toBeNull();
  });
});

describe("nextDelay", () => {
  it("backs off exponentially with jitter, between half and all of the step", () => {
    const mine = [fail("server_error", T0)];
    expect(nextDelay(policy, mine, T0, () => 0)).toEqual({ delay: 500 });
    expect(nextDelay(policy, mine, T0, () => 0.999)).toEqual({ delay: 1000 });
    const three = [fail("server_error", T0), fail("server_error", T0 + 1000), fail("server_error", T0 + 3000)];
    expect(nextDelay(policy, three, T0 + 3000, half)).toEqual({ delay: 3000 }); // 4000 * (0.5 + 0.25)
  });

  it("waits what Retry-After asks (plus at most a tenth), even past the backoff step", () => {
    const d = nextDelay(policy, [fail("rate_limited", T0, 2000)], T0, () => 0.999);
    expect(d).toEqual({ delay: 2000 + 200 });
    expect(nextDelay(policy, [fail("rate_limited", T0, 2000)], T0, () => 0)).toEqual({ delay: 2000 });
  });

  it("transient failures are retried within the budget, counted from the model's first failure", () => {
    const mine = [fail("unreachable", T0), fail("unreachable", T0 + 50_000)];
    expect(nextDelay(policy, mine, T0 + 50_000, half)).toEqual({ delay: 1500 });
    const late = nextDelay(policy, [fail("unreachable", T0), fail("unreachable", T0 + 59_500)], T0 + 59_500, half);
    expect(late).toEqual({ reason: "gave up after 2 attempts over 60 s (retry budget 60 s, queues.retry_budget_ms)" });
  });

  it("a Retry-After longer than what is left of the budget gives up at once", () => {
    expect("reason" in nextDelay(policy, [fail("rate_limited", T0, 120_000)], T0, half)).toBe(true);
  });

  it("other retryable failures get queues.attempts attempts; some are never retried", () => {
    const bad = (n: number) => Array.from({ length: n }, (_, i) => fail("invalid_reply", T0 + i));
    expect("delay" in nextDelay(policy, bad(2), T0, half)).toBe(true);
    expect(nextDelay(policy, bad(3), T0, half)).toEqual({ reason: "gave up after 3 attempts (queues.attempts)" });
    for (const cause of ["model_missing", "auth", "bad_request"] as const) expect("reason" in nextDelay(policy, [fail(cause, T0)], T0, half)).toBe(true);
  });

  it("never schedules a retry at or past the run's deadline", () => {
    const d = nextDelay({ ...policy, deadline_at: T0 + 1000 }, [fail("server_error", T0)], T0, () => 0.999);
    expect(d).toEqual({ reason: "gave up after 1 attempt: a retry would start past the run's deadline" });
  });
});

describe("failuresOf and classify", () => {
  it("a model's own failures are those since the turn last switched models; lost workers are not the model's", () => {
    const all = [fail("server_error", T0, null, "a"), fail("stalled", T0, null, "b"), fail("worker_lost", T0, null, "b"), fail("stalled", T0, null, "b")];
    expect(failuresOf(all, { provider: "ollama", model: "b", options: {} }).map((f) => f.cause)).toEqual(["stalled", "stalled"]);
  });

  it("one line with the hint; a provider's kind and Retry-After are kept", () => {
    const f = classify(new ProviderError("rate limited\nsecond line", { kind: "rate_limited", retryable: true, retryAfterMs: 2000, hint: "wait" }));
    expect(f).toEqual({ cause: "rate_limited", error: "rate limited", retryAfterMs: 2000 });
    expect(classify(new ProviderError("x", { kind: "stalled", retryable: true, hint: "see the log" })).error).toBe("x (see the log)");
    expect(classify(new Error("boom\nstack")).cause).toBe("error");
  });
});
