/**
 * `dialogue analyze --judge` and `--notes` when the manager's model fails, as a user runs them
 * (the real CLI against the test Redis, and a local server speaking Ollama's or OpenAI's wire
 * format): a 5xx, a 429 with Retry-After, a cut stream or a refused connection is retried with
 * one line on stderr for each failed attempt, and a success after it is shown and stored; a model
 * that keeps failing costs the verdict or the notes, not the figures: the analysis is printed as
 * without the flag (text, --json, --md), then one line says what failed, why and what to do, and
 * analyze exits 1; what was stored before is kept.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Analysis, Judge } from "../../src/analysis/schema.js";
import { readNotes, readStored, saveJudge } from "../../src/redis/analysis-store.js";
import { Store } from "../../src/redis/store.js";
import { cliEnv, runCli, type CliResult } from "../helpers/cli.js";
import { startFakeOllama, type FakeOllama } from "../helpers/fake-ollama.js";
import { startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai.js";
import { loadFixture } from "../helpers/fixtures.js";
import { freshPrefix, testRedisUrl, withRedis } from "../helpers/redis.js";

let redis: Redis;
beforeAll(async () => {
  redis = await withRedis();
});
afterAll(async () => {
  await redis.quit();
});

const VERDICT = {
  summary: "Ann and Ben weigh the budget against a late vendor and agree on a plan.",
  persona_adherence: { score: 8, reason: "each keeps to the role" },
  coherence: { score: 7, reason: "every answer follows the question" },
  engagement: { score: 6, reason: "both take part" },
};
const NOTE = { summary: "They talk about the budget and the vendor.", open_questions: ["Will the vendor deliver?"], sentiment: 0.1 };
/** a JSON reply in two pieces, as a server streams it */
const pieces = (o: unknown): string[] => {
  const s = JSON.stringify(o);
  return [s.slice(0, 20), s.slice(20)];
};
/** quick retries: a budget of 2 s, a first backoff of 100 ms */
const QUICK = ["--set", "queues.retry_budget_ms=2000", "--set", "queues.backoff_ms=100", "--set", "queues.backoff_max_ms=400"];

/** the healthy fixture as a finished run in Redis under a fresh prefix, its manager `manager` */
async function seed(manager: { provider: "ollama" | "openai" | "imported"; model: string }) {
  const prefix = freshPrefix();
  const store = new Store(redis, prefix);
  const fx = loadFixture("healthy");
  const spec = { ...fx.record.spec, manager: { ...manager, options: {} } };
  await store.create(spec);
  await store.setPersonas(spec.id, fx.record.personas ?? []);
  for (const m of fx.messages) await store.appendMessage(m);
  await store.setFields(spec.id, { started_at: fx.record.started_at ?? 0, status: "running" });
  await store.finalize(spec.id, fx.record.stop_reason ?? "max_turns");
  await store.setFields(spec.id, { ended_at: fx.record.ended_at ?? 0 });
  return { prefix, store, id: spec.id };
}

const errorLines = (stderr: string): string[] => stderr.split("\n").filter((l) => l.startsWith("error:") || l.startsWith("hint:"));
const notices = (stderr: string): string[] => stderr.split("\n").filter((l) => l.startsWith("… "));

