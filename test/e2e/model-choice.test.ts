/**
 * The first run with a real model server, as a new user meets it: the real CLI against local
 * servers speaking Ollama's and OpenAI's wire formats. With no --model, `run` uses a model the
 * server serves, says which, and records that name (metadata, list, analyze); a model the server
 * does not have lists what it has; a dead server fails before any process starts and leaves no
 * run behind; `doctor` with the same options says the same thing `run` does.
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { cliEnv, runCli } from "../helpers/cli.js";
import { managerReplies, startFakeOllama, type FakeOllama } from "../helpers/fake-ollama.js";
import { startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai.js";
import { getFreePort } from "../helpers/redis-server.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { idFrom } from "../helpers/runs.js";

let redis: Redis;
const tmp = mkdtempSync(path.join(os.tmpdir(), "dialogue-choice-"));
beforeAll(() => {
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
const quick = ["--max-turns", "2", "--plain", "--set", "simulated.tokens_per_second=0", "--set", "simulated.time_to_first_token_ms=0"];
const reply = (text: string) => [JSON.stringify({ message: text, sentiment: 0.1, references: [], end_conversation: false })];
/** what the manager's model writes first (the same model: --provider applies to the manager too) */
const managerScript = () => managerReplies();
/** nothing of a run was written under `prefix` */
const nothingUnder = async (prefix: string) => expect(await redis.keys(`${prefix}:*`)).toEqual([]);

describe("an Ollama server that has one small model", () => {
  let ollama: FakeOllama;
  beforeAll(async () => {
    ollama = await startFakeOllama({ models: ["qwen2.5:0.5b"] });
    ollama.fallback = { kind: "reply", pieces: reply("From the small model.") };
  });
  afterAll(async () => {
    await ollama.close();
  });

  it("run --provider ollama (no --model) uses that model, says so in one line, and records it", async () => {
    const prefix = freshPrefix();
    ollama.script = managerScript();
    const r = await runCli(["run", "--provider", "ollama", ...quick, "--prefix", prefix], isolated({ OLLAMA_HOST: ollama.url }));
    expect(r.code, r.stderr).toBe(0);
    const said = r.stderr.split("\n").filter((l) => l.startsWith("Model: "));
    expect(said).toEqual([`Model: ollama → qwen2.5:0.5b (no model named for agent traveller, agent local, manager; the only model the server has, at ${ollama.url}; --model picks another)`]);
    const store = new Store(redis, prefix);
    const id = idFrom(r.stderr);
    const rec = (await store.get(id))!;
    expect([...rec.spec.agents.map((a) => a.model.model), rec.spec.manager.model]).toEqual(["qwen2.5:0.5b", "qwen2.5:0.5b", "qwen2.5:0.5b"]);
    const msgs = await store.readLog(id);
    expect(msgs.map((m) => `${m.metadata.provider}/${m.metadata.model}`)).toEqual(["ollama/qwen2.5:0.5b", "ollama/qwen2.5:0.5b"]);
    expect(ollama.requests.filter((q) => q.path === "/api/chat").every((q) => q.body.model === "qwen2.5:0.5b")).toBe(true);
  }, 60_000);

  it("run --model nosuch lists what the server has and suggests --pull, starts nothing, keeps nothing", async () => {
    const prefix = freshPrefix();
    const r = await runCli(["run", "--provider", "ollama", "--model", "nosuch", "--plain", "--prefix", prefix], isolated({ OLLAMA_HOST: ollama.url }));
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual([
      `error: Ollama at ${ollama.url} has no model "nosuch"; it has: qwen2.5:0.5b`,
      `hint: use one of those (--model qwen2.5:0.5b), or pass --pull to fetch "nosuch" from the Ollama library, if it is there`,
    ]);
    await nothingUnder(prefix);
  });

  it("doctor with the same options says what run does: the model it picks, and the missing one with what the server has", async () => {
    const env = isolated({ OLLAMA_HOST: ollama.url });
    const ok = await runCli(["doctor", "--provider", "ollama", "--prefix", freshPrefix()], env);
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.stdout).toContain(`ok    ollama → qwen2.5:0.5b (no model named for agent traveller, agent local, manager; the only model the server has, at ${ollama.url}`);
    expect(ok.stdout).toContain(`ok    agent traveller, agent local, manager: ollama qwen2.5:0.5b at ${ollama.url}`);
    expect(ok.stdout).toContain("All good.");
    const bad = await runCli(["doctor", "--provider", "ollama", "--model", "nosuch", "--prefix", freshPrefix()], env);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`FAIL  agent traveller, agent local, manager: Ollama at ${ollama.url} has no model "nosuch"; it has: qwen2.5:0.5b`);
    expect(bad.stdout).toMatch(/\n\s+fix: use one of those \(--model qwen2\.5:0\.5b\), or pass --pull/);
  });

  it("models marks the one run uses when no --model is named", async () => {
    const r = await runCli(["models", "--provider", "ollama"], isolated({ OLLAMA_HOST: ollama.url }));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("  qwen2.5:0.5b  2.0 GB  3.2B Q4_K_M  ← used when no --model is named");
  });
});

