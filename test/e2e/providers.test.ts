/**
 * `dialogue run` with real providers, end to end: the real CLI, its manager and worker processes,
 * a real Redis; the embedded provider runs llama.cpp on the tiny GGUF, and Ollama / OpenAI are
 * local servers speaking their wire formats. What a user checks: the run completes, each message
 * says which provider and model produced it with the engine's numbers, failures are one line.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DialogMessage } from "../../src/protocol/schemas.js";
import { chunkFromEntry } from "../../src/protocol/token-entry.js";
import { Store } from "../../src/redis/store.js";
import { cliEnv, runCli } from "../helpers/cli.js";
import { startFakeOllama, type FakeOllama } from "../helpers/fake-ollama.js";
import { startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { idFrom } from "../helpers/runs.js";
import { getFreePort } from "../helpers/redis-server.js";
import { tinyGgufPath } from "../helpers/tiny-gguf.mjs";

let redis: Redis;
const tmp = mkdtempSync(path.join(os.tmpdir(), "dialogue-e2e-"));
beforeAll(async () => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});


/** no machine settings leak in: no Ollama, no OpenAI, an empty model cache */
const isolated = (extra: NodeJS.ProcessEnv = {}) => {
  const env = cliEnv(testRedisUrl(), { XDG_CACHE_HOME: path.join(tmp, "cache"), ...extra });
  for (const k of ["OPENAI_BASE_URL", "OPENAI_API_KEY", "OLLAMA_HOST"]) if (!(k in extra)) delete env[k];
  return env;
};

const config = (name: string, data: unknown): string => {
  const file = path.join(tmp, `${name}.json`);
  writeFileSync(file, JSON.stringify(data));
  return file;
};

/** the token counts the worker streamed for each turn (its last attempt) */
async function streamedTokens(store: Store, id: string): Promise<Map<number, number>> {
  const entries = await redis.xrange(store.keys.tokens(id), "-", "+");
  const chunks = entries.map(([, fields]) => chunkFromEntry(fields)).filter((c) => c !== null);
  expect(chunks.length).toBe(entries.length); // every entry is a valid chunk
  const last = new Map<number, number>();
  for (const c of chunks) last.set(c.seq, Math.max(last.get(c.seq) ?? 0, c.attempt));
  const sums = new Map<number, number>();
  for (const c of chunks) if (c.attempt === last.get(c.seq)) sums.set(c.seq, (sums.get(c.seq) ?? 0) + c.tokens);
  return sums;
}

describe("dialogue run --provider embedded --model-file <tiny.gguf> --max-turns 4", () => {
  it("completes; every message carries the engine's token count, tokens/s and time to first token", async () => {
    const prefix = freshPrefix();
    const r = await runCli(["run", "--provider", "embedded", "--model-file", tinyGgufPath(), "--max-turns", "4", "--plain", "--prefix", prefix], isolated(), 120_000);
    expect(r.stderr).not.toMatch(/^error:/m);
    const id = idFrom(r.stderr);
    const store = new Store(redis, prefix);
    const rec = (await store.get(id))!;
    const msgs = await store.readLog(id);
    // the tiny random model may end the conversation (end_conversation) in any reply that fits
    // the schema: then the run stops there, at that reply
    expect(["max_turns", "agent_ended"]).toContain(rec.stop_reason);
    if (rec.stop_reason === "max_turns") expect(msgs).toHaveLength(4);
    else {
      expect(msgs.length).toBeLessThanOrEqual(4);
      expect(msgs.at(-1)!.content.end_conversation).toBe(true);
      expect(msgs.at(-1)!.failed).toBeFalsy();
    }
    // its replies rarely fit the schema: the run is told as it went — completed when some turn
    // succeeded (exit 0, or 4 when some failed), failed when none did (exit 1)
    const ok = msgs.filter((m) => !m.failed).length;
    expect(rec.status).toBe(ok > 0 ? "completed" : "failed");
    expect(r.code).toBe(ok === 0 ? 1 : ok < msgs.length ? 4 : 0);
    if (ok === 0) expect(rec.error).toMatch(/^no turn succeeded \(4 turns: 4 failed\)/);
    const streamed = await streamedTokens(store, id);
    for (const m of msgs) {
      expect(m.metadata.provider).toBe("embedded");
      expect(m.metadata.model).toBe(tinyGgufPath());
      // the engine's count is what the worker streamed, token by token, while llama.cpp generated
      expect(m.metadata.tokens_generated).toBeGreaterThan(0);
      expect(m.metadata.tokens_generated).toBe(streamed.get(m.metadata.sequence_number));
      expect(m.metadata.tokens_per_second).toBeGreaterThan(0);
      expect(m.metadata.time_to_first_token_ms).toBeGreaterThan(0);
      expect(m.metadata.context?.counted).toBe("tokenizer");
      // gibberish that breaks the schema is a failed turn with its raw reply, not a crash
      if (m.failed) expect(m.raw?.length).toBeGreaterThan(0);
    }
    // the model is named by its file everywhere it is shown (header, messages, summary, analysis), never by its path
    expect(r.stdout).toContain(`embedded/${path.basename(tinyGgufPath())}`);
    expect(r.stdout).not.toContain(path.dirname(tinyGgufPath()));
    const analyzed = await runCli(["analyze", id, "--prefix", prefix], isolated());
    expect(analyzed.stdout).toContain(`models: traveller embedded/${path.basename(tinyGgufPath())}`);
    expect(analyzed.stdout).not.toContain(path.dirname(tinyGgufPath()));
  }, 150_000);
});

