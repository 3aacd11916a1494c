/**
 * The ollama provider against a local server speaking Ollama's wire format (test/helpers/fake-ollama.ts):
 * the request it builds, how the final chunk's numbers become metadata, structured output with
 * one repair, errors (missing model, server down, an error line inside a stream) and abort.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ProviderError } from "../../src/errors/index.js";
import { OllamaProvider } from "../../src/llm/ollama.js";
import { preflight } from "../../src/llm/preflight.js";
import { ConfigSchema } from "../../src/config/schema.js";
import { buildTurnMessages } from "../../src/worker/prompt.js";
import { replySchemaFor } from "../../src/worker/reply.js";
import { generateReply } from "../../src/worker/reply.js";
import { startFakeOllama, type FakeOllama } from "../helpers/fake-ollama.js";
import { getFreePort } from "../helpers/redis-server.js";
import { turnRequest, turnTask } from "../helpers/turn-fixture.js";

let server: FakeOllama;
beforeAll(async () => {
  server = await startFakeOllama({ models: ["llama3.2:latest", "qwen2.5:0.5b"] });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.script = [];
  server.requests = [];
  server.abortedStreams = 0;
});

const spec = { provider: "ollama" as const, model: "llama3.2", options: { temperature: 0.4, seed: 11, num_ctx: 2048, num_predict: 200, top_p: 0.9, keep_alive: "10m" } };
const req = turnRequest(spec);
const base = { model: spec.model, options: spec.options, task: turnTask(req) };
const provider = () => new OllamaProvider({ host: server.url });
const chats = () => server.requests.filter((r) => r.path === "/api/chat");

describe("ollama: request", () => {
  it("POSTs /api/chat with the turn's messages, the reply's JSON schema as format, the agent's options and keep_alive", async () => {
    await provider().generate({ ...base, messages: buildTurnMessages(req), jsonSchema: replySchemaFor("round_robin", []) });
    const body = chats()[0]!.body;
    expect(body.model).toBe("llama3.2");
    expect(body.stream).toBe(true);
    expect(body.format).toEqual(replySchemaFor("round_robin", []));
    expect(Object.keys((body.format as { properties: object }).properties).sort()).toEqual(["end_conversation", "message", "references", "sentiment"]);
    expect(body.options).toEqual({ temperature: 0.4, seed: 11, num_ctx: 2048, num_predict: 200, top_p: 0.9 });
    expect(body.keep_alive).toBe("10m");
    const messages = body.messages as Array<{ role: string; content: string }>;
    // system, then the history from Maya's point of view: her turn is "assistant", Tomas's "user"
    expect(messages.map((m) => m.role)).toEqual(["system", "assistant", "user"]);
    expect(messages[0]!.content).toContain("You are Maya Lindqvist");
    expect(messages[0]!.content).toContain("Refinancing the mortgage");
    // another speaker's turn says who spoke
    expect(messages[2]!.content).toBe(`Tomas Berg (relationship manager): ${req.history[1]!.text}`);
  });
});

describe("ollama: metrics", () => {
  it("maps the final chunk: eval_count, prompt_eval_count, nanosecond durations to ms, tokens/s = eval_count / eval_duration", async () => {
    server.script.push({ kind: "reply", pieces: ['{"message":', ' "Hi"}'], eval_count: 40, eval_duration_ns: 2_000_000_000, load_duration_ns: 150_000_000, prompt_eval_count: 87, delayMs: 5 });
    const streamed: string[] = [];
    const r = await provider().generate({ ...base, messages: buildTurnMessages(req), onToken: (t) => streamed.push(t) });
    expect(r.text).toBe('{"message": "Hi"}');
    expect(streamed.join("")).toBe(r.text);
    expect(r.tokens_generated).toBe(40);
    expect(r.prompt_tokens).toBe(87);
    expect(r.tokens_per_second).toBe(20);
    expect(r.load_time_ms).toBe(150);
    expect(r.generation_time_ms).toBe(2500);
    expect(r.time_to_first_token_ms).toBeGreaterThan(0);
    expect(r.done_reason).toBe("stop");
  });

  it("prompt_tokens is null when the final chunk has no prompt_eval_count (a prompt-cache hit)", async () => {
    server.script.push({ kind: "reply", pieces: ["{}"], prompt_eval_count: null });
    const r = await provider().generate({ ...base, messages: buildTurnMessages(req) });
    expect(r.prompt_tokens).toBeNull();
  });
});

describe("ollama: structured output", () => {
  const messages = buildTurnMessages(req);

  it("a reply cut at the length limit gets one repair attempt; the repaired reply is used and both generations are counted", async () => {
    server.script.push(
      { kind: "reply", pieces: ['{"message": "I was thinking that we'], done_reason: "length", eval_count: 200 },
      { kind: "reply", pieces: ['{"message": "Lower the rate.", "sentiment": 0.1, "references": [], "end_conversation": false}'], eval_count: 25 },
    );
    const reply = await generateReply(provider(), base, messages);
    expect(reply.failure).toBeUndefined();
    expect(reply.content.message).toBe("Lower the rate.");
    expect(reply.result.tokens_generated).toBe(225);
    const repair = chats()[1]!.body.messages as Array<{ role: string; content: string }>;
    expect(repair.at(-2)).toEqual({ role: "assistant", content: '{"message": "I was thinking that we' });
    expect(repair.at(-1)!.content).toMatch(/not usable: the reply was cut off at the length limit/);
  });

  it("invalid twice (not JSON, then out of range): a failed turn that keeps the raw text, nothing thrown", async () => {
    server.script.push(
      { kind: "reply", pieces: ["Sure! Here is my answer: hello"] },
      { kind: "reply", pieces: ['{"message": "Fine.", "sentiment": 7, "references": [], "end_conversation": false}'] },
    );
    const reply = await generateReply(provider(), base, messages);
    expect(reply.failure?.raw).toBe('{"message": "Fine.", "sentiment": 7, "references": [], "end_conversation": false}');
    expect(reply.failure?.error).toMatch(/not JSON.*then.*sentiment/);
    expect(reply.content.message).toBe("Fine.");
    expect(chats()).toHaveLength(2);
  });
});

describe("ollama: errors", () => {
  it("a missing model (404) says which model and `ollama pull <model>`, and is not worth retrying", async () => {
    const err = await provider()
      .generate({ ...base, model: "mistral", messages: buildTurnMessages(req) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).message).toContain('has no model "mistral"');
    expect((err as ProviderError).message).toContain('model "mistral" not found, try pulling it first');
    expect((err as ProviderError).hint).toContain("ollama pull mistral");
    expect((err as ProviderError).retryable).toBe(false);
  });

  it("an error line inside a 200 stream is a failed attempt that may be retried", async () => {
    server.script.push({ kind: "error-line", pieces: ['{"message": "Hel'], error: "an error was encountered while running the model: unexpected EOF" });
    const err = (await provider().generate({ ...base, messages: buildTurnMessages(req) }).catch((e: unknown) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toContain("unexpected EOF");
    expect(err.retryable).toBe(true);
  });

  it("a 500 with an error body is retryable and quotes the server", async () => {
    server.script.push({ kind: "status", status: 500, error: "llama runner process has terminated: signal: killed" });
    const err = (await provider().generate({ ...base, messages: buildTurnMessages(req) }).catch((e: unknown) => e)) as ProviderError;
    expect(err.kind).toBe("server_error");
    expect(err.message).toContain("failed (500: llama runner process has terminated");
    expect(err.retryable).toBe(true);
  });

  it("no server: one line naming the host, and how to start Ollama", async () => {
    const host = `http://127.0.0.1:${await getFreePort()}`;
    const err = (await new OllamaProvider({ host }).generate({ ...base, messages: buildTurnMessages(req) }).catch((e: unknown) => e)) as ProviderError;
    expect(err.message).toBe(`no Ollama server answers at ${host}`);
    expect(err.hint).toContain("ollama serve");
    expect(err.hint).toContain("OLLAMA_HOST");
  });
});

describe("ollama: abort", () => {
  it("aborting one stream cuts it (text so far, done_reason cut) and leaves a concurrent stream alone", async () => {
    const slow = { kind: "reply" as const, pieces: Array.from({ length: 20 }, (_, i) => `w${i} `), delayMs: 20 };
    server.script.push(slow, slow);
    const ac = new AbortController();
    const seen: string[] = [];
    const p = provider();
    const a = p.generate({ ...base, messages: buildTurnMessages(req), signal: ac.signal, onToken: (t) => {
      seen.push(t);
      if (seen.length === 3) ac.abort();
    } });
    const b = p.generate({ ...base, messages: buildTurnMessages(req) });
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.done_reason).toBe("cut");
    expect(ra.text).toBe("w0 w1 w2 ");
    expect(ra.tokens_generated).toBe(3);
    expect(rb.done_reason).toBe("stop");
    expect(rb.text).toBe(slow.pieces.join(""));
    await new Promise((r) => setTimeout(r, 50));
    expect(server.abortedStreams).toBe(1);
  });
});

describe("ollama: models and pull", () => {
  it("lists the server's models (GET /api/tags)", async () => {
    const models = await provider().listModels();
    expect(models.map((m) => m.name)).toEqual(expect.arrayContaining(["llama3.2:latest", "qwen2.5:0.5b"]));
    expect(models[0]!.details).toBe("3.2B Q4_K_M");
  });

  it("preflight: a missing model fails listing what the server has, and --pull; with pull it is pulled through the progress stream", async () => {
    const config = ConfigSchema.parse({ ollama: { host: server.url } });
    const said: string[] = [];
    const missing = { provider: "ollama" as const, model: "phi3", options: {} };
    const err = (await preflight(config, [missing], { say: (s) => said.push(s) }).catch((e: unknown) => e)) as ProviderError;
    expect(err.message).toBe(`Ollama at ${server.url} has no model "phi3"; it has: ${(await provider().listModels()).map((m) => m.name).join(", ")}`);
    expect(err.hint).toContain("--pull");
    expect(err.hint).toMatch(/--model (llama3\.2|qwen2\.5:0\.5b)/);

    await preflight(config, [missing], { say: (s) => said.push(s), pull: true });
    const pull = server.requests.find((r) => r.path === "/api/pull");
    expect(pull?.body.model ?? pull?.body.name).toBe("phi3");
    expect(pull?.body.stream).toBe(true);
    expect(said.join("\n")).toContain("pulling phi3");
    expect(await provider().hasModel("phi3")).toBe(true);
  });

  it("preflight: no server fails within 5 s naming the host", async () => {
    const host = `http://127.0.0.1:${await getFreePort()}`;
    const config = ConfigSchema.parse({ ollama: { host } });
    const t0 = Date.now();
    const err = (await preflight(config, [spec], { say: () => undefined }).catch((e: unknown) => e)) as ProviderError;
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(err.message).toContain(host);
    expect(err.hint).toContain("ollama serve");
  });
});
