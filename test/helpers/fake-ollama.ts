/**
 * A local HTTP server speaking Ollama's wire format (docs/api.md), for tests:
 *   POST /api/chat   NDJSON chunks `{"model","created_at","message":{"role":"assistant","content"},"done":false}`,
 *                    then a final chunk with done_reason and total_duration, load_duration,
 *                    prompt_eval_count (left out on a prompt-cache hit), prompt_eval_duration,
 *                    eval_count, eval_duration — durations in nanoseconds;
 *   errors           `{"error": "..."}` with a status code; 404 `model "x" not found, try pulling it first`;
 *                    an `{"error": "..."}` line inside a 200 stream;
 *   POST /api/pull   progress lines (`status`, `digest`, `total`, `completed`), then `{"status":"success"}`;
 *   GET /api/tags    `{"models": [...]}`;  GET /api/version  `{"version": "..."}`.
 * What each chat request gets is scripted per test; every request is recorded. `rateLimitUntil`
 * (epoch ms) answers every chat with 429 and `Retry-After: <retryAfter>` until then, as a server
 * behind a rate-limiting proxy does; `stall` sends some chunks and then nothing, keeping the
 * connection open (a runner that froze mid-reply).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type ChatScript =
  | {
      kind: "reply";
      /** the assistant's text, sent as one chunk per piece */
      pieces: string[];
      done_reason?: "stop" | "length";
      /** left out of the final chunk when null (a prompt-cache hit) */
      prompt_eval_count?: number | null;
      eval_count?: number;
      eval_duration_ns?: number;
      load_duration_ns?: number;
      /** pause before each chunk */
      delayMs?: number;
    }
  | {
      kind: "status";
      status: number;
      /** the body's `error`: Ollama sends a string; some servers and proxies an object */
      error: string | Record<string, unknown>;
      /** a Retry-After header: seconds or an HTTP date */
      retryAfter?: string;
      /** instead of the JSON body: this text, as text/plain (a proxy's error page) */
      text?: string;
    }
  /** some chunks, then silence with the connection held open */
  | { kind: "stall"; pieces: string[] }
  /** some chunks, then an error line, inside a 200 */
  | { kind: "error-line"; pieces: string[]; error: string }
  /** accepts the request and never answers (a hung server) */
  | { kind: "hang" }
  /** some chunks, then the connection is dropped without the final chunk */
  | { kind: "cut"; pieces: string[] };

/**
 * What a manager's model writes for the default scene (two agents, traveller and local): its story,
 * then the personas, each naming its agent as the schema the manager gives its model asks.
 * `storyDelayMs`: the story comes that late (a slow model).
 */
export function managerReplies(opts: { storyDelayMs?: number } = {}): Array<Extract<ChatScript, { kind: "reply" }>> {
  const story = {
    title: "A chance meeting",
    setting: "A small cafe near the train station.",
    characters: [
      { name: "Mara Quinn", role: "curious traveller" },
      { name: "Ivo Lind", role: "local resident" },
    ],
    initial_situation: "Two strangers share the last free table.",
  };
  const persona = (agent_id: string, name: string, role: string) => ({ agent_id, name, role, traits: ["curious"], goals: ["talk"], speaking_style: "plain" });
  return [
    { kind: "reply", pieces: [JSON.stringify(story)], ...(opts.storyDelayMs ? { delayMs: opts.storyDelayMs } : {}) },
    { kind: "reply", pieces: [JSON.stringify({ personas: [persona("traveller", "Mara Quinn", "curious traveller"), persona("local", "Ivo Lind", "local resident")] })] },
  ];
}

export interface FakeOllama {
  url: string;
  models: string[];
  /** what the next chat requests get, in order; when empty, `fallback` */
  script: ChatScript[];
  fallback: ChatScript;
  requests: Array<{ method: string; path: string; body: Record<string, unknown> }>;
  /** chat streams the server saw end before it finished them (client aborted) */
  abortedStreams: number;
  /** epoch ms: until then every chat gets 429 with Retry-After `retryAfter` */
  rateLimitUntil: number;
  /** ms: the first chat request from now on opens a window this long of 429s (rateLimitUntil), however late it comes */
  rateLimitFor: number;
  retryAfter: string;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => new Date().toISOString();

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let raw = "";
  for await (const c of req) raw += String(c);
  return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
}

