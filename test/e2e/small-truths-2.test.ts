/**
 * Small truths testers checked by hand, with the real CLI against the test Redis:
 * - `dialogue import` of a JSON array broken part-way says, in its one line, that nothing was
 *   imported (and nothing is); the report's "Bad rows (N)" and "Not imported (N)" group digits as
 *   its other counts do;
 * - `dialogue analyze --notes` (and --judge of an imported conversation) with the manager's
 *   provider named probes no other server for "auto" (a fake Ollama counts what reaches it);
 * - a person's say that races the turn's timeout (limits.human_turn_seconds) is either refused
 *   (one line, exit 2) or recorded: never accepted and then dropped as the turn is skipped.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { say } from "../../src/manager/say.js";
import { IMPORTED } from "../../src/protocol/schemas.js";
import { Queues } from "../../src/queues/index.js";
import { Store } from "../../src/redis/store.js";
import { ConflictError } from "../../src/errors/index.js";
import { load } from "../../src/config/load.js";
import { cliEnv, exited, runCli, startCli, waitFor } from "../helpers/cli.js";
import { startFakeOllama, type FakeOllama } from "../helpers/fake-ollama.js";
import { startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai.js";
import { loadFixture } from "../helpers/fixtures.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { cli } from "../helpers/runs.js";
import { startServe } from "../helpers/serve.js";

let redis: Redis;
const dir = mkdtempSync(path.join(tmpdir(), "dialogue-small2-"));
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

const write = (name: string, text: string): string => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};
const errorLines = (stderr: string): string[] => stderr.split("\n").filter((l) => l.startsWith("error:") || l.startsWith("hint:"));
const t = (s: number): string => new Date(Date.UTC(2024, 0, 1) + s * 1000).toISOString();
/** `sessions` sessions of `each` rows, two speakers each */
const rows = (sessions: number, each: number) =>
  Array.from({ length: sessions * each }, (_, i) => ({ session_id: `s${Math.floor(i / each)}`, timestamp: t(i), speaker: `p${i % 2}`, text: `line ${i}` }));

