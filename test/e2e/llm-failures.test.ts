/**
 * Misbehaving LLM servers, end to end: local servers speaking Ollama's and OpenAI's wire formats
 * answer 5xx and 429 (with Retry-After), cut streams, stall mid-reply, never answer, send replies
 * that cannot be made into a message, or fail every time. Each failed attempt is recorded on the
 * turn with its cause and retried as the policy says; then the agent's fallback model takes the
 * turn; then a failed turn is recorded, the run ends `failed` with the reason and a non-zero exit,
 * and `show --failed` lists the turn's job.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { generationSeed } from "../../src/llm/seed.js";
import type { DialogMessage } from "../../src/protocol/schemas.js";
import { Store } from "../../src/redis/store.js";
import { cliEnv, runCli, waitFor } from "../helpers/cli.js";
import { startFakeOllama, type FakeOllama } from "../helpers/fake-ollama.js";
import { startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "dialogue-llm-failures-"));
let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

const REPLY_JSON = ['{"message": "Fine,', ' let us go on.", "sentiment": 0.1, "references": [], "end_conversation": false}'];
const REPLY = { kind: "reply" as const, pieces: REPLY_JSON };

function configFile(name: string, provider: "ollama" | "openai", model: string, agentB: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): string {
  const file = path.join(tmp, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      agents: [
        { id: "a", role: "homeowner", provider, model },
        { id: "b", role: "bank advisor", provider, model, ...agentB },
      ],
      manager: { provider: "simulated" },
      simulated: { tokens_per_second: 0, time_to_first_token_ms: 0 },
      limits: { max_turns: 2, duration_seconds: 120 },
      queues: { attempts: 3, backoff_ms: 50 },
      ...extra,
    }),
  );
  return file;
}

async function launch(file: string, env: NodeJS.ProcessEnv, extra: string[] = []) {
  const prefix = freshPrefix();
  const t0 = Date.now();
  const r = await runCli(["run", "--config", file, "--plain", "--prefix", prefix, ...extra], cliEnv(testRedisUrl(), env), 150_000);
  const id = /conversation (\S+)/.exec(r.stderr)?.[1];
  if (!id) throw new Error(`no conversation id:\n${r.stderr}`);
  const store = new Store(redis, prefix);
  return { r, id, prefix, env: cliEnv(testRedisUrl(), env), store, t0, rec: (await store.get(id))!, msgs: await store.readLog(id) };
}

const causes = (m: DialogMessage | undefined) => (m?.metadata.failed_attempts ?? []).map((f) => f.cause);

describe("Ollama's wire format", () => {
  let ollama: FakeOllama;
  beforeEach(async () => {
    ollama = await startFakeOllama({ models: ["llama3.2:latest"] });
  });
  afterEach(async () => {
    await ollama.close();
  });
  const run = (name: string, extra: string[] = [], agentB: Record<string, unknown> = {}, more: Record<string, unknown> = {}) =>
    launch(configFile(name, "ollama", "llama3.2", agentB, more), { OLLAMA_HOST: ollama.url }, extra);
  const chats = () => ollama.requests.filter((q) => q.path === "/api/chat").length;

  it("5xx and 429 are failed attempts, each recorded with its cause, retried; the turn is recorded once", async () => {
    ollama.script = [{ kind: "status", status: 500, error: "llama runner process has terminated" }, { kind: "status", status: 429, error: "too many requests" }, REPLY];
    ollama.fallback = REPLY;
    const { r, rec, msgs } = await run("retry", ["--seed", "99"]);
    expect(r.code, r.stderr).toBe(0);
    expect(rec.stop_reason).toBe("max_turns");
    // the run's seed is recorded, and each generation gets one derived from it (a retry another)
    expect(rec.spec.seed).toBe(99);
    const seeds = ollama.requests.filter((q) => q.path === "/api/chat").map((q) => (q.body.options as { seed?: number }).seed);
    expect(seeds).toEqual([generationSeed(99, 1, 1), generationSeed(99, 1, 2), generationSeed(99, 1, 3), generationSeed(99, 2, 1)]);
    expect(msgs.map((m) => m.metadata.sequence_number)).toEqual([1, 2]);
    expect(msgs[0]!.metadata.attempt).toBe(3);
    expect(causes(msgs[0])).toEqual(["server_error", "rate_limited"]);
    expect(msgs[0]!.metadata.failed_attempts[0]!.error).toContain("llama runner process has terminated");
    expect(msgs[0]!.content.message).toBe("Fine, let us go on.");
    expect(rec.retried_turns).toBe(1);
    expect(chats()).toBe(4);
    expect(r.stdout).toMatch(/attempt 1 failed \(server_error\)/);
  }, 120_000);

  it("a stream cut off before its final chunk is a failed attempt, retried", async () => {
    ollama.script = [{ kind: "cut", pieces: ['{"message": "I was say'] }];
    ollama.fallback = REPLY;
    const { r, msgs } = await run("cut");
    expect(r.code, r.stderr).toBe(0);
    expect(msgs[0]!.metadata.attempt).toBe(2);
    // the connection dropped mid-reply: retried within the budget, as a restarting server is
    expect(causes(msgs[0])).toEqual(["unreachable"]);
    expect(msgs[0]!.cut).toBe(false);
    expect(msgs[0]!.content.message).toBe("Fine, let us go on.");
  }, 120_000);

  it("a server that never sends a first token is noticed within timeouts.first_token_ms, and the turn retried", async () => {
    ollama.script = [{ kind: "hang" }];
    ollama.fallback = REPLY;
    const { r, msgs } = await run("hang", ["--set", "timeouts.first_token_ms=1500"]);
    expect(r.code, r.stderr).toBe(0);
    const m = msgs[0]!;
    expect(m.metadata.attempt).toBe(2);
    expect(causes(m)).toEqual(["no_first_token"]);
    expect(m.metadata.failed_attempts[0]!.error).toContain("sent no first token within 1.5 s");
    const noticedAfter = m.metadata.failed_attempts[0]!.at - m.metadata.started_at;
    expect(noticedAfter).toBeGreaterThanOrEqual(1500);
    expect(noticedAfter).toBeLessThan(1500 + 5000);
    expect(ollama.abortedStreams).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it("the old queues.idle_timeout_ms still bounds a silent server", async () => {
    ollama.script = [{ kind: "hang" }];
    ollama.fallback = REPLY;
    const { r, msgs } = await run("idle", ["--set", "queues.idle_timeout_ms=1000"]);
    expect(r.code, r.stderr).toBe(0);
    expect(causes(msgs[0])).toEqual(["no_first_token"]);
  }, 120_000);

  it("a stream that stalls mid-reply, with default settings, is noticed within the between-token timeout (30 s) and retried", async () => {
    ollama.script = [{ kind: "stall", pieces: ['{"message": "I will'] }];
    ollama.fallback = REPLY;
    const { r, msgs, rec } = await run("stall");
    expect(r.code, r.stderr).toBe(0);
    expect(rec.status).toBe("completed");
    const m = msgs[0]!;
    expect(causes(m)).toEqual(["stalled"]);
    expect(m.metadata.failed_attempts[0]!.error).toMatch(/stalled: nothing for 30 s after \d+ tokens?/);
    const noticedAfter = m.metadata.failed_attempts[0]!.at - m.metadata.started_at;
    expect(noticedAfter).toBeGreaterThanOrEqual(30_000);
    expect(noticedAfter).toBeLessThan(30_000 + 8000);
    expect(m.content.message).toBe("Fine, let us go on.");
  }, 150_000);

  it("a turn the deadline cuts while its model has gone silent is recorded as stalled, not as an ordinary cut; such a run is not a success", async () => {
    ollama.script = [{ kind: "stall", pieces: ['{"message": "I will'] }];
    ollama.fallback = REPLY;
    const { r, id, prefix, env, rec, msgs } = await run("stall-cut", ["--duration", "8"]);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]!.cut).toBe(true);
    expect(msgs[0]!.stalled).toBe(true);
    expect(msgs[0]!.content.message).toBe("I will");
    expect(rec.stop_reason).toBe("duration");
    expect(rec.status).toBe("failed");
    expect(rec.stalled_turns).toBe(1);
    expect(rec.error).toMatch(/no turn succeeded \(1 turn: 1 stalled\)/);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\[1\] .*\[stalled, cut\]/);
    // the limit did not fail it: no turn succeeded before it
    expect(r.stdout).toMatch(/^Ended: failed \(no turn succeeded; ended by duration\) · 1 turn/m);
    const list = await runCli(["list", "--prefix", prefix], env);
    expect(list.stdout).toMatch(new RegExp(`${id}.*failed \\(no turn succeeded; ended by duration\\) · 1 stalled`));
    // the status column is as wide as its widest status: the models line up under their heading
    const [head, row] = list.stdout.split("\n");
    expect(row!.indexOf("ollama/")).toBe(head!.indexOf("MODELS"));
    const md = await runCli(["export", id, "--format", "md", "--prefix", prefix], env);
    expect(md.stdout).toMatch(/failed · stalled · retried turns/);
    expect(md.stdout).toMatch(/stalled_turn from turn 1/);
  }, 120_000);

  it("429 with Retry-After: 2 for five seconds, then normal answers: the run completes, and the turn shows its attempts and their causes", async () => {
    ollama.fallback = REPLY;
    ollama.retryAfter = "2";
    // five seconds from the turn's first request (a loaded machine's start-up does not eat into them)
    ollama.rateLimitFor = 5000;
    const { r, rec, msgs } = await run("rate-limited");
    expect(r.code, r.stderr).toBe(0);
    expect(rec.status).toBe("completed");
    const failed = msgs[0]!.metadata.failed_attempts;
    expect(failed.length).toBeGreaterThanOrEqual(2);
    for (const f of failed) {
      expect(f.cause).toBe("rate_limited");
      expect(f.retry_after_ms).toBe(2000);
      expect(f.wait_ms).toBeGreaterThanOrEqual(2000); // Retry-After honoured
      expect(f.error).toContain("wait a little, or lower the load");
    }
    expect(msgs[0]!.metadata.attempt).toBe(failed.length + 1);
  }, 120_000);

  // two answers of 429 with Retry-After: 2, then a reply
  const limitedTwice = () => {
    const limited = { kind: "status" as const, status: 429, error: "too many requests", retryAfter: "2" };
    ollama.script = [limited, limited, REPLY];
    ollama.fallback = REPLY;
  };

  it("--plain says each failed attempt of the turn in progress while it waits, before the turn's message", async () => {
    limitedTwice();
    const { r, msgs } = await run("rate-limited-plain");
    expect(r.code, r.stderr).toBe(0);
    expect(msgs[0]!.metadata.failed_attempts).toHaveLength(2);
    const lines = r.stdout.split("\n");
    const live = lines.filter((l) => l.startsWith("… turn 1 ("));
    expect(live).toHaveLength(2);
    expect(live[0]).toMatch(/^… turn 1 \(.+, a\): attempt 1 failed \(rate_limited\): .*rate limit.*; retrying in 2\.\d s$/);
    expect(live[1]).toMatch(/^… turn 1 \(.+, a\): attempt 2 failed \(rate_limited\): .*; retrying in 2\.\d s$/);
    expect(lines.indexOf(live[1]!)).toBeLessThan(lines.findIndex((l) => l.startsWith("[1] ")));
  }, 120_000);

  it("a stop while the turn waits to retry: the turn fails with its real cause; the wait is no attempt of its own", async () => {
    ollama.fallback = { kind: "status", status: 500, error: "llama runner process has terminated" };
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl(), { OLLAMA_HOST: ollama.url });
    const file = configFile("stop-while-retrying", "ollama", "llama3.2", {}, { queues: { attempts: 3, backoff_ms: 3000, backoff_max_ms: 3000 } });
    const running = runCli(["run", "--config", file, "--plain", "--prefix", prefix], env, 120_000);
    const store = new Store(redis, prefix);
    const id = await waitFor("the run", async () => (await store.listIds())[0], 30_000);
    // two attempts failed, and the worker waits (about 3 s) before the third
    await waitFor("two failed attempts", async () => chats() >= 2, 60_000);
    const stop = await runCli(["stop", id, "--prefix", prefix], env);
    expect(stop.code, stop.stderr).toBe(0);
    const r = await running;
    const [m] = await store.readLog(id);
    expect(m!.failed).toBe(true);
    const made = chats();
    expect(made).toBeGreaterThanOrEqual(2);
    // every attempt made is there with its cause, and nothing else
    expect(causes(m)).toEqual(Array.from({ length: made }, () => "server_error"));
    expect(m!.metadata.attempt).toBe(made);
    expect(m!.error).toMatch(/llama runner process has terminated.*; the run ended while it was retried \(user_stop\)/);
    expect(m!.error).not.toContain("stopped while retrying");
    expect(r.stdout).not.toContain("stopped while retrying");
  }, 120_000);

  it("the manager's model failing the story: each attempt is said while it retries, and a stop ends the wait (no further attempt)", async () => {
    ollama.fallback = { kind: "status", status: 500, error: "llama runner process has terminated" };
    const prefix = freshPrefix();
    // the manager run starts says which host it is on (several may run, with other settings)
    const env = cliEnv(testRedisUrl(), { OLLAMA_HOST: ollama.url, DIALOGUE_HOSTNAME: "story-box" });
    const file = path.join(tmp, "manager-fails.json");
    writeFileSync(
      file,
      JSON.stringify({
        agents: [
          { id: "a", role: "homeowner", provider: "simulated" },
          { id: "b", role: "bank advisor", provider: "simulated" },
        ],
        manager: { provider: "ollama", model: "llama3.2" },
        limits: { max_turns: 2, duration_seconds: 120 },
        queues: { attempts: 3, backoff_ms: 8000, backoff_max_ms: 8000, retry_budget_ms: 120_000 },
      }),
    );
    const running = runCli(["run", "--config", file, "--plain", "--prefix", prefix], env, 120_000);
    const store = new Store(redis, prefix);
    const id = await waitFor("the run", async () => (await store.listIds())[0], 30_000);
    const retry = await waitFor("the manager's failed attempt on the record", async () => (await store.get(id))?.manager_retry, 60_000);
    expect(retry).toMatchObject({ phase: "story", attempt: 1, cause: "server_error", by: { host: "story-box", pid: expect.any(Number) } });
    expect(retry.wait_ms).toBeGreaterThanOrEqual(4000);
    const made = chats();
    const stop = await runCli(["stop", id, "--prefix", prefix], env);
    expect(stop.code, stop.stderr).toBe(0);
    const r = await running;
    const rec = (await store.get(id))!;
    expect(rec.status).toBe("stopped");
    expect(rec.stop_reason).toBe("user_stop");
    expect(chats()).toBe(made); // the wait ended: no attempt after the stop
    expect(r.stdout).toMatch(/^… the manager's attempt 1 at the story failed \(server_error; manager on story-box, pid \d+\): .*llama runner process has terminated.*; retrying in \d+\.\d s$/m);
  }, 120_000);

  it("the manager's model failing the story for good: the run's error names the manager (host, pid) whose model failed", async () => {
    ollama.fallback = { kind: "status", status: 500, error: "llama runner process has terminated" };
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl(), { OLLAMA_HOST: ollama.url, DIALOGUE_HOSTNAME: "story-box" });
    const file = path.join(tmp, "manager-fails-for-good.json");
    writeFileSync(
      file,
      JSON.stringify({
        agents: [
          { id: "a", role: "homeowner", provider: "simulated" },
          { id: "b", role: "bank advisor", provider: "simulated" },
        ],
        manager: { provider: "ollama", model: "llama3.2" },
        limits: { max_turns: 2, duration_seconds: 120 },
        queues: { attempts: 2, backoff_ms: 200, backoff_max_ms: 200, retry_budget_ms: 1000 },
      }),
    );
    const r = await runCli(["run", "--config", file, "--plain", "--prefix", prefix], env, 120_000);
    const store = new Store(redis, prefix);
    const id = (await store.listIds())[0]!;
    const rec = (await store.get(id))!;
    expect(rec.status, r.stderr).toBe("failed");
    expect(rec.error).toMatch(/^the manager on story-box \(pid \d+\) could not write the story: .*llama runner process has terminated/);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("the manager on story-box (pid ");
    // the end says why under how it ended, and no tables of zeros and dashes for a run with no turn
    const out = r.stdout;
    expect(out).toMatch(/^Ended: failed \(error\) · 0 turns/m);
    expect(out.indexOf("  error: the manager on story-box")).toBeGreaterThan(out.indexOf("Ended: failed (error)"));
    expect(out.indexOf("  error: the manager on story-box")).toBeLessThan(out.indexOf("Analysis of "));
    expect(out).toContain("  no turn was recorded: nothing to measure");
    expect(out).not.toMatch(/^Agents$/m);
    expect(out).not.toMatch(/^Flags$/m);
  }, 120_000);

  it("--json tells each failed attempt of the turn in progress as it happens, with its cause and the wait", async () => {
    limitedTwice();
    const file = configFile("rate-limited-json", "ollama", "llama3.2");
    const r = await runCli(["run", "--config", file, "--json", "--prefix", freshPrefix()], cliEnv(testRedisUrl(), { OLLAMA_HOST: ollama.url }), 150_000);
    expect(r.code, r.stderr).toBe(0);
    const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; seq?: number; message?: DialogMessage; [k: string]: unknown });
    const notices = events.filter((e) => e.type === "attempt_failed");
    expect(notices).toHaveLength(2);
    expect(notices[0]).toMatchObject({ seq: 1, turn: 1, agent_id: "a", attempt: 1, cause: "rate_limited", fallback: null });
    expect(notices[1]).toMatchObject({ seq: 1, turn: 1, agent_id: "a", attempt: 2, cause: "rate_limited" });
    // Retry-After: 2, and a little jitter (at most a tenth of it)
    for (const n of notices) expect(n["wait_ms"]).toBeGreaterThanOrEqual(2000);
    for (const n of notices) expect(n["wait_ms"]).toBeLessThanOrEqual(2200);
    expect(String(notices[0]!["error"])).toContain("rate limit");
    // told before the turn's message, which lists the same attempts
    const first = events.findIndex((e) => e.type === "attempt_failed");
    const message = events.findIndex((e) => e.type === "message" && e.message?.metadata.sequence_number === 1);
    expect(first).toBeLessThan(message);
    expect(events[message]!.message!.metadata.failed_attempts).toHaveLength(2);
  }, 120_000);

  it("429 forever: once the retry budget is spent the run fails, with the rate-limit hint, exit 1; show --failed lists the turn's job", async () => {
    ollama.retryAfter = "1";
    ollama.rateLimitUntil = Date.now() + 3_600_000;
    const { r, id, prefix, env, rec, msgs } = await run("rate-limited-forever", ["--set", "queues.retry_budget_ms=4000"]);
    expect(r.code).toBe(1);
    expect(rec.status).toBe("failed");
    expect(rec.stop_reason).toBe("error");
    expect(rec.error).toMatch(/turn 1 \(a\) failed: .*rate limiting.*lower the load.*gave up after \d+ attempts over \d+ s/);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]!.failed).toBe(true);
    expect(msgs[0]!.metadata.done_reason).toBe("error");
    expect(new Set(causes(msgs[0]))).toEqual(new Set(["rate_limited"]));
    expect(rec.failed_turns).toBe(1);
    const dead = await runCli(["show", id, "--failed", "--prefix", prefix], env);
    expect(dead.code).toBe(0);
    expect(dead.stdout).toMatch(/1 failed job/);
    expect(dead.stdout).toMatch(/requests\.a\s+job \S+\.1\s+turn 1 \(a\), \d+ attempts: .*rate limiting/);
    // the job's count of attempts is the turn's: every failed attempt, the last one too
    const attempts = msgs[0]!.metadata.failed_attempts.length;
    expect(dead.stdout).toContain(`turn 1 (a), ${attempts} attempts:`);
    expect(dead.stdout).toContain(`gave up after ${attempts} attempts`);
    expect(dead.stdout.split("\n").filter((l) => l.includes("job ")).every((l) => !l.includes("\n"))).toBe(true);
    const analysis = JSON.parse((await runCli(["analyze", id, "--json", "--prefix", prefix], env)).stdout) as {
      agents: Array<{ agent_id: string; failed_turns: number; failure_causes: Record<string, number> }>;
      flags: Array<{ type: string; turn: number }>;
    };
    expect(analysis.agents.find((a) => a.agent_id === "a")!.failed_turns).toBe(1);
    expect(analysis.agents.find((a) => a.agent_id === "a")!.failure_causes.rate_limited).toBeGreaterThan(1);
    expect(analysis.flags).toContainEqual(expect.objectContaining({ type: "failed_turn", turn: 1 }));
  }, 120_000);

  it("a reply that cannot be made into a message (eval_count -5): the fallback model takes the turn", async () => {
    ollama.script = [REPLY];
    ollama.fallback = { kind: "reply", pieces: REPLY_JSON, eval_count: -5 };
    const { r, rec, msgs } = await run("bad-count", [], { fallback: { provider: "simulated" } });
    expect(r.code, r.stderr).toBe(0);
    expect(rec.status).toBe("completed");
    const m2 = msgs[1]!;
    expect(m2.metadata.provider).toBe("simulated");
    expect(m2.metadata.fallback_from).toBe("ollama/llama3.2");
    expect(causes(m2)).toEqual(["invalid_reply", "invalid_reply", "invalid_reply"]);
    expect(m2.metadata.failed_attempts[0]!.error).toContain("invalid eval_count (-5)");
    expect(r.stdout).toContain("fallback for ollama/llama3.2");
  }, 120_000);

  it("a reply that cannot be made into a message (eval_count 12.5), with no fallback: a failed turn, the run failed, exit 1", async () => {
    ollama.script = [REPLY];
    ollama.fallback = { kind: "reply", pieces: REPLY_JSON, eval_count: 12.5 };
    const { r, rec, msgs } = await run("bad-count-no-fallback");
    expect(r.code).toBe(1);
    expect(rec.status).toBe("failed");
    expect(rec.error).toMatch(/turn 2 \(b\) failed: .*invalid eval_count \(12\.5\).*gave up after 3 attempts/);
    expect(msgs.map((m) => [m.metadata.sequence_number, m.failed])).toEqual([[1, false], [2, true]]);
    expect(r.stdout + r.stderr).not.toMatch(/Ended: completed/);
    expect(r.stdout).toMatch(/Ended: failed \(error\) · 2 turns \(1 failed\)/);
  }, 120_000);

  it("a reply of more than 1,000,000 characters is abandoned and retried, then the fallback takes the turn", async () => {
    ollama.script = [REPLY];
    const huge = `{"message": "${"la ".repeat(400_000)}`;
    ollama.fallback = { kind: "reply", pieces: [huge.slice(0, 600_000), huge.slice(600_000), '"}'] };
    const { r, msgs } = await run("huge", [], { fallback: { provider: "simulated" } });
    expect(r.code, r.stderr).toBe(0);
    expect(causes(msgs[1])).toEqual(["reply_too_long", "reply_too_long", "reply_too_long"]);
    expect(msgs[1]!.metadata.provider).toBe("simulated");
  }, 120_000);

  it("a model the server no longer has (404) cannot be retried: the fallback takes the turn at once", async () => {
    ollama.script = [REPLY, { kind: "status", status: 404, error: 'model "llama3.2" not found, try pulling it first' }];
    ollama.fallback = REPLY;
    const { r, msgs } = await run("missing-model", [], { fallback: { provider: "simulated" } });
    expect(r.code, r.stderr).toBe(0);
    expect(msgs[1]!.metadata.provider).toBe("simulated");
    expect(msgs[1]!.metadata.attempt).toBe(2);
    expect(causes(msgs[1])).toEqual(["model_missing"]);
    expect(chats()).toBe(2);
  }, 120_000);
});

describe("OpenAI's wire format", () => {
  let server: FakeOpenAI;
  beforeEach(async () => {
    server = await startFakeOpenAI({ models: ["local-model"] });
  });
  afterEach(async () => {
    await server.close();
  });
  const run = (name: string, extra: string[] = [], agentB: Record<string, unknown> = {}) =>
    launch(configFile(name, "openai", "local-model", agentB), { OPENAI_BASE_URL: server.url }, extra);
  const OK = { kind: "reply" as const, pieces: REPLY_JSON };

  it("429 with Retry-After (seconds) for five seconds, then normal answers: completes, each attempt's cause recorded", async () => {
    server.fallback = OK;
    server.retryAfter = "2";
    // five seconds from the turn's first request (a loaded machine's start-up does not eat into them)
    server.rateLimitFor = 5000;
    const { r, msgs } = await run("oa-rate-limited");
    expect(r.code, r.stderr).toBe(0);
    const failed = msgs[0]!.metadata.failed_attempts;
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(failed.every((f) => f.cause === "rate_limited" && f.retry_after_ms === 2000 && (f.wait_ms ?? 0) >= 2000)).toBe(true);
  }, 120_000);

  it("Retry-After as an HTTP date is honoured too", async () => {
    // the date is made when the 503 goes out (the run's start-up does not eat into it)
    server.script = [{ kind: "status", status: 503, message: "warming up", type: "server_error", code: null, retryAfter: () => new Date(Date.now() + 3000).toUTCString() }];
    server.fallback = OK;
    const { r, msgs } = await run("oa-retry-date");
    expect(r.code, r.stderr).toBe(0);
    const f = msgs[0]!.metadata.failed_attempts[0]!;
    expect(f.cause).toBe("server_error");
    // an HTTP date has whole seconds (up to 1 s of the 3 is cut): what is left of it when the answer is read
    expect(f.retry_after_ms).toBeGreaterThan(1500);
    expect(f.retry_after_ms).toBeLessThanOrEqual(3000);
    expect(f.wait_ms ?? 0).toBeGreaterThanOrEqual(f.retry_after_ms ?? Infinity);
  }, 120_000);

  it("a stall mid-stream is noticed within timeouts.between_tokens_ms and retried", async () => {
    server.script = [{ kind: "stall", pieces: ['{"message": "Well'] }];
    server.fallback = OK;
    const { r, msgs } = await run("oa-stall", ["--set", "timeouts.between_tokens_ms=2000"]);
    expect(r.code, r.stderr).toBe(0);
    expect(causes(msgs[0])).toEqual(["stalled"]);
    expect(server.abortedStreams).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it("a server that never answers is noticed within timeouts.first_token_ms", async () => {
    server.script = [{ kind: "hang" }];
    server.fallback = OK;
    const { r, msgs } = await run("oa-hang", ["--set", "openai.timeouts.first_token_ms=1500"]);
    expect(r.code, r.stderr).toBe(0);
    expect(causes(msgs[0])).toEqual(["no_first_token"]);
  }, 120_000);

  it("the run's seed reaches the server as `seed`", async () => {
    server.fallback = OK;
    const { r } = await run("oa-seed", ["--seed", "5"]);
    expect(r.code, r.stderr).toBe(0);
    const chats = server.requests.filter((q) => q.path === "/v1/chat/completions").map((q) => q.body.seed);
    expect(chats).toEqual([generationSeed(5, 1, 1), generationSeed(5, 2, 1)]);
  }, 60_000);

  it("usage that cannot be recorded (completion_tokens -5): the fallback takes the turn; without one, the run fails", async () => {
    server.script = [OK];
    server.fallback = { kind: "reply", pieces: REPLY_JSON, usage: { prompt_tokens: 10, completion_tokens: -5 } };
    const withFallback = await run("oa-bad-usage", [], { fallback: { provider: "simulated" } });
    expect(withFallback.r.code, withFallback.r.stderr).toBe(0);
    expect(withFallback.msgs[1]!.metadata.provider).toBe("simulated");
    expect(causes(withFallback.msgs[1])).toEqual(["invalid_reply", "invalid_reply", "invalid_reply"]);
    expect(withFallback.msgs[1]!.metadata.failed_attempts[0]!.error).toContain("tokens_generated");

    server.script = [OK];
    const without = await run("oa-bad-usage-no-fallback");
    expect(without.r.code).toBe(1);
    expect(without.rec.status).toBe("failed");
    expect(without.msgs[1]!.failed).toBe(true);
  }, 150_000);
});