describe("--judge, a run judged by its manager's model (Ollama's wire format)", () => {
  let ollama: FakeOllama;
  let run: Awaited<ReturnType<typeof seed>>;
  let env: NodeJS.ProcessEnv;
  const analyze = (args: string[]): Promise<CliResult> => runCli(["analyze", run.id, "--prefix", run.prefix, ...args], env, 60_000);
  beforeEach(async () => {
    ollama = await startFakeOllama({ models: ["llama3.2:latest"] });
    ollama.fallback = { kind: "reply", pieces: pieces(VERDICT) };
    run = await seed({ provider: "ollama", model: "llama3.2" });
    env = cliEnv(testRedisUrl(), { OLLAMA_HOST: ollama.url });
  });
  afterEach(async () => {
    await ollama.close();
  });

  it("500, then an answer: one line on stderr for the failed attempt; the verdict is shown and stored", async () => {
    ollama.script = [{ kind: "status", status: 500, error: "llama runner process has terminated" }];
    const r = await analyze(["--judge", ...QUICK]);
    expect(r.code, r.stderr).toBe(0);
    const told = notices(r.stderr);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(
      /^… the verdict \(ollama\/llama3\.2\): attempt 1 failed \(server_error\): Ollama at http:\/\/127\.0\.0\.1:\d+ failed \(500: llama runner process has terminated\) \(.*\); retrying in \d\.\d s$/,
    );
    expect(errorLines(r.stderr)).toEqual([]);
    expect(r.stdout).toContain(`Analysis of ${run.id}`);
    expect(r.stdout).toMatch(/Judge\n {2}by ollama\/llama3\.2 on 6 of 6 turns\n {2}Ann and Ben weigh the budget/);
    expect(r.stdout).toContain("persona adherence 8/10 — each keeps to the role");
    expect(ollama.requests.filter((q) => q.path === "/api/chat")).toHaveLength(2);
    const stored = (await readStored(run.store, run.id)).judge;
    expect(stored).toMatchObject({ ...VERDICT, provider: "ollama", model: "llama3.2", simulated: false, turns_seen: 6 });
  });

  it("429 with Retry-After, then an answer: it waits what the server asked, says so, and the verdict is stored", async () => {
    ollama.script = [{ kind: "status", status: 429, error: "too many requests", retryAfter: "1" }];
    const t0 = Date.now();
    const r = await analyze(["--judge", "--json", ...QUICK]);
    expect(r.code, r.stderr).toBe(0);
    const told = notices(r.stderr);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/^… the verdict \(ollama\/llama3\.2\): attempt 1 failed \(rate_limited\): Ollama at \S+ is rate limiting \(429: too many requests\) .*; retrying in 1\.\d s$/);
    // the hint fits analyze: no --count (a flag of dialogue run)
    expect(told[0]).toContain(`wait a minute and run dialogue analyze ${run.id} --judge --prefix ${run.prefix} again`);
    expect(told[0]).not.toContain("--count");
    const chats = ollama.requests.filter((q) => q.path === "/api/chat");
    expect(chats).toHaveLength(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    const a = JSON.parse(r.stdout) as Analysis;
    expect(a.judge).toMatchObject({ provider: "ollama", model: "llama3.2", summary: VERDICT.summary });
    expect((await readStored(run.store, run.id)).judge?.summary).toBe(VERDICT.summary);
  });

  it("a stream cut mid-reply, then an answer: retried", async () => {
    ollama.script = [{ kind: "cut", pieces: ['{"summary": "Ann and'] }];
    const r = await analyze(["--judge", ...QUICK]);
    expect(r.code, r.stderr).toBe(0);
    expect(notices(r.stderr)).toEqual([expect.stringMatching(/^… the verdict \(ollama\/llama3\.2\): attempt 1 failed \(unreachable\): .*the stream ended after 1 chunk.*; retrying in \d\.\d s$/)]);
    expect(notices(r.stderr)[0]).not.toContain("the turn");
    expect(r.stdout).toContain("Ann and Ben weigh the budget");
  });

  it("500 every time: the analysis as without --judge, then one line saying why, exit 1; nothing stored", async () => {
    ollama.fallback = { kind: "status", status: 500, error: "llama runner process has terminated" };
    const plain = await analyze([]);
    expect(plain.code, plain.stderr).toBe(0);
    for (const [flags, what] of [[[], "text"], [["--json"], "json"], [["--md"], "md"]] as const) {
      const without = flags.length ? await analyze([...flags]) : plain;
      const r = await analyze(["--judge", ...flags, ...QUICK]);
      expect(r.code, `${what}: ${r.stderr}`).toBe(1);
      expect(r.stdout, what).toBe(without.stdout);
      const told = notices(r.stderr);
      expect(told.length, what).toBeGreaterThanOrEqual(2);
      told.forEach((l, i) => expect(l).toMatch(new RegExp(`^… the verdict \\(ollama/llama3\\.2\\): attempt ${i + 1} failed \\(server_error\\): .*; retrying in \\d\\.\\d s$`)));
      const errors = errorLines(r.stderr);
      expect(errors, what).toHaveLength(1);
      expect(errors[0]).toMatch(
        /^error: --judge failed \(ollama\/llama3\.2\), so the report above has no verdict: Ollama at \S+ failed \(500: llama runner process has terminated\) \(the server failed: see its log .*\); gave up after \d+ attempts over \d s \(retry budget 2 s, queues\.retry_budget_ms\)$/,
      );
      // the last line said
      expect(r.stderr.trimEnd().split("\n").at(-1)).toBe(errors[0]);
    }
    expect((await readStored(run.store, run.id)).judge).toBeNull();
  }, 60_000);

  it("--refresh --judge failing keeps the verdict stored before, and shows it", async () => {
    const before: Judge = { ...VERDICT, summary: "An earlier verdict.", provider: "ollama", model: "llama3.2", simulated: false, judged_at: 1_700_000_000_000, turns_seen: 6 };
    await saveJudge(run.store, run.id, before);
    ollama.fallback = { kind: "status", status: 503, error: "overloaded" };
    const r = await analyze(["--refresh", "--judge", ...QUICK]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("An earlier verdict.");
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^error: --judge failed \(ollama\/llama3\.2\), so the report above shows the verdict given before: .*503: overloaded/)]);
    expect((await readStored(run.store, run.id)).judge).toEqual(before);
  });

  it("a Retry-After longer than the retry budget: it gives up at once and says so, with analyze's hint", async () => {
    ollama.fallback = { kind: "status", status: 429, error: "too many requests", retryAfter: "120" };
    const r = await analyze(["--judge", ...QUICK]);
    expect(r.code).toBe(1);
    expect(notices(r.stderr)).toEqual([]);
    expect(ollama.requests.filter((q) => q.path === "/api/chat")).toHaveLength(1);
    const [line] = errorLines(r.stderr);
    expect(line).toContain("--judge failed (ollama/llama3.2), so the report above has no verdict: ");
    expect(line).toContain(`(the server is rate limiting: wait a minute and run dialogue analyze ${run.id} --judge --prefix ${run.prefix} again (a run is judged by its own manager's model))`);
    expect(line).toMatch(/; gave up after 1 attempt: the server asked to wait 120 s \(Retry-After\), longer than the retry budget \(2 s, queues\.retry_budget_ms\): raise it or try later$/);
    expect(line).not.toContain("--count");
    expect(r.stdout).toContain(`Analysis of ${run.id}`);
  });

  it("no server at all (connection refused): retried, then the analysis and one line with the hint", async () => {
    const port = await freePort();
    env = cliEnv(testRedisUrl(), { OLLAMA_HOST: `http://127.0.0.1:${port}` });
    const r = await analyze(["--judge", ...QUICK]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`Analysis of ${run.id}`);
    expect(notices(r.stderr).length).toBeGreaterThanOrEqual(1);
    expect(notices(r.stderr)[0]).toMatch(/^… the verdict \(ollama\/llama3\.2\): attempt 1 failed \(unreachable\): no Ollama server answers at http:\/\/127\.0\.0\.1:\d+ \(start Ollama/);
    expect(errorLines(r.stderr)).toEqual([
      expect.stringMatching(/^error: --judge failed \(ollama\/llama3\.2\), so the report above has no verdict: no Ollama server answers at \S+ \(start Ollama .*OLLAMA_HOST.*\); gave up after \d+ attempts/),
    ]);
    // --notes, by the configured manager: its model check is retried the same way
    const notes = await analyze(["--notes", "--set", "manager.provider=ollama", "--set", "manager.model=llama3.2", ...QUICK]);
    expect(notes.code).toBe(1);
    expect(notices(notes.stderr)[0]).toMatch(/^… the model check \(ollama\/llama3\.2\): attempt 1 failed \(unreachable\): no Ollama server answers at /);
    expect(errorLines(notes.stderr)).toEqual([expect.stringMatching(/^error: --notes failed, so the report above has no notes: no Ollama server answers at .*; gave up after \d+ attempts/)]);
  });
});

