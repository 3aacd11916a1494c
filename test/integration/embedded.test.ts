/**
 * The embedded provider with real inference: llama.cpp (node-llama-cpp) running the tiny
 * random-weight GGUF the test writes (test/helpers/tiny-gguf.mjs). Its text is gibberish; what
 * is checked is real: loading, streaming, the engine's token counts and limits, grammar-
 * constrained JSON, abort, the tokenizer-based prompt count, and the default-model download.
 */
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ProviderError } from "../../src/errors/index.js";
import { defaultThreads, ensureModelFile } from "../../src/llm/embedded-model.js";
import { EmbeddedProvider } from "../../src/llm/embedded.js";
import { StoryContentSchema } from "../../src/protocol/schemas.js";
import { buildTurnMessages } from "../../src/worker/prompt.js";
import { replySchemaFor } from "../../src/worker/reply.js";
import { getFreePort } from "../helpers/redis-server.js";
import { tinyGgufPath } from "../helpers/tiny-gguf.mjs";
import { history, turnRequest, turnTask } from "../helpers/turn-fixture.js";

const file = tinyGgufPath();
const settings = { model_file: file, cache_dir: null, default_model: "unused", threads: 1, context_size: 2048, max_tokens: 400 };
const provider = new EmbeddedProvider(settings);
afterAll(async () => {
  await provider.close();
});

const spec = { provider: "embedded" as const, model: file, options: { seed: 3, temperature: 0.8 } };
const req = turnRequest(spec);
const base = { model: file, options: spec.options, task: turnTask(req), messages: buildTurnMessages(req) };

describe("embedded: real inference on a tiny GGUF", () => {
  it("streams the reply; tokens_generated is what the engine produced, prompt_tokens its tokenizer's count", async () => {
    const pieces: string[] = [];
    let streamedTokens = 0;
    const r = await provider.generate({ ...base, onToken: (t, n) => (pieces.push(t), (streamedTokens += n)) });
    expect(r.text.length).toBeGreaterThan(0);
    expect(pieces.join("")).toBe(r.text);
    expect(r.tokens_generated).toBeGreaterThan(0);
    expect(r.tokens_generated).toBe(streamedTokens);
    expect(r.prompt_tokens).toBe(await provider.countTokens(file, base.messages));
    expect(r.time_to_first_token_ms).toBeGreaterThan(0);
    expect(r.tokens_per_second).toBeGreaterThan(0);
    expect(r.done_reason).toBe("stop");
  });

  it("num_predict is enforced by the engine: exactly that many tokens, done_reason length", async () => {
    // the grammar forbids ending before the JSON is complete, so the limit is what stops it
    const r = await provider.generate({ ...base, options: { ...spec.options, num_predict: 7 }, jsonSchema: z.toJSONSchema(StoryContentSchema) as Record<string, unknown> });
    expect(r.tokens_generated).toBe(7);
    expect(r.done_reason).toBe("length");
  });

  it("the model is loaded once: load time on the first generation of a model, 0 afterwards", async () => {
    const fresh = new EmbeddedProvider(settings);
    try {
      const a = await fresh.generate(base);
      const b = await fresh.generate(base);
      expect(a.load_time_ms).toBeGreaterThan(0);
      expect(b.load_time_ms).toBe(0);
    } finally {
      await fresh.close();
    }
  });

  it("structured output: the reply's JSON schema becomes a grammar, so the text is JSON with exactly the schema's keys", async () => {
    const jsonSchema = replySchemaFor("round_robin", []);
    for (const seed of [1, 2, 3]) {
      const r = await provider.generate({ ...base, options: { seed, temperature: 0.8 }, jsonSchema });
      expect(r.done_reason).toBe("stop");
      const data = JSON.parse(r.text) as Record<string, unknown>;
      // the turn order is round robin: no next_speaker is asked for
      expect(Object.keys(data).sort()).toEqual(["end_conversation", "message", "references", "sentiment"]);
      expect(typeof data.message).toBe("string");
      expect(typeof data.end_conversation).toBe("boolean");
      expect(Array.isArray(data.references)).toBe(true);
    }
  });

  it("abort: the generation stops, keeps its text so far, done_reason cut", async () => {
    const ac = new AbortController();
    let n = 0;
    const r = await provider.generate({
      ...base,
      options: { ...spec.options, num_predict: 300 },
      jsonSchema: z.toJSONSchema(StoryContentSchema) as Record<string, unknown>,
      signal: ac.signal,
      onToken: () => (++n === 5 ? ac.abort() : undefined),
    });
    expect(r.done_reason).toBe("cut");
    expect(r.tokens_generated).toBeLessThan(300);
    expect(r.text.length).toBeGreaterThan(0);
  });

  it("the context window is the agent's num_ctx (capped at the model's own)", async () => {
    expect(await provider.contextWindow(file, { num_ctx: 512 })).toBe(512);
    expect(await provider.contextWindow(file, {})).toBe(2048);
    expect(await provider.contextWindow(file, { num_ctx: 100_000 })).toBe(4096);
  });

  it("a prompt longer than the context window is shortened, and the reply never runs past the window", async () => {
    const long = buildTurnMessages(turnRequest(spec, { history: history(40) }));
    expect(await provider.countTokens(file, long)).toBeGreaterThan(1024);
    const r = await provider.generate({ ...base, messages: long, options: { ...spec.options, num_ctx: 1024 } });
    expect(r.prompt_tokens).toBeLessThanOrEqual(1024 - 32);
    expect(r.prompt_tokens! + r.tokens_generated).toBeLessThanOrEqual(1024);
  });

  it("a missing model file is one clear error", async () => {
    const err = (await provider.generate({ ...base, model: "/nonexistent/model.gguf" }).catch((e: unknown) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toBe("no model file at /nonexistent/model.gguf");
    expect(err.hint).toContain("--model-file");
  });

  it("default threads leave room on a small machine: 1 on 2 cores, half the cores above", () => {
    expect(defaultThreads(1)).toBe(1);
    expect(defaultThreads(2)).toBe(1);
    expect(defaultThreads(16)).toBe(8);
  });
});

describe("embedded: the default model", () => {
  it("is downloaded once into the cache directory, with progress, then found there", async () => {
    const bytes = readFileSync(file);
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": String(bytes.length) });
      res.end(bytes);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/tiny-instruct.gguf`;
    const cache = mkdtempSync(path.join(os.tmpdir(), "dialogue-cache-"));
    const s = { model_file: null, cache_dir: cache, default_model: url };
    try {
      const said: string[] = [];
      const got = await ensureModelFile("default", s, (l) => said.push(l));
      expect(got).toBe(path.join(cache, "tiny-instruct.gguf"));
      expect(readFileSync(got).equals(bytes)).toBe(true);
      expect(said.join("\n")).toContain(`downloading the default model ${url}`);
      const hitsAfterFirst = hits;
      expect(await ensureModelFile("default", s, () => undefined)).toBe(got);
      expect(hits).toBe(hitsAfterFirst);
    } finally {
      server.close();
    }
  });

  it("offline: one line saying the download failed and how to pass a file", async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), "dialogue-cache-"));
    const s = { model_file: null, cache_dir: cache, default_model: `http://127.0.0.1:${await getFreePort()}/none/model.gguf` };
    const err = (await ensureModelFile("default", s, () => undefined).catch((e: unknown) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toBe("could not download the default embedded model (ECONNREFUSED); this machine may be offline");
    expect(err.hint).toContain("--model-file");
    expect(existsSync(path.join(cache, "model.gguf"))).toBe(false);
  });
});
