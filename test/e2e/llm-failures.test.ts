/**
 * Misbehaving LLM servers, end to end: a local server speaking Ollama's wire format answers 5xx
 * and 429, cuts streams, hangs, or fails every time. Each failure is a retried attempt (with
 * backoff); then the agent's fallback model if it has one; then a failed turn that ends the run
 * as `failed` with its reason, the failed job kept in Redis and listed by `show --failed`.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { cliEnv, runCli } from "../helpers/cli.js";
import { startFakeOllama, type FakeOllama } from "../helpers/fake-ollama.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "dialogue-llm-failures-"));
let redis: Redis;
let ollama: FakeOllama;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});
beforeEach(async () => {
  ollama = await startFakeOllama({ models: ["llama3.2:latest"] });
});
afterEach(async () => {
  await ollama.close();
});

const REPLY = { kind: "reply" as const, pieces: ['{"message": "Fine,', ' let us go on.", "sentiment": 0.1, "references": [], "end_conversation": false}'] };

function configFile(name: string, agentB: Record<string, unknown> = {}): string {
  const file = path.join(tmp, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      agents: [
        { id: "a", role: "homeowner", provider: "ollama", model: "llama3.2" },
        { id: "b", role: "bank advisor", provider: "ollama", model: "llama3.2", ...agentB },
      ],
      manager: { provider: "simulated" },
      simulated: { tokens_per_second: 0, time_to_first_token_ms: 0 },
      limits: { max_turns: 2, duration_seconds: 120 },
      queues: { attempts: 3, backoff_ms: 50 },
    }),
  );
  return file;
}

async function run(name: string, extra: string[] = [], agentB: Record<string, unknown> = {}) {
  const prefix = freshPrefix();
  const env = cliEnv(testRedisUrl(), { OLLAMA_HOST: ollama.url });
  const r = await runCli(["run", "--config", configFile(name, agentB), "--plain", "--prefix", prefix, ...extra], env, 90_000);
  const id = /conversation (\S+)/.exec(r.stderr)?.[1];
  if (!id) throw new Error(`no conversation id:\n${r.stderr}`);
  const store = new Store(redis, prefix);
  return { r, id, prefix, env, store, rec: (await store.get(id))!, msgs: await store.readLog(id) };
}

const chats = () => ollama.requests.filter((q) => q.path === "/api/chat").length;

describe("LLM failures", () => {
  it("5xx and 429 are failed attempts, retried with backoff; the turn is recorded once", async () => {
    ollama.script = [{ kind: "status", status: 500, error: "llama runner process has terminated" }, { kind: "status", status: 429, error: "too many requests" }, REPLY];
    ollama.fallback = REPLY;
    const { r, rec, msgs } = await run("retry");
    expect(r.code, r.stderr).toBe(0);
    expect(rec.stop_reason).toBe("max_turns");
    expect(msgs.map((m) => m.metadata.sequence_number)).toEqual([1, 2]);
    expect(msgs[0]!.metadata.attempt).toBe(3);
    expect(msgs[0]!.content.message).toBe("Fine, let us go on.");
    expect(chats()).toBe(4);
  }, 120_000);

  it("a stream cut off before its final chunk is a failed attempt, retried", async () => {
    ollama.script = [{ kind: "cut", pieces: ['{"message": "I was say'] }];
    ollama.fallback = REPLY;
    const { r, msgs } = await run("cut");
    expect(r.code, r.stderr).toBe(0);
    expect(msgs[0]!.metadata.attempt).toBe(2);
    expect(msgs[0]!.cut).toBe(false);
    expect(msgs[0]!.content.message).toBe("Fine, let us go on.");
  }, 120_000);

  it("a hung server is abandoned after queues.idle_timeout_ms and the turn retried", async () => {
    ollama.script = [{ kind: "hang" }];
    ollama.fallback = REPLY;
    const { r, msgs } = await run("hang", ["--set", "queues.idle_timeout_ms=1000"]);
    expect(r.code, r.stderr).toBe(0);
    expect(msgs[0]!.metadata.attempt).toBe(2);
    expect(ollama.abortedStreams).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it("a server that keeps failing, with no fallback: the run ends failed with the reason; show --failed lists the dead letter", async () => {
    ollama.script = [REPLY];
    ollama.fallback = { kind: "status", status: 503, error: "server is shutting down" };
    const { r, id, prefix, env, rec, msgs } = await run("down");
    expect(r.code).toBe(1);
    expect(rec.status).toBe("failed");
    expect(rec.stop_reason).toBe("error");
    expect(rec.error).toMatch(/turn 2 \(b\) failed: .*server is shutting down/);
    expect(msgs.map((m) => m.metadata.sequence_number)).toEqual([1]);
    expect(chats()).toBe(1 + 3);
    const dead = await runCli(["show", id, "--failed", "--prefix", prefix], env);
    expect(dead.code).toBe(0);
    expect(dead.stdout).toMatch(/1 failed job/);
    expect(dead.stdout).toMatch(/requests\.b\s+job \S+\.2 \(turn, 3 attempts\)/);
    expect(dead.stdout).toContain("server is shutting down");
  }, 120_000);

  it("with a fallback: the failing agent's turn is served by its fallback model, and says so", async () => {
    ollama.script = [REPLY];
    ollama.fallback = { kind: "status", status: 503, error: "server is shutting down" };
    const { r, rec, msgs } = await run("fallback", [], { fallback: { provider: "simulated" } });
    expect(r.code, r.stderr).toBe(0);
    expect(rec.stop_reason).toBe("max_turns");
    const m2 = msgs[1]!;
    expect(m2.metadata.provider).toBe("simulated");
    expect(m2.metadata.fallback_from).toBe("ollama/llama3.2");
    expect(m2.metadata.attempt).toBe(4);
    expect(r.stdout).toContain("fallback for ollama/llama3.2");
  }, 120_000);

  it("a model the server no longer has (404) cannot be retried: the fallback takes the turn at once", async () => {
    ollama.script = [REPLY, { kind: "status", status: 404, error: 'model "llama3.2" not found, try pulling it first' }];
    ollama.fallback = REPLY;
    const { r, msgs } = await run("missing-model", [], { fallback: { provider: "simulated" } });
    expect(r.code, r.stderr).toBe(0);
    expect(msgs[1]!.metadata.provider).toBe("simulated");
    expect(msgs[1]!.metadata.attempt).toBe(2);
    expect(chats()).toBe(2);
  }, 120_000);
});