export async function startFakeOllama(opts: { models?: string[] } = {}): Promise<FakeOllama> {
  const state: FakeOllama = {
    url: "",
    models: opts.models ?? ["llama3.2:latest"],
    script: [],
    fallback: { kind: "reply", pieces: ['{"message": "Hello', ' there.", "sentiment": 0.2, "references": [], "end_conversation": false}'] },
    requests: [],
    abortedStreams: 0,
    rateLimitUntil: 0,
    rateLimitFor: 0,
    retryAfter: "2",
    close: async () => undefined,
  };
  const hasModel = (name: string) => state.models.some((m) => m === name || m === `${name}:latest`);

  const server = createServer(async (req, res) => {
    const path = req.url ?? "/";
    const body = req.method === "POST" ? await readBody(req) : {};
    state.requests.push({ method: req.method ?? "GET", path, body });
    if (req.method === "GET" && path === "/api/version") return json(res, 200, { version: "0.12.6" });
    if (req.method === "GET" && path === "/api/tags") {
      return json(res, 200, {
        models: state.models.map((name) => ({
          name,
          model: name,
          modified_at: now(),
          size: 2_019_393_189,
          digest: "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
          details: { parent_model: "", format: "gguf", family: "llama", families: ["llama"], parameter_size: "3.2B", quantization_level: "Q4_K_M" },
        })),
      });
    }
    if (req.method === "POST" && path === "/api/pull") {
      // Ollama takes `model` (and the older `name`, which ollama-js 0.6 still sends)
      const model = String(body.model ?? body.name);
      res.writeHead(200, { "Content-Type": "application/x-ndjson" });
      res.write(`${JSON.stringify({ status: "pulling manifest" })}\n`);
      const total = 2_000_000;
      for (let done = 0; done <= total; done += 500_000) {
        res.write(`${JSON.stringify({ status: "pulling dde5aa3fc5ff", digest: "sha256:dde5aa3fc5ff", total, completed: done })}\n`);
      }
      res.write(`${JSON.stringify({ status: "verifying sha256 digest" })}\n${JSON.stringify({ status: "writing manifest" })}\n`);
      state.models.push(model.includes(":") ? model : `${model}:latest`);
      res.end(`${JSON.stringify({ status: "success" })}\n`);
      return;
    }
    if (req.method === "POST" && path === "/api/chat") {
      const model = String(body.model);
      if (!hasModel(model)) return json(res, 404, { error: `model "${model}" not found, try pulling it first` });
      if (state.rateLimitFor > 0) {
        state.rateLimitUntil = Date.now() + state.rateLimitFor;
        state.rateLimitFor = 0;
      }
      if (Date.now() < state.rateLimitUntil) {
        res.writeHead(429, { "Content-Type": "application/json; charset=utf-8", "Retry-After": state.retryAfter });
        res.end(JSON.stringify({ error: "too many requests" }));
        return;
      }
      const step = state.script.shift() ?? state.fallback;
      if (step.kind === "status") {
        const type = step.text !== undefined ? "text/plain; charset=utf-8" : "application/json; charset=utf-8";
        res.writeHead(step.status, { "Content-Type": type, ...(step.retryAfter ? { "Retry-After": step.retryAfter } : {}) });
        res.end(step.text ?? JSON.stringify({ error: step.error }));
        return;
      }
      if (step.kind === "hang") {
        res.on("close", () => state.abortedStreams++);
        return; // no headers, no body, ever
      }
      res.writeHead(200, { "Content-Type": "application/x-ndjson" });
      let closed = false;
      res.on("close", () => {
        if (!res.writableEnded) {
          closed = true;
          state.abortedStreams++;
        }
      });
      const chunk = (content: string) => `${JSON.stringify({ model, created_at: now(), message: { role: "assistant", content }, done: false })}\n`;
      for (const p of step.pieces) {
        if (step.kind === "reply" && step.delayMs) await sleep(step.delayMs);
        if (closed) return;
        res.write(chunk(p));
      }
      if (step.kind === "stall") return; // and never another byte, until the client gives up
      if (step.kind === "cut") {
        await sleep(50); // let the pieces reach the client first
        res.socket?.destroy();
        return;
      }
      if (step.kind === "error-line") {
        res.end(`${JSON.stringify({ error: step.error })}\n`);
        return;
      }
      const evalCount = step.eval_count ?? step.pieces.length;
      const final: Record<string, unknown> = {
        model,
        created_at: now(),
        message: { role: "assistant", content: "" },
        done: true,
        done_reason: step.done_reason ?? "stop",
        total_duration: 2_500_000_000,
        load_duration: step.load_duration_ns ?? 150_000_000,
        prompt_eval_duration: 120_000_000,
        eval_count: evalCount,
        eval_duration: step.eval_duration_ns ?? 2_000_000_000,
      };
      if (step.prompt_eval_count !== null) final.prompt_eval_count = step.prompt_eval_count ?? 87;
      res.end(`${JSON.stringify(final)}\n`);
      return;
    }
    json(res, 404, { error: "404 page not found" });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}
