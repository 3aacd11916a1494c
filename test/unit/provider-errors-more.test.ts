/**
 * Provider failures as the worker records them, against local servers speaking the real wire
 * formats (test/helpers/fake-ollama.ts, fake-openai.ts):
 *   - a reply whose connection drops midway (an OpenAI-compatible server or Ollama): cause
 *     unreachable, saying how many chunks came and what to check, retried within the retry
 *     budget (not given up after queues.attempts); an error the server sends inside the stream
 *     stays generation_error;
 *   - Ollama-format error bodies that are objects, or not JSON at all: the message is shown, never
 *     "[object Object]", never a secret.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ProviderError } from "../../src/errors/index.js";
import { errorBodyMessage } from "../../src/llm/ollama-errors.js";
import { OllamaProvider } from "../../src/llm/ollama.js";
import { OpenAIProvider } from "../../src/llm/openai.js";
import { classify, withRetries, type RetryPolicy } from "../../src/llm/retry.js";
import type { FailedAttempt } from "../../src/protocol/schemas.js";
import { buildTurnMessages } from "../../src/worker/prompt.js";
import { startFakeOllama, type FakeOllama } from "../helpers/fake-ollama.js";
import { startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai.js";
import { turnRequest, turnTask } from "../helpers/turn-fixture.js";

let ollama: FakeOllama;
let openai: FakeOpenAI;
beforeAll(async () => {
  [ollama, openai] = await Promise.all([startFakeOllama(), startFakeOpenAI({ models: ["local-model"] })]);
});
afterAll(async () => {
  await Promise.all([ollama.close(), openai.close()]);
});
afterEach(() => {
  ollama.script = [];
  openai.script = [];
});

const request = (provider: "ollama" | "openai", model: string) => {
  const req = turnRequest({ provider, model, options: { seed: 1 } });
  return { model, options: { seed: 1 }, task: turnTask(req), messages: buildTurnMessages(req) };
};
const failure = (p: Promise<unknown>): Promise<ProviderError> => p.then(() => expect.unreachable("it should fail") as never, (e: unknown) => e as ProviderError);
const PIECES = ['{"message": "I was', " about", " to say"];
/** the budget of the defaults (60 s), with short waits */
const policy: RetryPolicy = { budget_ms: 60_000, max_attempts: 3, backoff_ms: 10, backoff_max_ms: 20, deadline_at: Number.POSITIVE_INFINITY };

describe("a stream cut midway", () => {
  it("OpenAI-compatible: unreachable after 3 chunks, with what to check; retryable", async () => {
    openai.script = [{ kind: "cut", pieces: PIECES }];
    const err = await failure(new OpenAIProvider({ base_url: openai.url, api_key: null }).generate(request("openai", "local-model")));
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.kind).toBe("unreachable");
    expect(err.retryable).toBe(true);
    expect(err.message).toBe(`the server at ${openai.url} failed during generation: the stream ended after 3 chunks (terminated)`);
    expect(err.hint).toBe("it is retried within the retry budget (queues.retry_budget_ms); if it keeps failing, see the server's log");
    expect(classify(err)).toEqual({ cause: "unreachable", error: `${err.message} (${err.hint})`, retryAfterMs: null });
  });

  it("Ollama: the same cause and message", async () => {
    ollama.script = [{ kind: "cut", pieces: PIECES }];
    const err = await failure(new OllamaProvider({ host: ollama.url }).generate(request("ollama", "llama3.2")));
    expect(err.kind).toBe("unreachable");
    expect(err.message).toBe(`Ollama at ${ollama.url} failed during generation: the stream ended after 3 chunks (terminated)`);
    expect(err.hint).toMatch(/retried within the retry budget .*see the Ollama server's log$/);
  });

  it("an error the server sends inside the stream is not a lost connection, even when it says 'terminated'", async () => {
    ollama.script = [{ kind: "error-line", pieces: PIECES, error: "llama runner process has terminated: signal: killed" }];
    const err = await failure(new OllamaProvider({ host: ollama.url }).generate(request("ollama", "llama3.2")));
    expect(err.kind).toBe("generation_error");
    expect(err.message).toContain("llama runner process has terminated");
  });

  it("is retried past queues.attempts (3), within the retry budget: four cuts, then the reply", async () => {
    openai.script = [1, 2, 3, 4].map(() => ({ kind: "cut" as const, pieces: PIECES }));
    const provider = new OpenAIProvider({ base_url: openai.url, api_key: null });
    const failed: FailedAttempt[] = [];
    const result = await withRetries(policy, { provider: "openai", model: "local-model" }, () => provider.generate(request("openai", "local-model")), (f) => {
      failed.push(f);
    });
    expect(failed.map((f) => f.cause)).toEqual(["unreachable", "unreachable", "unreachable", "unreachable"]);
    expect(failed.every((f) => f.wait_ms !== null)).toBe(true);
    expect(result.text).toContain("Good morning.");
  });

  it("an error inside the stream still gets queues.attempts (3) attempts", async () => {
    ollama.script = [1, 2, 3].map(() => ({ kind: "error-line" as const, pieces: PIECES, error: "unexpected EOF" }));
    const provider = new OllamaProvider({ host: ollama.url });
    const err = await failure(withRetries(policy, { provider: "ollama", model: "llama3.2" }, () => provider.generate(request("ollama", "llama3.2"))));
    expect(err.message).toMatch(/; gave up after 3 attempts \(queues\.attempts\)$/);
  });
});