describe("two agents on two different providers", () => {
  let ollama: FakeOllama;
  let openai: FakeOpenAI;
  beforeAll(async () => {
    ollama = await startFakeOllama({ models: ["llama3.2:latest"] });
    openai = await startFakeOpenAI({ models: ["local-model"] });
  });
  afterAll(async () => {
    await ollama.close();
    await openai.close();
  });

  it("records each message with its own provider, model and numbers", async () => {
    ollama.fallback = { kind: "reply", pieces: ['{"message": "From Ollama.", "sentiment": 0.1, "references": [], "end_conversation": false}'], eval_count: 33, eval_duration_ns: 1_100_000_000 };
    openai.fallback = { kind: "reply", pieces: ['{"message": "From the OpenAI server.", ', '"sentiment": -0.2, "references": [], "end_conversation": false}'], usage: { prompt_tokens: 120, completion_tokens: 44 } };
    const file = config("two-providers", {
      agents: [
        { id: "guest", role: "hotel guest", provider: "ollama", model: "llama3.2" },
        { id: "clerk", role: "night clerk", provider: "openai", model: "local-model" },
      ],
      manager: { provider: "simulated" },
      simulated: { tokens_per_second: 0, time_to_first_token_ms: 0 },
    });
    const prefix = freshPrefix();
    const r = await runCli(["run", "--config", file, "--max-turns", "4", "--plain", "--prefix", prefix], isolated({ OLLAMA_HOST: ollama.url, OPENAI_BASE_URL: openai.url }));
    expect(r.code).toBe(0);
    const msgs = await new Store(redis, prefix).readLog(idFrom(r.stderr));
    expect(msgs.map((m) => `${m.metadata.provider}/${m.metadata.model}`)).toEqual(["ollama/llama3.2", "openai/local-model", "ollama/llama3.2", "openai/local-model"]);
    const [o, a] = msgs as [DialogMessage, DialogMessage];
    expect(o.content.message).toBe("From Ollama.");
    expect(o.metadata.tokens_generated).toBe(33);
    expect(o.metadata.tokens_per_second).toBeCloseTo(30, 6); // eval_count 33 / eval_duration 1.1 s
    expect(a.content.message).toBe("From the OpenAI server.");
    expect(a.metadata.tokens_generated).toBe(44);
    expect(a.metadata.prompt_tokens).toBe(120);
    expect(r.stdout).toContain("ollama/llama3.2");
    expect(r.stdout).toContain("openai/local-model");
  }, 60_000);

  it("dialogue models lists what each provider has", async () => {
    const env = isolated({ OLLAMA_HOST: ollama.url, OPENAI_BASE_URL: openai.url });
    const r = await runCli(["models", "--model-file", tinyGgufPath()], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`ollama (${ollama.url}):\n  llama3.2:latest  2.0 GB  3.2B Q4_K_M`);
    expect(r.stdout).toContain(`openai (${openai.url}):\n  local-model`);
    expect(r.stdout).toContain(`embedded:\n  ${tinyGgufPath()}`);
    const down = await runCli(["models", "--provider", "ollama"], isolated({ OLLAMA_HOST: `http://127.0.0.1:${await getFreePort()}` }));
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^error: no Ollama server answers at http:\/\/127\.0\.0\.1:\d+\nhint: start Ollama/);
  });

  it("an error line inside Ollama's stream is a failed attempt: the queue retries the turn, recorded once as attempt 2", async () => {
    ollama.script = [{ kind: "error-line", pieces: ['{"message": "Half a sen'], error: "an error was encountered while running the model: unexpected EOF" }];
    const file = config("retry", {
      agents: [
        { id: "guest", role: "hotel guest", provider: "ollama", model: "llama3.2" },
        { id: "clerk", role: "night clerk", provider: "simulated" },
      ],
      manager: { provider: "simulated" },
      simulated: { tokens_per_second: 0, time_to_first_token_ms: 0 },
      queues: { backoff_ms: 50 },
    });
    const prefix = freshPrefix();
    const r = await runCli(["run", "--config", file, "--max-turns", "2", "--plain", "--prefix", prefix], isolated({ OLLAMA_HOST: ollama.url }));
    expect(r.code).toBe(0);
    const msgs = await new Store(redis, prefix).readLog(idFrom(r.stderr));
    expect(msgs).toHaveLength(2);
    expect(msgs[0]?.metadata.attempt).toBe(2);
    expect(msgs[0]?.failed).toBe(false);
  }, 60_000);

  it("an unusable reply is retried once, then recorded as a failed turn with its raw text; the run goes on", async () => {
    ollama.script = [
      { kind: "reply", pieces: ["Sure, I can help with that."] },
      { kind: "reply", pieces: ['{"message": "Okay", "sentiment": 3}'] },
    ];
    const file = config("one-provider", {
      agents: [
        { id: "guest", role: "hotel guest", provider: "ollama", model: "llama3.2" },
        { id: "clerk", role: "night clerk", provider: "ollama", model: "llama3.2" },
      ],
      manager: { provider: "simulated" },
      simulated: { tokens_per_second: 0, time_to_first_token_ms: 0 },
    });
    const prefix = freshPrefix();
    const r = await runCli(["run", "--config", file, "--max-turns", "3", "--plain", "--prefix", prefix], isolated({ OLLAMA_HOST: ollama.url }));
    expect(r.code).toBe(4); // completed, with a failed turn
    const id = idFrom(r.stderr);
    const store = new Store(redis, prefix);
    expect((await store.get(id))?.stop_reason).toBe("max_turns");
    const [first, ...rest] = await store.readLog(id);
    expect(first?.failed).toBe(true);
    expect(first?.raw).toBe('{"message": "Okay", "sentiment": 3}');
    expect(first?.error).toMatch(/not JSON.*then.*sentiment/);
    expect(first?.content.message).toBe("Okay");
    expect(first?.metadata.attempt).toBe(1);
    // that attempt failed, and is counted with its cause (analysis: failed attempts by cause)
    expect(first?.metadata.failed_attempts.map((f) => [f.attempt, f.cause])).toEqual([[1, "invalid_reply"]]);
    expect(first?.metadata.failed_attempts[0]?.error).toMatch(/^unusable reply, twice: the reply is not JSON .*; then the reply does not match the schema: sentiment/);
    expect(rest.map((m) => m.failed)).toEqual([false, false]);
    expect(r.stdout).toMatch(/\[1\] .*\[failed\]/);
    // its job completed (the failed turn was recorded): show --failed lists it from the log, with the raw reply in --json
    const env = isolated({ OLLAMA_HOST: ollama.url });
    const failed = await runCli(["show", id, "--failed", "--prefix", prefix], env);
    expect(failed.stdout).toContain(`1 failed turn of ${id} recorded in the log (its job completed):`);
    expect(failed.stdout).toMatch(new RegExp(`message ${id}\\.1\\s+turn 1 \\(guest\\), 1 attempt: unusable reply, twice`));
    const listed = JSON.parse((await runCli(["show", id, "--failed", "--json", "--prefix", prefix], env)).stdout) as Array<{ queue: string; turn: number; raw?: string }>;
    expect(listed).toEqual([expect.objectContaining({ queue: "log", turn: 1, raw: '{"message": "Okay", "sentiment": 3}' })]);
  }, 60_000);
});