describe("an OpenAI-compatible server serving one model under any name (llama-server)", () => {
  let server: FakeOpenAI;
  beforeAll(async () => {
    server = await startFakeOpenAI({ models: ["tiny.gguf"], anyModel: true });
    server.fallback = { kind: "reply", pieces: reply("From llama-server.") };
  });
  afterAll(async () => {
    await server.close();
  });

  it("with no --model, the run's model is the served name: in the record, every message, list and analyze; doctor agrees", async () => {
    const prefix = freshPrefix();
    server.script = managerScript();
    const env = isolated({ OPENAI_BASE_URL: server.url });
    const r = await runCli(["run", "--provider", "openai", ...quick, "--prefix", prefix], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Model: openai → tiny.gguf (no model named for agent traveller, agent local, manager; the only model the server serves, at ${server.url}`);
    const id = idFrom(r.stderr);
    const store = new Store(redis, prefix);
    const rec = (await store.get(id))!;
    expect(rec.spec.agents.map((a) => a.model.model)).toEqual(["tiny.gguf", "tiny.gguf"]);
    expect((await store.readLog(id)).map((m) => m.metadata.model)).toEqual(["tiny.gguf", "tiny.gguf"]);
    expect(server.requests.filter((q) => q.path === "/v1/chat/completions").map((q) => q.body.model)).toContain("tiny.gguf");
    expect(r.stdout).not.toContain("gpt-4o-mini");

    const list = await runCli(["list", "--prefix", prefix], env);
    expect(list.stdout).toMatch(new RegExp(`${id} .*openai/tiny\\.gguf`));
    const analyze = await runCli(["analyze", id, "--prefix", prefix], env);
    expect(analyze.stdout).toContain("models: traveller openai/tiny.gguf · local openai/tiny.gguf · manager openai/tiny.gguf");

    const doctor = await runCli(["doctor", "--provider", "openai", "--prefix", freshPrefix()], env);
    expect(doctor.code, doctor.stdout).toBe(0);
    expect(doctor.stdout).toContain(`ok    agent traveller, agent local, manager: openai tiny.gguf at ${server.url}`);
    expect(doctor.stdout).not.toContain("FAIL");
  }, 60_000);

  it("a named model the server does not list is a warning in both (llama-server answers any name), and the run goes on", async () => {
    const prefix = freshPrefix();
    server.script = managerScript();
    const env = isolated({ OPENAI_BASE_URL: server.url });
    const r = await runCli(["run", "--provider", "openai", "--model", "my-model", ...quick, "--prefix", prefix], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`warning: the server at ${server.url} does not list "my-model" (it lists: tiny.gguf); the run tries it anyway`);
    const doctor = await runCli(["doctor", "--provider", "openai", "--model", "my-model", "--prefix", freshPrefix()], env);
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).toContain(`warn  agent traveller, agent local, manager: the server at ${server.url} does not list "my-model"`);
  }, 60_000);
});

describe("an OpenAI-compatible server serving several models", () => {
  it("with no --model and no default among them, run and doctor both ask for one, listing them", async () => {
    const server = await startFakeOpenAI({ models: ["qwen-7b", "llama-8b"] });
    try {
      const env = isolated({ OPENAI_BASE_URL: server.url });
      const prefix = freshPrefix();
      const r = await runCli(["run", "--provider", "openai", "--plain", "--prefix", prefix], env);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toEqual([
        `error: the OpenAI-compatible server at ${server.url} serves 2 models and none was named`,
        "hint: pass --model with one of: qwen-7b, llama-8b",
      ]);
      await nothingUnder(prefix);
      const doctor = await runCli(["doctor", "--provider", "openai", "--prefix", freshPrefix()], env);
      expect(doctor.code).toBe(1);
      expect(doctor.stdout).toContain(`FAIL  the OpenAI-compatible server at ${server.url} serves 2 models and none was named`);
    } finally {
      await server.close();
    }
  });
});

describe("a dead OpenAI base URL", () => {
  it("fails before any process starts: one line naming it, a hint, exit 1, no run left behind", async () => {
    const url = `http://127.0.0.1:${await getFreePort()}/v1`;
    const prefix = freshPrefix();
    const r = await runCli(["run", "--provider", "openai", "--plain", "--prefix", prefix], isolated({ OPENAI_BASE_URL: url }));
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(8000);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^error: no OpenAI-compatible server answers at ${url.replace(/[.]/g, "\\.")}`));
    expect(lines[1]).toMatch(/^hint: start the server \(LM Studio, vLLM, llama-server …\) or set OPENAI_BASE_URL/);
    await nothingUnder(prefix);
  });
});
