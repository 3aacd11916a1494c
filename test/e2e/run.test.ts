/**
 * `dialogue run` end to end: the real CLI, its manager and worker child processes, a real Redis.
 * What a user checks: the messages recorded, who produced them, how and why the run ended, and
 * that list/show find the run afterwards from a new process.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MessageMetadataSchema } from "../../src/protocol/schemas.js";
import { Store } from "../../src/redis/store.js";
import { cliEnv, runCli } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { idFrom } from "../helpers/runs.js";

let redis: Redis;
beforeAll(async () => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});


describe("dialogue run --provider simulated --max-turns 6 --plain", () => {
  const prefix = freshPrefix();
  let id = "";
  let stdout = "";
  let code: number | null = null;

  beforeAll(async () => {
    const r = await runCli(
      ["run", "--provider", "simulated", "--max-turns", "6", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=400", "--set", "simulated.time_to_first_token_ms=20"],
      cliEnv(testRedisUrl()),
    );
    code = r.code;
    stdout = r.stdout;
    id = idFrom(r.stderr);
  }, 60_000);

  it("exits 0 with stop reason max_turns", async () => {
    expect(code).toBe(0);
    const rec = await new Store(redis, prefix).get(id);
    expect(rec?.status).toBe("completed");
    expect(rec?.stop_reason).toBe("max_turns");
    expect(rec?.turns).toBe(6);
    expect(stdout).toContain("max_turns");
  });

  it("records 6 messages alternating between the two agents, with full metadata", async () => {
    const store = new Store(redis, prefix);
    const rec = await store.get(id);
    const msgs = await store.readLog(id);
    expect(msgs.map((m) => m.metadata.sequence_number)).toEqual([1, 2, 3, 4, 5, 6]);
    const [a, b] = rec!.spec.agents;
    expect(msgs.map((m) => m.metadata.agent_id)).toEqual([a!.id, b!.id, a!.id, b!.id, a!.id, b!.id]);
    for (const m of msgs) {
      // every field present and valid (the schema is strict and has no optional metadata)
      expect(() => MessageMetadataSchema.parse(m.metadata)).not.toThrow();
      expect(m.metadata.provider).toBe("simulated");
      expect(m.metadata.tokens_generated).toBeGreaterThan(0);
      expect(m.metadata.prompt_tokens).toBeGreaterThan(0);
      expect(m.metadata.time_to_first_token_ms).toBeGreaterThan(0);
      expect(m.metadata.tokens_per_second).toBeGreaterThan(0);
      expect(m.metadata.attempt).toBe(1);
      expect(m.metadata.started_at).toBeGreaterThanOrEqual(m.metadata.requested_at);
      expect(m.metadata.finished_at).toBeGreaterThanOrEqual(m.metadata.started_at);
      expect(m.content.message.length).toBeGreaterThan(0);
      expect(m.cut).toBe(false);
    }
  });

  it("the two agents' messages come from two distinct worker processes", async () => {
    const msgs = await new Store(redis, prefix).readLog(id);
    const pidsOf = (agent: string) => new Set(msgs.filter((m) => m.metadata.agent_id === agent).map((m) => m.metadata.worker.pid));
    const agents = [...new Set(msgs.map((m) => m.metadata.agent_id))];
    expect(agents).toHaveLength(2);
    const [pa, pb] = agents.map(pidsOf);
    expect(pa!.size).toBe(1);
    expect(pb!.size).toBe(1);
    expect([...pa!][0]).not.toBe([...pb!][0]);
    expect([...pa!][0]).not.toBe(process.pid);
  });

  it("labels the simulated output and shows story, personas and every message", async () => {
    expect(stdout).toContain("[simulated]");
    expect(stdout).toMatch(/Story: /);
    expect(stdout).toMatch(/Personas:/);
    for (let i = 1; i <= 6; i++) expect(stdout).toContain(`[${i}] `);
  });

  it("dialogue list and dialogue show find the run from a new process", async () => {
    const env = cliEnv(testRedisUrl());
    const list = await runCli(["list", "--prefix", prefix], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(id);
    expect(list.stdout).toContain("completed (max_turns)");

    const show = await runCli(["show", id, "--prefix", prefix], env);
    expect(show.code).toBe(0);
    const msgs = await new Store(redis, prefix).readLog(id);
    for (const m of msgs) expect(show.stdout).toContain(m.content.message.slice(0, 40));
    expect(show.stdout).toMatch(/worker \S+\/\d+ · attempt 1/);

    const json = await runCli(["show", id, "--json", "--prefix", prefix], env);
    const doc = JSON.parse(json.stdout) as { record: { stop_reason: string }; messages: unknown[] };
    expect(doc.record.stop_reason).toBe("max_turns");
    expect(doc.messages).toHaveLength(6);
  });

  it("keeps each turn's request job (who served it, what it returned); a response goes once its message is in the log", async () => {
    // each pool's queues under a hash tag of its own: {<prefix>/<pool>}
    const keys = await redis.keys(`{${prefix}/*}:*:*`);
    const completedSets = keys.filter((k) => k.endsWith(":completed"));
    const counts = await Promise.all(completedSets.map(async (k) => [k, await redis.zcard(k)] as const));
    const total = (re: RegExp) => counts.filter(([k]) => re.test(k)).reduce((n, [, c]) => n + c, 0);
    expect(total(/:requests\./)).toBe(6);
    expect(total(/:responses\./)).toBe(0);
    const jobs = keys.filter((k) => /:requests\.[^:]+:[^:]+\.\d+$/.test(k));
    expect(jobs).toHaveLength(6);
    // pb: the worker that processed it (BullMQ's processedBy, "<host>/<pid>" by our workers' names)
    for (const k of jobs) {
      const [by, ret] = await redis.hmget(k, "pb", "returnvalue");
      expect(by).toMatch(/\/\d+$/);
      expect(JSON.parse(ret ?? "null")).toMatchObject({ failed: false, cut: false });
    }
  });

  it("with queues.keep_responses, the response jobs stay too", async () => {
    const prefix2 = freshPrefix();
    const r = await runCli(
      ["run", "--provider", "simulated", "--max-turns", "3", "--plain", "--prefix", prefix2, "--set", "simulated.tokens_per_second=0", "--set", "queues.keep_responses=true"],
      cliEnv(testRedisUrl()),
    );
    expect(r.code).toBe(0);
    const completed = (await redis.keys(`{${prefix2}/*}:responses.*:completed`)).filter((k) => k.endsWith(":completed"));
    const n = (await Promise.all(completed.map((k) => redis.zcard(k)))).reduce((a, b) => a + b, 0);
    expect(n).toBe(3);
  }, 60_000);
});

describe("dialogue run --duration 3 with a slow simulated model", () => {
  it("ends about 3 s after the dialogue starts, stop reason duration, the cut message recorded as cut", async () => {
    const prefix = freshPrefix();
    const r = await runCli(
      ["run", "--provider", "simulated", "--duration", "3", "--max-turns", "100", "--json", "--prefix", prefix, "--set", "simulated.tokens_per_second=15"],
      cliEnv(testRedisUrl()),
    );
    expect(r.code).toBe(0);
    const id = idFrom(r.stderr);
    const store = new Store(redis, prefix);
    const rec = (await store.get(id))!;
    expect(rec.stop_reason).toBe("duration");
    expect(rec.status).toBe("completed");
    const ran = rec.ended_at! - rec.started_at!;
    expect(ran).toBeGreaterThanOrEqual(3000);
    expect(ran).toBeLessThan(4500);
    const msgs = await store.readLog(id);
    const last = msgs.at(-1)!;
    expect(last.cut).toBe(true);
    expect(last.metadata.done_reason).toBe("cut");
    expect(last.metadata.finished_at).toBeLessThanOrEqual(rec.deadline_at! + 500);
    expect(msgs.slice(0, -1).every((m) => !m.cut)).toBe(true);
    // the JSON-lines observer reported the same end
    const end = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; record?: { stop_reason: string } }).at(-1);
    expect(end?.type).toBe("end");
    expect(end?.record?.stop_reason).toBe("duration");
  }, 60_000);
});

describe("dialogue run --json --tokens", () => {
  it("streams token chunks that add up to each recorded message", async () => {
    const prefix = freshPrefix();
    const r = await runCli(
      ["run", "--provider", "simulated", "--max-turns", "2", "--json", "--tokens", "--prefix", prefix, "--set", "simulated.tokens_per_second=300"],
      cliEnv(testRedisUrl()),
    );
    expect(r.code).toBe(0);
    type Ev = { type: string; chunk?: { seq: number; text: string; tokens: number }; message?: { content: { message: string }; metadata: { sequence_number: number; tokens_generated: number } } };
    const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Ev);
    expect(events[0]?.type).toBe("conversation");
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(["story", "personas", "tokens", "message", "end"]));
    for (const m of events.filter((e) => e.type === "message")) {
      const seq = m.message!.metadata.sequence_number;
      const chunks = events.filter((e) => e.type === "tokens" && e.chunk!.seq === seq).map((e) => e.chunk!);
      const streamed = JSON.parse(chunks.map((c) => c.text).join("")) as { message: string };
      expect(streamed.message).toBe(m.message!.content.message);
      expect(chunks.reduce((n, c) => n + c.tokens, 0)).toBe(m.message!.metadata.tokens_generated);
    }
  }, 60_000);
});