describe("no LLM server and no model", () => {
  it("--provider ollama fails within 5 s with one line naming the host and what to do", async () => {
    const host = `http://127.0.0.1:${await getFreePort()}`;
    const r = await runCli(["run", "--provider", "ollama", "--prefix", freshPrefix()], isolated({ OLLAMA_HOST: host }));
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(5000);
    expect(r.stderr.trim().split("\n")).toEqual([
      `error: no Ollama server answers at ${host}`,
      `hint: start Ollama (\`ollama serve\`, or the Ollama app), or point OLLAMA_HOST / ollama.host at the server (now ${host})`,
    ]);
  });

  it("--provider openai with no server configured says what to set", async () => {
    const r = await runCli(["run", "--provider", "openai", "--prefix", freshPrefix()], isolated());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: the openai provider has no server to talk to: neither OPENAI_BASE_URL nor OPENAI_API_KEY is set\nhint: set OPENAI_BASE_URL/);
  });

  it("--provider auto says it fell back to simulated and why, and completes", async () => {
    const host = `http://127.0.0.1:${await getFreePort()}`;
    const r = await runCli(
      ["run", "--provider", "auto", "--max-turns", "2", "--plain", "--prefix", freshPrefix(), "--set", "simulated.tokens_per_second=0"],
      isolated({ OLLAMA_HOST: host }),
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`Provider: auto → simulated (no Ollama server answered at ${host}; OPENAI_BASE_URL is not set; no embedded model downloaded yet`);
    expect(r.stdout).toContain("completed (max_turns)");
  });

  it("--provider auto picks the embedded provider when a model file is at hand", async () => {
    const host = `http://127.0.0.1:${await getFreePort()}`;
    const r = await runCli(
      ["run", "--provider", "auto", "--model-file", tinyGgufPath(), "--max-turns", "1", "--plain", "--prefix", freshPrefix()],
      isolated({ OLLAMA_HOST: host }),
      120_000,
    );
    // it ran in-process: the tiny model (random weights) wrote the story and the personas (their
    // schema fixes each agent's id, so even this model names each agent once), and took the turn;
    // its one reply may not fit the schema, or may end the conversation (end_conversation at random)
    expect(r.stdout).toContain("the manager is writing the story (embedded/dialogue-tiny-");
    expect(r.stdout).toMatch(/Ended: (completed \((max_turns|agent_ended)\)|failed \(no turn succeeded; ended by (max_turns|agent_ended)\)) · 1 turn/);
    expect([0, 1]).toContain(r.code);
    expect(r.stderr).toContain(`Provider: auto → embedded (no Ollama server answered at ${host}; OPENAI_BASE_URL is not set; running ${tinyGgufPath()} in-process (llama.cpp))`);
  }, 150_000);
});

