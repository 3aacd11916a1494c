/**
 * The analysis against a real Redis: the paging log reader, computing from pages, storing the
 * analysis with the run (fresh / stale / another version), the judge kept apart, list filters,
 * and purge (keys, index entry and queue jobs).
 */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyze } from "../../src/analysis/analyzer.js";
import { JudgeSchema, type Judge } from "../../src/analysis/schema.js";
import { listMatching, parseFilter } from "../../src/cli/list-filter.js";
import { load } from "../../src/config/load.js";
import { Queues } from "../../src/queues/index.js";
import { analysisOf, computeAnalysis, readStored, saveJudge } from "../../src/redis/analysis-store.js";
import { purgeConversation } from "../../src/redis/purge.js";
import { dialogueSeconds } from "../../src/protocol/record.js";
import { Store, type LogEntry } from "../../src/redis/store.js";
import { loadFixture } from "../helpers/fixtures.js";
import { freshPrefix, withRedis } from "../helpers/redis.js";

let redis: Redis;
beforeAll(async () => {
  redis = await withRedis();
});
afterAll(async () => {
  await redis.quit();
});

/** the fixture as a finished run in Redis, its messages appended through the store */
async function seed(store: Store, name = "healthy", id?: string) {
  const fx = loadFixture(name);
  const spec = { ...fx.record.spec, ...(id ? { id } : {}) };
  await store.create(spec);
  await store.setPersonas(spec.id, fx.record.personas ?? []);
  for (const m of fx.messages) {
    await store.appendMessage({ ...m, metadata: { ...m.metadata, conversation_id: spec.id } });
  }
  await store.setFields(spec.id, { started_at: fx.record.started_at ?? 0, status: "running" });
  await store.finalize(spec.id, fx.record.stop_reason ?? "max_turns");
  await store.setFields(spec.id, { ended_at: fx.record.ended_at ?? 0 });
  return { fx, id: spec.id, rec: (await store.get(spec.id))! };
}

async function all(store: Store, id: string, pageSize: number): Promise<LogEntry[][]> {
  const pages: LogEntry[][] = [];
  for await (const p of store.pages(id, pageSize)) pages.push(p);
  return pages;
}

describe("Store.pages", () => {
  it("reads the whole log in pages of COUNT entries, in order, with when each was recorded", async () => {
    const store = new Store(redis, freshPrefix());
    const { id } = await seed(store);
    const pages = await all(store, id, 4);
    expect(pages.map((p) => p.length)).toEqual([4, 2]);
    expect(pages.flat().map((e) => e.message.metadata.sequence_number)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const e of pages.flat()) expect(e.recorded_at).toBeGreaterThan(1_700_000_000_000);
    expect((await all(store, id, 2)).map((p) => p.length)).toEqual([2, 2, 2]);
    expect((await all(store, id, 6)).map((p) => p.length)).toEqual([6]);
    expect(await all(store, "no-such-run", 5)).toEqual([]);
  });
});

describe("analysis stored with the run", () => {
  it("computed from pages equals the analysis of the whole log in memory", async () => {
    const store = new Store(redis, freshPrefix());
    const { id, rec } = await seed(store);
    const entries = (await all(store, id, 1000)).flat();
    const now = Date.now();
    const paged = await computeAnalysis(store, rec, { pageSize: 2 });
    const whole = analyze(rec, entries, { now });
    expect({ ...paged, computed_at: 0 }).toEqual({ ...whole, computed_at: 0 });
    expect(paged.agents.map((a) => a.tokens_generated)).toEqual([50, 71]);
  });

  it("is stored for a finished run and read back while fresh; --refresh recomputes", async () => {
    const store = new Store(redis, freshPrefix());
    const { id, rec } = await seed(store);
    const first = await analysisOf(store, rec);
    expect(first.source).toBe("computed");
    expect((await readStored(store, id)).analysis).toEqual({ ...first.analysis, judge: null });
    const second = await analysisOf(store, rec);
    expect(second.source).toBe("stored");
    expect(second.analysis).toEqual(first.analysis);
    expect((await analysisOf(store, rec, { refresh: true })).source).toBe("computed");
  });

  it("is stale once the record changed (a late message) or the stored version is another", async () => {
    const store = new Store(redis, freshPrefix());
    const { id, fx } = await seed(store);
    await analysisOf(store, (await store.get(id))!);
    const late = fx.messages[5]!;
    await store.appendMessage({ ...late, metadata: { ...late.metadata, conversation_id: id, sequence_number: 7 } });
    const after = await analysisOf(store, (await store.get(id))!);
    expect(after.source).toBe("computed");
    expect(after.analysis.run.turns).toBe(7);
    await redis.hset(store.keys.analysis(id), "version", "0");
    expect((await readStored(store, id)).analysis).toBeNull();
    expect((await analysisOf(store, (await store.get(id))!)).source).toBe("computed");
  });

  it("another window is computed and not stored; a live run is not stored", async () => {
    const store = new Store(redis, freshPrefix());
    const { id, rec } = await seed(store);
    const custom = await analysisOf(store, rec, { window: { kind: "time", size_ms: 2000 } });
    expect(custom.analysis.window.label).toBe("2s");
    expect((await readStored(store, id)).analysis).toBeNull();
    const live = await analysisOf(store, { ...rec, status: "running", ended_at: null });
    expect(live.source).toBe("computed");
    expect((await readStored(store, id)).analysis).toBeNull();
  });

  it("keeps the judge's verdict beside it, through a refresh", async () => {
    const store = new Store(redis, freshPrefix());
    const { id, rec } = await seed(store);
    const judge: Judge = JudgeSchema.parse({
      summary: "[simulated judge] fine",
      persona_adherence: { score: 7, reason: "ok" },
      coherence: { score: 8, reason: "ok" },
      engagement: { score: 6, reason: "ok" },
      provider: "simulated",
      model: "simulated-1",
      simulated: true,
      judged_at: 1,
      turns_seen: 6,
    });
    await saveJudge(store, id, judge);
    expect((await analysisOf(store, rec)).analysis.judge).toEqual(judge);
    expect((await analysisOf(store, rec, { refresh: true })).analysis.judge).toEqual(judge);
  });
});