describe("dialogue import: a JSON array broken part-way", () => {
  it("cut short after thousands of rows (staged already) or within the first ones: one line saying nothing was imported; nothing is", async () => {
    const prefix = freshPrefix();
    const whole = JSON.stringify(rows(600, 10));
    const big = write("cut.json", whole.slice(0, Math.floor(whole.length * 0.8)));
    const r = await cli(prefix, ["import", big]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const [error, hint] = errorLines(r.stderr);
    expect(error).toMatch(new RegExp(`^error: ${big.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: the JSON array is broken at item [\\d,]+ \\(line 1, column \\d+\\): the file ends inside the item \\(cut short\\); nothing was imported$`));
    expect(hint).toBe("hint: fix the file there (or export it again), then import it again");
    expect(r.stderr.trim().split("\n")).toHaveLength(2);
    expect(await redis.keys(`${prefix}:*`)).toEqual([]);

    const small = JSON.stringify(rows(1, 4));
    const early = await cli(prefix, ["import", write("cut-early.json", small.slice(0, small.length - 30))]);
    expect(early.code).toBe(2);
    expect(errorLines(early.stderr)[0]).toMatch(/cut-early\.json: the JSON array is broken at item 4 \(line 1, column \d+\): the file ends inside the item \(cut short\); nothing was imported$/);
    const notArray = await cli(prefix, ["import", write("object.json", JSON.stringify({ session_id: "x" }))]);
    expect(notArray.code).toBe(2);
    expect(errorLines(notArray.stderr)[0]).toMatch(/object\.json is not a JSON array of objects: .+; nothing was imported$/);
    expect(await redis.keys(`${prefix}:*`)).toEqual([]);
  });

  it("the counts in the report group their digits: Bad rows (12,345), Not imported (1,235)", async () => {
    const prefix = freshPrefix();
    // 12,345 rows of 1,235 sessions, each row's time unreadable
    const lines = rows(1235, 10)
      .slice(0, 12_345)
      .map((r) => JSON.stringify({ ...r, timestamp: "01/02/2024" }));
    const r = await cli(prefix, ["import", write("manybad.jsonl", lines.join("\n"))]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("Bad rows (12,345):");
    expect(r.stdout).toContain("Not imported (1,235):");
    expect(r.stdout).not.toMatch(/\(\d{4,}\)/);
  });
});

describe("dialogue analyze --notes / --judge with the manager's provider named: no probe for auto", () => {
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

  /** the healthy fixture as a finished run under a fresh prefix; `imported`: its manager is none (an imported conversation) */
  async function seed(imported: boolean) {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const fx = loadFixture("healthy");
    const spec = imported ? { ...fx.record.spec, manager: { provider: "imported" as const, model: IMPORTED, options: {} } } : fx.record.spec;
    await store.create(spec);
    await store.setPersonas(spec.id, fx.record.personas ?? []);
    for (const m of fx.messages) await store.appendMessage(m);
    await store.setFields(spec.id, { started_at: fx.record.started_at ?? 0, status: "running" });
    await store.finalize(spec.id, fx.record.stop_reason ?? "max_turns");
    return { prefix, id: spec.id };
  }

  it("manager on the OpenAI-compatible server (named with --set): nothing reaches Ollama, the notes and the verdict are the server's", async () => {
    const NOTE = { summary: "They talk about the budget.", open_questions: [], sentiment: 0.1 };
    const VERDICT = { summary: "A plain talk.", persona_adherence: { score: 7, reason: "in role" }, coherence: { score: 7, reason: "follows" }, engagement: { score: 6, reason: "both speak" } };
    const env = cliEnv(testRedisUrl(), { OLLAMA_HOST: ollama.url, OPENAI_BASE_URL: openai.url });
    const named = ["--set", "manager.provider=openai", "--set", "manager.model=local-model"];
    const run = await seed(true);
    openai.fallback = { kind: "reply", pieces: [JSON.stringify(NOTE)] };
    ollama.requests.length = 0;
    const notes = await runCli(["analyze", run.id, "--prefix", run.prefix, "--window", "2t", "--notes", ...named], env);
    expect(notes.code, notes.stderr).toBe(0);
    expect(notes.stdout).toContain(NOTE.summary);
    expect(ollama.requests).toEqual([]);
    expect(openai.requests.some((r) => r.path.endsWith("/chat/completions"))).toBe(true);

    // an imported conversation is judged by the configured manager: the same
    openai.fallback = { kind: "reply", pieces: [JSON.stringify(VERDICT)] };
    const judge = await runCli(["analyze", run.id, "--prefix", run.prefix, "--judge", "--refresh", ...named], env);
    expect(judge.code, judge.stderr).toBe(0);
    expect(judge.stdout).toContain(VERDICT.summary);
    expect(ollama.requests).toEqual([]);
    expect(judge.stderr).not.toContain("Provider: auto");
  });

  it("manager on Ollama, named in a config file: only Ollama is asked, and never a probe's worth of the OpenAI server", async () => {
    const NOTE = { summary: "They weigh the vendor.", open_questions: [], sentiment: 0 };
    const config = write("manager-ollama.json", JSON.stringify({ manager: { provider: "ollama", model: "llama3.2" } }));
    const env = cliEnv(testRedisUrl(), { OLLAMA_HOST: ollama.url, OPENAI_BASE_URL: openai.url });
    const run = await seed(false);
    ollama.fallback = { kind: "reply", pieces: [JSON.stringify(NOTE)] };
    openai.requests.length = 0;
    ollama.requests.length = 0;
    const notes = await runCli(["analyze", run.id, "--prefix", run.prefix, "--window", "2t", "--notes", "-c", config], env);
    expect(notes.code, notes.stderr).toBe(0);
    expect(notes.stdout).toContain(NOTE.summary);
    expect(openai.requests).toEqual([]);
    // what reaches Ollama is the model check and the notes, not auto's look at its model list before them
    const chats = ollama.requests.filter((r) => r.path === "/api/chat").length;
    expect(chats).toBeGreaterThan(0);
    expect(ollama.requests.filter((r) => r.path === "/api/tags").length).toBeLessThanOrEqual(1);
  });

  it("with the manager left on auto, auto still looks (and says what it chose)", async () => {
    const run = await seed(true);
    const env = cliEnv(testRedisUrl(), { OLLAMA_HOST: ollama.url });
    ollama.fallback = { kind: "reply", pieces: [JSON.stringify({ summary: "Auto's note.", open_questions: [], sentiment: 0 })] };
    ollama.requests.length = 0;
    const notes = await runCli(["analyze", run.id, "--prefix", run.prefix, "--window", "2t", "--notes"], env);
    expect(notes.code, notes.stderr).toBe(0);
    expect(notes.stderr).toMatch(/^Provider: auto → ollama/m);
    expect(ollama.requests.some((r) => r.path === "/api/tags")).toBe(true);
  });
});

describe("a person's say that races the turn's timeout", () => {
  it("says sent right at limits.human_turn_seconds, turn after turn: each accepted one is recorded as the person's message, each refused one is not in the log", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const common = ["--prefix", prefix, "--set", "simulated.tokens_per_second=0", "--set", "simulated.time_to_first_token_ms=0"];
    const manager = startCli(["manager", ...common], env);
    const worker = startCli(["worker", "--pool", "traveller", ...common], env);
    await waitFor("manager and worker ready", async () => [manager, worker].every((p) => /ready/.test(p.err())), 20_000);
    const WAIT_S = 0.4;
    const TURNS = 60;
    const run = startCli(["run", "--no-spawn", "--provider", "simulated", "--person", "local", "--plain", "--max-turns", String(TURNS), "--set", `limits.human_turn_seconds=${WAIT_S}`, "--set", "limits.stop_on_loop=false", ...common], env);
    const store = new Store(redis, prefix);
    const queues = new Queues(redis, prefix, load({ env: {} }).config!.queues);
    const id = await waitFor("the conversation", async () => (await store.listIds())[0]);

    const accepted: Array<{ seq: number; text: string }> = [];
    const refused: string[] = [];
    const offered = new Set<number>();
    // offsets from the turn's limit at which says go out, one after the other: some before it, some after
    const offsets = [-10, -4, 0, 3, 6, 10, 15, 25, 40];
    let n = 0;
    // a run that stops moving says where it stood (and what its processes said), rather than the test's timeout
    const deadline = Date.now() + 120_000;
    for (;;) {
      const rec = await store.get(id);
      if (!rec || rec.status === "completed" || rec.status === "failed" || rec.status === "stopped") break;
      if (Date.now() > deadline) {
        const tail = (s: string) => s.split("\n").slice(-15).join("\n");
        throw new Error(
          `the run did not end: status ${rec.status}, turns ${rec.turns}, next ${JSON.stringify(rec.next_choice)}; ${accepted.length} accepted, ${refused.length} refused\n` +
            `manager: ${tail(manager.err())}\nrun: ${tail(run.err())}`,
        );
      }
      const c = rec.next_choice;
      if (!c || c.agent_id !== "local" || c.seq <= rec.turns || offered.has(c.seq) || c.at === undefined || c.at === null) {
        await new Promise((r) => setTimeout(r, 2));
        continue;
      }
      offered.add(c.seq);
      const limit = c.at + WAIT_S * 1000;
      const offset = offsets[n % offsets.length]!;
      n++;
      const wait = limit + offset - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const text = `answer ${n} at ${offset} ms`;
      try {
        const r = await say(store, queues, id, text, { via: "the test", reach: "" });
        accepted.push({ seq: r.seq!, text });
      } catch (err) {
        expect(err).toBeInstanceOf(ConflictError);
        refused.push(text);
      }
    }
    expect((await exited(run, 60_000)).code, run.err()).toBe(0);
    const log = await store.readLog(id);
    const people = log.filter((m) => m.metadata.agent_id === "local");
    const dropped = accepted.filter((a) => {
      const m = people.find((p) => p.metadata.sequence_number === a.seq);
      return !m || m.skipped === true || m.content.message !== a.text;
    });
    expect(dropped, `${accepted.length} accepted, ${refused.length} refused`).toEqual([]);
    const said = new Set(log.map((m) => m.content.message));
    expect(refused.filter((r) => said.has(r))).toEqual([]);
    // the race was run: some says were accepted and some refused
    expect(accepted.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    await queues.close();
    for (const p of [manager, worker]) p.kill("SIGTERM");
    await Promise.all([manager, worker].map((p) => exited(p, 15_000)));
  }, 180_000);

  it("dialogue say for a turn its timeout has claimed: one line naming the timeout, exit 2, nothing recorded; one said past the limit before the timeout claims it is recorded", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const common = ["--prefix", prefix, "--set", "simulated.tokens_per_second=0", "--set", "simulated.time_to_first_token_ms=0"];
    const served = await startServe(prefix);
    const manager = startCli(["manager", ...common], env);
    const worker = startCli(["worker", "--pool", "traveller", ...common], env);
    await waitFor("manager and worker ready", async () => [manager, worker].every((p) => /ready/.test(p.err())), 20_000);
    const run = startCli(["run", "--no-spawn", "--provider", "simulated", "--person", "local", "--plain", "--max-turns", "5", "--set", "limits.human_turn_seconds=2", ...common], env);
    const store = new Store(redis, prefix);
    const queues = new Queues(redis, prefix, load({ env: {} }).config!.queues);
    const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
    const turnOffered = (turn: number) =>
      waitFor(`local's turn ${turn}`, async () => {
        const r = await store.get(id);
        return r?.next_choice?.agent_id === "local" && r.next_choice.seq > r.turns && r.next_choice.seq === turn ? r : null;
      }, 30_000, 5);
    const sayCli = (text: string) => runCli(["say", id, text, "--prefix", prefix], env);

    // turn 2: the manager is held, and the turn's timeout has claimed it (as the manager's
    // humanTimeout does first) while the record still shows it waiting
    const rec = await turnOffered(2);
    process.kill(manager.pid!, "SIGSTOP");
    expect(await queues.claimControl(store.keys.sayClaimId(id, 2), store.keys.humanTimeoutJobId(id, 2), 60_000)).toBeNull();
    const late = await sayCli("Sorry, I was away.");
    // the web's say is refused the same way: 409, its one line
    const posted = await served.api(`/api/conversations/${id}/say`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text: "Sorry, from the web." }) });
    process.kill(manager.pid!, "SIGCONT");
    expect(posted.status).toBe(409);
    expect(((await posted.json()) as { message: string }).message).toBe(
      `local's turn 2 timed out before this was said: it waits 2 s (limits.human_turn_seconds), then is skipped; nothing was recorded (say it again at your next turn (dialogue watch ${id} --prefix ${prefix} shows it))`,
    );
    expect(late.code).toBe(2);
    expect(late.stdout).toBe("");
    expect(late.stderr.trim().split("\n")).toEqual([
      "error: local's turn 2 timed out before this was said: it waits 2 s (limits.human_turn_seconds), then is skipped; nothing was recorded",
      `hint: say it again at your next turn (dialogue watch ${id} --prefix ${prefix} shows it)`,
    ]);
    expect(rec.next_choice!.seq).toBe(2);

    // turn 4: held past its limit, so its timeout is due but has not run: the say claims the turn first and is recorded
    const rec4 = await turnOffered(4);
    process.kill(manager.pid!, "SIGSTOP");
    await new Promise((r) => setTimeout(r, Math.max(0, rec4.next_choice!.at! + 2_300 - Date.now())));
    const onTime = await sayCli("Here now: the museum.");
    process.kill(manager.pid!, "SIGCONT");
    expect(onTime.code, onTime.stderr).toBe(0);
    expect(onTime.stdout.trim()).toBe(`said as local (turn 4 of ${id})`);

    expect((await exited(run, 60_000)).code, run.err()).toBe(0);
    const log = await store.readLog(id);
    await served.stop();
    expect(log.map((m) => [m.metadata.sequence_number, m.metadata.agent_id, m.skipped === true ? "skipped" : m.content.message.slice(0, 21)])).toEqual([
      [1, "traveller", expect.any(String)],
      [2, "local", "skipped"],
      [3, "traveller", expect.any(String)],
      [4, "local", "Here now: the museum."],
      [5, "traveller", expect.any(String)],
    ]);
    await queues.close();
    for (const p of [manager, worker]) p.kill("SIGTERM");
    await Promise.all([manager, worker].map((p) => exited(p, 15_000)));
  }, 120_000);
});
