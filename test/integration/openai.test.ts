/**
 * The openai provider against a local server speaking the chat-completions wire format
 * (test/helpers/fake-openai.ts): request building, usage -> metadata, json_schema, errors,
 * retries with backoff, and abort.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ProviderError } from "../../src/errors/index.js";
import { OpenAIProvider } from "../../src/llm/openai.js";
import { buildTurnMessages } from "../../src/worker/prompt.js";
import { replySchemaFor } from "../../src/worker/reply.js";
import { generateReply } from "../../src/worker/reply.js";
import { startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai.js";
import { getFreePort } from "../helpers/redis-server.js";
import { turnRequest, turnTask } from "../helpers/turn-fixture.js";

let server: FakeOpenAI;
beforeAll(async () => {
  server = await startFakeOpenAI();
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.script = [];
  server.requests = [];
  server.abortedStreams = 0;
});

const spec = { provider: "openai" as const, model: "local-model", options: { temperature: 0.3, seed: 5, top_p: 0.8, num_predict: 300 } };
const req = turnRequest(spec);
const base = { model: spec.model, options: spec.options, task: turnTask(req) };
const messages = buildTurnMessages(req);
const provider = (over: Partial<ConstructorParameters<typeof OpenAIProvider>[0]> = {}) =>
  new OpenAIProvider({ base_url: server.url, api_key: "sk-test-123", max_retries: 2, ...over });
const chats = () => server.requests.filter((r) => r.path === "/v1/chat/completions");
const jsonSchema = replySchemaFor("round_robin", []);

describe("openai: request and usage", () => {
  it("streams with include_usage and a strict json_schema response format; sends the key and the agent's options", async () => {
    await provider().generate({ ...base, messages, jsonSchema });
    const { body, headers } = chats()[0]!;
    expect(headers.authorization).toBe("Bearer sk-test-123");
    expect(body).toMatchObject({ model: "local-model", stream: true, stream_options: { include_usage: true }, temperature: 0.3, seed: 5, top_p: 0.8, max_tokens: 300 });
    const format = body.response_format as { type: string; json_schema: { name: string; strict: boolean; schema: { required: string[]; additionalProperties: boolean } } };
    expect(format.type).toBe("json_schema");
    expect(format.json_schema.strict).toBe(true);
    // strict mode wants every property required and no others
    expect(format.json_schema.schema.required).toEqual(["message", "sentiment", "references", "end_conversation"]);
    expect(format.json_schema.schema.additionalProperties).toBe(false);
    expect((body.messages as Array<{ role: string }>).map((m) => m.role)).toEqual(["system", "assistant", "user"]);
  });

  it("the usage chunk (empty choices) gives tokens_generated and prompt_tokens; time to first token is measured", async () => {
    server.script.push({ kind: "reply", pieces: ['{"message": ', '"Yes."', "}"], usage: { prompt_tokens: 311, completion_tokens: 9 }, delayMs: 5 });
    const streamed: string[] = [];
    const r = await provider().generate({ ...base, messages, onToken: (t) => streamed.push(t) });
    expect(r.text).toBe('{"message": "Yes."}');
    expect(streamed).toEqual(['{"message": ', '"Yes."', "}"]);
    expect(r.tokens_generated).toBe(9);
    expect(r.prompt_tokens).toBe(311);
    expect(r.time_to_first_token_ms).toBeGreaterThan(0);
    expect(r.tokens_per_second).toBeGreaterThan(0);
    expect(r.done_reason).toBe("stop");
  });

  it('finish_reason "length" is a truncated reply: one repair, then the repaired reply', async () => {
    server.script.push(
      { kind: "reply", pieces: ['{"message": "Well'], finish_reason: "length", usage: { prompt_tokens: 300, completion_tokens: 300 } },
      { kind: "reply", pieces: ['{"message": "Done.", "sentiment": 0, "references": [], "end_conversation": true}'], usage: { prompt_tokens: 320, completion_tokens: 20 } },
    );
    const reply = await generateReply(provider(), base, messages);
    expect(reply.failure).toBeUndefined();
    expect(reply.content).toEqual({ message: "Done.", sentiment: 0, references: [], end_conversation: true });
    expect(reply.result.tokens_generated).toBe(320);
  });
});

describe("openai: errors and retries", () => {
  it("401: the key was refused, named with the server and OPENAI_API_KEY; not retried", async () => {
    server.script.push({ kind: "status", status: 401, message: "Incorrect API key provided: sk-test-123.", type: "invalid_request_error", code: "invalid_api_key" });
    const err = (await provider().generate({ ...base, messages }).catch((e: unknown) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toContain(`the server at ${server.url} refused the API key (401: Incorrect API key provided`);
    expect(err.hint).toContain("OPENAI_API_KEY");
    expect(err.retryable).toBe(false);
    expect(chats()).toHaveLength(1);
  });

  it("404: no such model, with how to list the server's models", async () => {
    const err = (await provider().generate({ ...base, model: "gpt-9", messages }).catch((e: unknown) => e)) as ProviderError;
    expect(err.message).toContain('has no model "gpt-9" (404: The model `gpt-9` does not exist');
    expect(err.hint).toContain("dialogue models --provider openai");
  });

  it("429 is retried with backoff (honouring retry-after-ms), then the stream succeeds", async () => {
    server.script.push({ kind: "status", status: 429, message: "Rate limit reached for requests", type: "requests", code: "rate_limit_exceeded", retryAfterMs: 20 });
    const r = await provider().generate({ ...base, messages });
    expect(chats()).toHaveLength(2);
    expect(r.done_reason).toBe("stop");
  });

  it("5xx is retried max_retries times, then one line saying it failed after retrying (retryable later)", async () => {
    const boom = { kind: "status" as const, status: 503, message: "The server is overloaded", type: "server_error", code: null, retryAfterMs: 10 };
    server.script.push(boom, boom, boom);
    const err = (await provider().generate({ ...base, messages }).catch((e: unknown) => e)) as ProviderError;
    expect(chats()).toHaveLength(3);
    expect(err.message).toContain("failed (503: The server is overloaded)");
    expect(err.retryable).toBe(true);
    expect(err.kind).toBe("server_error");
  });

  it("no server: names the base URL and OPENAI_BASE_URL", async () => {
    const url = `http://127.0.0.1:${await getFreePort()}/v1`;
    const err = (await provider({ base_url: url, max_retries: 0 }).generate({ ...base, messages }).catch((e: unknown) => e)) as ProviderError;
    expect(err.message).toContain(`no OpenAI-compatible server answers at ${url}`);
    expect(err.hint).toContain("OPENAI_BASE_URL");
  });
});

describe("openai: abort and models", () => {
  it("aborting one stream cuts it and leaves a concurrent one alone", async () => {
    const slow = { kind: "reply" as const, pieces: Array.from({ length: 20 }, (_, i) => `t${i} `), delayMs: 20 };
    server.script.push(slow, slow);
    const ac = new AbortController();
    let n = 0;
    const p = provider();
    const [ra, rb] = await Promise.all([
      p.generate({ ...base, messages, signal: ac.signal, onToken: () => (++n === 2 ? ac.abort() : undefined) }),
      p.generate({ ...base, messages }),
    ]);
    expect(ra.done_reason).toBe("cut");
    expect(ra.text).toBe("t0 t1 ");
    expect(rb.done_reason).toBe("stop");
    expect(rb.text).toBe(slow.pieces.join(""));
    await new Promise((r) => setTimeout(r, 50));
    expect(server.abortedStreams).toBe(1);
  });

  it("lists the server's models (GET /models)", async () => {
    expect((await provider().listModels()).map((m) => m.name)).toEqual(["gpt-4o-mini", "local-model"]);
  });
});
