/**
 * A local HTTP server speaking the OpenAI chat-completions wire format, for tests:
 *   POST /v1/chat/completions (stream)  SSE `data: {chat.completion.chunk}\n\n` with
 *       `choices[0].delta.content`, a chunk with `finish_reason`, then — when
 *       `stream_options.include_usage` — a chunk with empty `choices` and `usage`, then `data: [DONE]`;
 *   errors  a status with `{"error": {"message", "type", "param", "code"}}` (401, 404, 429, 5xx),
 *           429/5xx optionally with `retry-after-ms`;
 *   GET /v1/models  `{"object": "list", "data": [...]}`;
 *   a context window, when given: a prompt longer than it (counted as 4 characters a token) is
 *   refused with 400 `context_length_exceeded`, as OpenAI and vLLM do;
 *   `anyModel`: like llama.cpp's `llama-server`, which serves the one model it was started with,
 *   lists it under its file name (`owned_by: "llamacpp"`) and answers a request naming any model.
 * Each chat request's answer is scripted per test; every request is recorded. `rateLimitUntil`
 * (epoch ms) answers every chat with 429 and `Retry-After: <retryAfter>` until then; `stall`
 * sends some chunks, then nothing with the connection held open; `cut` sends some chunks, then
 * drops the connection; `hang` never answers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type OpenAIScript =
  | { kind: "reply"; pieces: string[]; finish_reason?: "stop" | "length"; usage?: { prompt_tokens: number; completion_tokens: number }; delayMs?: number }
  | { kind: "status"; status: number; message: string; type: string; code: string | null; retryAfterMs?: number; /** Retry-After: seconds or an HTTP date (a function: made when the answer goes out) */ retryAfter?: string | (() => string) }
  | { kind: "stall"; pieces: string[] }
  /** some chunks, then the connection is dropped: no finish_reason, no [DONE] (a server that died mid-reply) */
  | { kind: "cut"; pieces: string[] }
  | { kind: "hang" };

export interface FakeOpenAI {
  /** the base URL, ending in /v1 */
  url: string;
  script: OpenAIScript[];
  fallback: OpenAIScript;
  requests: Array<{ method: string; path: string; headers: IncomingMessage["headers"]; body: Record<string, unknown> }>;
  abortedStreams: number;
  /** epoch ms: until then every chat gets 429 with Retry-After `retryAfter` */
  rateLimitUntil: number;
  /** ms: the first chat request from now on opens a window this long of 429s (rateLimitUntil), however late it comes */
  rateLimitFor: number;
  retryAfter: string;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function error(res: ServerResponse, s: Extract<OpenAIScript, { kind: "status" }>): void {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (s.retryAfterMs !== undefined) headers["retry-after-ms"] = String(s.retryAfterMs);
  if (s.retryAfter !== undefined) headers["retry-after"] = typeof s.retryAfter === "function" ? s.retryAfter() : s.retryAfter;
  res.writeHead(s.status, headers);
  res.end(JSON.stringify({ error: { message: s.message, type: s.type, param: null, code: s.code } }));
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let raw = "";
  for await (const c of req) raw += String(c);
  return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
}

export async function startFakeOpenAI(opts: { models?: string[]; contextWindow?: number; anyModel?: boolean } = {}): Promise<FakeOpenAI> {
  const models = opts.models ?? ["gpt-4o-mini", "local-model"];
  const state: FakeOpenAI = {
    url: "",
    script: [],
    fallback: { kind: "reply", pieces: ['{"message": "Good', ' morning.", "sentiment": 0.5, "references": [], "end_conversation": false}'] },
    requests: [],
    abortedStreams: 0,
    rateLimitUntil: 0,
    rateLimitFor: 0,
    retryAfter: "2",
    close: async () => undefined,
  };
  let n = 0;
  const server = createServer(async (req, res) => {
    const path = req.url ?? "/";
    const body = req.method === "POST" ? await readBody(req) : {};
    state.requests.push({ method: req.method ?? "GET", path, headers: req.headers, body });
    if (req.method === "GET" && path === "/v1/models") {
      res.writeHead(200, { "Content-Type": "application/json" });
      const owner = opts.anyModel ? "llamacpp" : "system";
      res.end(JSON.stringify({ object: "list", data: models.map((id) => ({ id, object: "model", created: 1_715_367_049, owned_by: owner })) }));
      return;
    }
    if (req.method !== "POST" || path !== "/v1/chat/completions") {
      return error(res, { kind: "status", status: 404, message: `Unknown request URL: ${req.method} ${path}.`, type: "invalid_request_error", code: "unknown_url" });
    }
    const model = String(body.model);
    if (!models.includes(model) && !opts.anyModel) {
      return error(res, {
        kind: "status",
        status: 404,
        message: `The model \`${model}\` does not exist or you do not have access to it.`,
        type: "invalid_request_error",
        code: "model_not_found",
      });
    }
    const promptTokens = Math.ceil((body.messages as Array<{ content: string }>).reduce((n, m) => n + m.content.length, 0) / 4);
    if (opts.contextWindow !== undefined && promptTokens > opts.contextWindow) {
      return error(res, {
        kind: "status",
        status: 400,
        message: `This model's maximum context length is ${opts.contextWindow} tokens. However, your messages resulted in ${promptTokens} tokens. Please reduce the length of the messages.`,
        type: "invalid_request_error",
        code: "context_length_exceeded",
      });
    }
    if (state.rateLimitFor > 0) {
      state.rateLimitUntil = Date.now() + state.rateLimitFor;
      state.rateLimitFor = 0;
    }
    if (Date.now() < state.rateLimitUntil) {
      return error(res, { kind: "status", status: 429, message: "Rate limit reached for requests", type: "requests", code: "rate_limit_exceeded", retryAfter: state.retryAfter });
    }
    const step = state.script.shift() ?? state.fallback;
    if (step.kind === "status") return error(res, step);
    if (step.kind === "hang") {
      res.on("close", () => state.abortedStreams++);
      return; // no headers, no body, ever
    }
    const id = `chatcmpl-${++n}`;
    const base = { id, object: "chat.completion.chunk", created: Math.floor(Date.now() / 1000), model, system_fingerprint: "fp_test" };
    const send = (o: unknown) => res.write(`data: ${JSON.stringify(o)}\n\n`);
    res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", Connection: "keep-alive" });
    let closed = false;
    res.on("close", () => {
      if (!res.writableEnded) {
        closed = true;
        state.abortedStreams++;
      }
    });
    const withUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    send({ ...base, choices: [{ index: 0, delta: { role: "assistant", content: "", refusal: null }, logprobs: null, finish_reason: null }], ...(withUsage ? { usage: null } : {}) });
    for (const p of step.pieces) {
      if (step.kind === "reply" && step.delayMs) await sleep(step.delayMs);
      if (closed) return;
      send({ ...base, choices: [{ index: 0, delta: { content: p }, logprobs: null, finish_reason: null }], ...(withUsage ? { usage: null } : {}) });
    }
    if (step.kind === "stall") return; // and never another byte, until the client gives up
    if (step.kind === "cut") {
      await sleep(50); // let the pieces reach the client first
      res.socket?.destroy();
      return;
    }
    send({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: step.finish_reason ?? "stop" }], ...(withUsage ? { usage: null } : {}) });
    if (withUsage) {
      const u = step.usage ?? { prompt_tokens: promptTokens, completion_tokens: step.pieces.length };
      send({ ...base, choices: [], usage: { ...u, total_tokens: u.prompt_tokens + u.completion_tokens } });
    }
    res.end("data: [DONE]\n\n");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}