describe("Ollama error bodies that are not a string", () => {
  const generate = () => new OllamaProvider({ host: ollama.url }).generate(request("ollama", "llama3.2"));

  it("a 500 with an error object shows its message", async () => {
    ollama.script = [{ kind: "status", status: 500, error: { message: "internal boom", type: "server_error" } }];
    const err = await failure(generate());
    expect(err.kind).toBe("server_error");
    expect(err.message).toBe(`Ollama at ${ollama.url} failed (500: internal boom)`);
  });

  it("a 429 with an error object shows its message, and keeps Retry-After", async () => {
    ollama.script = [{ kind: "status", status: 429, error: { message: "slow down", code: 429 }, retryAfter: "3" }];
    const err = await failure(generate());
    expect(err.kind).toBe("rate_limited");
    expect(err.message).toBe(`Ollama at ${ollama.url} is rate limiting (429: slow down)`);
    expect(err.retryAfterMs).toBe(3000);
  });

  it("an object without a message is shown as JSON on one line, its secrets as ***", async () => {
    ollama.script = [{ kind: "status", status: 502, error: { code: "upstream", api_key: "sk-live-abcdef123456", detail: { token: "tok-9876543210" } } }];
    const err = await failure(generate());
    expect(err.message).toBe(`Ollama at ${ollama.url} failed (502: {"code":"upstream","api_key":"***","detail":{"token":"***"}})`);
    expect(err.message).not.toContain("sk-live");
  });

  it("a body that is not JSON (a proxy's page) shows its first line", async () => {
    ollama.script = [{ kind: "status", status: 503, error: "", text: "Service Unavailable: upstream is restarting\n<html>…</html>" }];
    const err = await failure(generate());
    expect(err.message).toBe(`Ollama at ${ollama.url} failed (503: Service Unavailable: upstream is restarting)`);
  });

  it("errorBodyMessage: one line, clipped, no control characters, no URL password; the status text when empty", () => {
    expect(errorBodyMessage('{"error":"model \\"x\\" not found"}')).toBe('model "x" not found');
    expect(errorBodyMessage('{"error":{"message":"first\\nsecond"}}')).toBe("first");
    expect(errorBodyMessage(JSON.stringify({ error: "a".repeat(1000) }))).toHaveLength(300);
    expect(errorBodyMessage('{"error":"bad \\u001b[31mred"}')).toBe("bad \\x1b[31mred");
    expect(errorBodyMessage('{"error":"cannot reach redis://user:hunter22@db:6379"}')).toBe("cannot reach redis://user:***@db:6379");
    expect(errorBodyMessage("", "Bad Gateway")).toBe("Bad Gateway");
    expect(errorBodyMessage('{"error":{}}')).toBe("{}");
  });
});