describe("a 60-turn run against a small context window", () => {
  let openai: FakeOpenAI;
  beforeAll(async () => {
    // the server refuses any prompt over 1024 tokens, as a real one does
    openai = await startFakeOpenAI({ models: ["small-ctx"], contextWindow: 1024 });
    const long = "I hear you, and let me go through the numbers once more, slowly: the rate, the fees, the term, and what it all means per month. ".repeat(2);
    openai.fallback = { kind: "reply", pieces: [JSON.stringify({ message: long, sentiment: 0, references: [], end_conversation: false })] };
  });
  afterAll(async () => {
    await openai.close();
  });

  it("completes all 60 turns: older turns are summarized to fit, no context-limit failure", async () => {
    const file = config("small-context", {
      agents: [
        { id: "a", role: "homeowner", provider: "openai", model: "small-ctx", options: { num_ctx: 1024, num_predict: 200 } },
        { id: "b", role: "bank advisor", provider: "openai", model: "small-ctx", options: { num_ctx: 1024, num_predict: 200 } },
      ],
      manager: { provider: "simulated" },
      simulated: { tokens_per_second: 0, time_to_first_token_ms: 0 },
      // the fake server gives the same reply every turn: a loop by design, not what this test is about
      limits: { max_turns: 60, duration_seconds: 600, stop_on_loop: false },
    });
    const prefix = freshPrefix();
    const r = await runCli(["run", "--config", file, "--plain", "--prefix", prefix], isolated({ OPENAI_BASE_URL: openai.url }), 120_000);
    expect(r.stderr).not.toContain("context_length_exceeded");
    expect(r.code).toBe(0);
    const id = idFrom(r.stderr);
    const store = new Store(redis, prefix);
    const rec = (await store.get(id))!;
    expect(rec.stop_reason).toBe("max_turns");
    const msgs = await store.readLog(id);
    expect(msgs).toHaveLength(60);
    for (const m of msgs) {
      expect(m.failed).toBe(false);
      expect(m.metadata.context!.prompt_tokens).toBeLessThanOrEqual(m.metadata.context!.budget_tokens);
      expect(m.metadata.context!.budget_tokens).toBe(1024 - 200);
    }
    const late = msgs.at(-1)!.metadata.context!;
    expect(late.history_dropped).toBeGreaterThan(0);
    expect(late.summarized).toBe(true);
  }, 150_000);
});