describe("--notes by the configured manager (OpenAI's wire format)", () => {
  let server: FakeOpenAI;
  let run: Awaited<ReturnType<typeof seed>>;
  let env: NodeJS.ProcessEnv;
  const MODEL = ["--set", "manager.provider=openai", "--set", "manager.model=local-model"];
  const analyze = (args: string[]): Promise<CliResult> => runCli(["analyze", run.id, "--prefix", run.prefix, ...MODEL, ...args], env, 60_000);
  beforeEach(async () => {
    server = await startFakeOpenAI({ models: ["local-model"] });
    server.fallback = { kind: "reply", pieces: pieces(NOTE) };
    run = await seed({ provider: "ollama", model: "llama3.2" });
    env = cliEnv(testRedisUrl(), { OPENAI_BASE_URL: server.url });
  });
  afterEach(async () => {
    await server.close();
  });

  it("429 with Retry-After, then answers: one line for the failed attempt; the notes are shown and stored", async () => {
    server.script = [{ kind: "status", status: 429, message: "Rate limit reached for requests", type: "requests", code: "rate_limit_exceeded", retryAfter: "1" }];
    const r = await analyze(["--window", "2t", "--notes", ...QUICK]);
    expect(r.code, r.stderr).toBe(0);
    expect(notices(r.stderr)).toEqual([
      expect.stringMatching(/^… the note on window 1 of 3 \(openai\/local-model\): attempt 1 failed \(rate_limited\): the server at \S+ is rate limiting \(429: Rate limit reached for requests\) \(.*\); retrying in 1\.\d s$/),
    ]);
    expect(notices(r.stderr)[0]).toContain(`run dialogue analyze ${run.id} --notes --prefix ${run.prefix} again, or have another model do it (--set manager.provider=… --set manager.model=…)`);
    expect(notices(r.stderr)[0]).not.toContain("--count");
    expect(r.stdout).toContain("They talk about the budget and the vendor.");
    expect((await readNotes(run.store, run.id, "2t"))?.items).toHaveLength(3);
  });

  it("500 every time: the analysis as without --notes, one line, exit 1; the notes written before are kept", async () => {
    const first = await analyze(["--window", "2t", "--notes"]);
    expect(first.code, first.stderr).toBe(0);
    const kept = await readNotes(run.store, run.id, "2t");
    expect(kept?.items).toHaveLength(3);
    const without = await analyze(["--window", "2t", "--md"]);
    server.fallback = { kind: "status", status: 500, message: "The server had an error while processing your request.", type: "server_error", code: null };
    const r = await analyze(["--window", "2t", "--md", "--notes", "--refresh", ...QUICK]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(without.stdout);
    expect(notices(r.stderr).every((l) => l.startsWith("… the note on window 1 of 3 (openai/local-model): attempt "))).toBe(true);
    expect(errorLines(r.stderr)).toEqual([
      expect.stringMatching(/^error: --notes failed \(openai\/local-model\), so the report above keeps the notes written before: the server at \S+ failed \(500: .*\) \(the server failed: see its log\); gave up after \d+ attempts over \d s \(retry budget 2 s, queues\.retry_budget_ms\)$/),
    ]);
    expect(await readNotes(run.store, run.id, "2t")).toEqual(kept);
  });

  it("no server at all: the model check is retried like a generation, then the analysis and one line", async () => {
    env = cliEnv(testRedisUrl(), { OPENAI_BASE_URL: `http://127.0.0.1:${await freePort()}/v1` });
    const r = await analyze(["--notes", ...QUICK]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`Analysis of ${run.id}`);
    expect(notices(r.stderr)[0]).toMatch(/^… the model check \(openai\/local-model\): attempt 1 failed \(unreachable\): no OpenAI-compatible server answers at \S+ .*; retrying in \d\.\d s$/);
    expect(errorLines(r.stderr)).toEqual([
      expect.stringMatching(/^error: --notes failed, so the report above has no notes: no OpenAI-compatible server answers at .*\(start the server .*OPENAI_BASE_URL.*\); gave up after \d+ attempts over \d s \(retry budget 2 s, queues\.retry_budget_ms\)$/),
    ]);
  });

  it("--judge and --notes both failing: the analysis, then a line for each", async () => {
    server.fallback = { kind: "status", status: 502, message: "bad gateway", type: "server_error", code: null };
    const ollama = await startFakeOllama({ models: ["llama3.2:latest"] });
    try {
      ollama.fallback = { kind: "status", status: 500, error: "boom" };
      env = cliEnv(testRedisUrl(), { OPENAI_BASE_URL: server.url, OLLAMA_HOST: ollama.url });
      const r = await analyze(["--judge", "--notes", "--json", ...QUICK]);
      expect(r.code).toBe(1);
      const a = JSON.parse(r.stdout) as Analysis;
      expect(a.judge).toBeNull();
      expect(a.notes).toBeNull();
      const errors = errorLines(r.stderr);
      expect(errors).toHaveLength(2);
      expect(errors[0]).toMatch(/^error: --judge failed \(ollama\/llama3\.2\)/);
      expect(errors[1]).toMatch(/^error: --notes failed \(openai\/local-model\)/);
    } finally {
      await ollama.close();
    }
  });
});

describe("a turn (dialogue run) whose server asks, with Retry-After, for a longer wait than the retry budget", () => {
  it("gives up at once, and the failed turn and the run say why, naming the setting", async () => {
    const ollama = await startFakeOllama({ models: ["llama3.2:latest"] });
    try {
      ollama.retryAfter = "120";
      ollama.rateLimitUntil = Date.now() + 3_600_000;
      const file = path.join(mkdtempSync(path.join(os.tmpdir(), "dialogue-retry-after-")), "run.json");
      writeFileSync(
        file,
        JSON.stringify({
          agents: [
            { id: "a", role: "homeowner", provider: "ollama", model: "llama3.2" },
            { id: "b", role: "bank advisor", provider: "ollama", model: "llama3.2" },
          ],
          manager: { provider: "simulated" },
          simulated: { tokens_per_second: 0, time_to_first_token_ms: 0 },
          limits: { max_turns: 2, duration_seconds: 120 },
          queues: { retry_budget_ms: 45_000 },
        }),
      );
      const prefix = freshPrefix();
      const r = await runCli(["run", "--config", file, "--plain", "--prefix", prefix], cliEnv(testRedisUrl(), { OLLAMA_HOST: ollama.url }), 90_000);
      expect(r.code).toBe(1);
      expect(ollama.requests.filter((q) => q.path === "/api/chat")).toHaveLength(1);
      const id = /conversation (\S+)/.exec(r.stderr)?.[1] ?? "";
      const store = new Store(redis, prefix);
      const [turn] = await store.readLog(id);
      const why = "gave up after 1 attempt: the server asked to wait 120 s (Retry-After), longer than the retry budget (45 s, queues.retry_budget_ms): raise it or try later";
      expect(turn?.failed).toBe(true);
      expect(turn?.error).toContain(why);
      expect((await store.get(id))?.error).toContain(why);
    } finally {
      await ollama.close();
    }
  }, 90_000);
});

/** a port nothing listens on */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