describe("the analysis of a run going on", () => {
  it("times it to its latest sign of life, as list and show do, not to when it is read", async () => {
    const store = new Store(redis, freshPrefix());
    const fx = loadFixture("healthy");
    await store.create(fx.record.spec);
    await store.setPersonas(fx.record.spec.id, fx.record.personas ?? []);
    const started = Date.now();
    await store.setFields(fx.record.spec.id, { started_at: started, status: "running", renewed_at: started, lease_until: started + 60_000 });
    for (const m of fx.messages) await store.appendMessage(m);
    // nothing happens for a while: the run's last sign of life is its last message
    await new Promise((r) => setTimeout(r, 1500));
    const rec = (await store.get(fx.record.spec.id))!;
    const listed = dialogueSeconds(rec, await store.endOf(rec));
    expect(listed).not.toBeNull();
    const a = await computeAnalysis(store, rec);
    expect(a.run.duration_s).toBeCloseTo(listed!, 2);
    // and well short of the time it was read at, which is when the analysis says it was made
    expect(a.run.duration_s!).toBeLessThan((Date.now() - started) / 1000 - 1);
    expect(a.computed_at).toBeGreaterThanOrEqual(started + 1500);
  });
});

describe("list filters", () => {
  it("by status or stop reason, by model, by creation time", async () => {
    const store = new Store(redis, freshPrefix());
    const mk = async (id: string, created: number, model: string, reason: "max_turns" | "loop" | "user_stop") => {
      const spec = { ...loadFixture("healthy").record.spec, id, created_at: created };
      spec.agents = spec.agents.map((a) => ({ ...a, model: { ...a.model, model } }));
      await store.create(spec);
      await store.setFields(id, { turns: 1, ok_turns: 1 }); // one turn that succeeded: a run that ends "completed" needs one
      await store.finalize(id, reason);
    };
    const now = Date.now();
    await mk("r-old", now - 10 * 86_400_000, "llama3.2", "max_turns");
    await mk("r-loop", now - 3600_000, "qwen2.5", "loop");
    await mk("r-stop", now - 60_000, "llama3.2", "user_stop");
    const ids = async (o: { status?: string; model?: string; since?: string }, limit = 10) => {
      const out: string[] = [];
      for await (const x of listMatching(store, parseFilter(o), limit)) out.push(x.id);
      return out;
    };
    expect(await ids({})).toEqual(["r-stop", "r-loop", "r-old"]);
    expect(await ids({ status: "loop" })).toEqual(["r-loop"]);
    expect(await ids({ status: "completed" })).toEqual(["r-loop", "r-old"]);
    expect(await ids({ status: "stopped" })).toEqual(["r-stop"]);
    expect(await ids({ model: "LLAMA" })).toEqual(["r-stop", "r-old"]);
    expect(await ids({ since: "7d" })).toEqual(["r-stop", "r-loop"]);
    expect(await ids({ since: "7d", model: "llama" })).toEqual(["r-stop"]);
    expect(await ids({}, 2)).toEqual(["r-stop", "r-loop"]);
    expect(() => parseFilter({ status: "done" })).toThrow(/not a status or stop reason/);
    expect(() => parseFilter({ since: "yesterday" })).toThrow(/neither an age nor a date/);
  });
});

describe("purge", () => {
  it("removes the conversation's keys, its index entry and its queue jobs, and nothing else", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const queues = new Queues(redis, prefix, load({ env: {} }).config!.queues);
    const { id, rec } = await seed(store, "healthy", "purge-me");
    const other = await seed(store, "healthy", "keep-me");
    await analysisOf(store, rec);
    const pool = (seq: number) => rec.spec.agents[(seq - 1) % 2]!.pool;
    for (const cid of [id, other.id]) {
      await queues.control().add("start", { type: "start", conversation_id: cid }, { jobId: store.keys.startJobId(cid) });
      for (let seq = 1; seq <= 6; seq++) {
        await queues.requests(pool(seq)).add("turn", {}, { jobId: store.keys.turnJobId(cid, seq) });
        await queues.responses(pool(seq)).add("message", {}, { jobId: store.keys.turnJobId(cid, seq) });
      }
    }
    const r = await purgeConversation(store, queues, rec);
    expect(r.jobs).toBe(13); // start + 6 requests + 6 responses
    expect(r.keys).toBe(3); // record, log, analysis (no token stream in this fixture)
    for (const k of store.keys.conversationKeys(id)) expect(await redis.exists(k)).toBe(0);
    expect(await store.listIds()).toEqual(["keep-me"]);
    expect(await queues.requests(pool(1)).getJob(store.keys.turnJobId(id, 1))).toBeUndefined();
    expect(await queues.requests(pool(1)).getJob(store.keys.turnJobId(other.id, 1))).toBeDefined();
    expect(await store.get(other.id)).not.toBeNull();
    await queues.close();
  });

  it("refuses a conversation that is still running", async () => {
    const store = new Store(redis, freshPrefix());
    const queues = new Queues(redis, "x", load({ env: {} }).config!.queues);
    const { rec } = await seed(store);
    await expect(purgeConversation(store, queues, { ...rec, status: "running" })).rejects.toThrow(/stop it first/);
    await queues.close();
  });
});
