/**
 * A worker whose pool serves one agent of a conversation, during its own turns (src/worker/
 * turn-context.ts pause, follow.ts): its follower reads nothing while the turn is under way and
 * reads on after the worker's own message, so the append of that message wakes nobody in the
 * worker; the message is held as the log has it, checked at the next read. And a turn's last token
 * chunk comes with its response and is written with its message (Store.appendAhead/appendNext):
 * an observer gets it first, and an answer not recorded leaves none.
 * Against a real Redis, with the real manager (Controller) and the workers' turn code; the
 * manager's and the workers' queues are read by hand, so each step is in the test's order.
 */
import type { Job } from "bullmq";
import { describe, expect, it } from "vitest";
import { Controller } from "../../src/manager/controller.js";
import { follow } from "../../src/observer/follow.js";
import { buildSpec } from "../../src/manager/spec.js";
import type { ConversationSpec } from "../../src/protocol/record.js";
import { DialogMessageSchema, TurnRequestSchema, TurnResponseSchema } from "../../src/protocol/schemas.js";
import { chunkFromEntry } from "../../src/protocol/token-entry.js";
import { Queues } from "../../src/queues/index.js";
import { Store } from "../../src/redis/store.js";
import { TurnContextReader } from "../../src/worker/turn-context.js";
import { processTurn, type TurnDeps } from "../../src/worker/turn.js";
import { freshPrefix } from "../helpers/redis.js";
import { heldUpTo } from "../helpers/turn-fixture.js";
import { FAST_MODEL, turnRig } from "../helpers/turn-rig.js";

const rig = turnRig();
const { config, providers, silent, closers } = rig;
const fast = FAST_MODEL;

interface Worker {
  deps: TurnDeps & { context: TurnContextReader };
  /** the messages (agent, sequence number) each of its follower's reads returned, read by read */
  reads: Array<Array<{ agent: string; seq: number }>>;
}

/** the tokens of turn `seq` in the token stream */
async function streamed(s: { store: Store; spec: ConversationSpec }, seq: number): Promise<number> {
  const chunks = (await rig.redis.xrange(s.store.keys.tokens(s.spec.id), "-", "+")).map(([, f]) => chunkFromEntry(f));
  return chunks.filter((c) => c?.seq === seq).reduce((n, c) => n + (c?.tokens ?? 0), 0);
}

/** a started two-agent conversation, each agent on a pool of its own ("pa", "pb"); turn 1 requested */
async function setup() {
  const prefix = freshPrefix();
  const store = new Store(rig.redis, prefix);
  const queues = new Queues(rig.redis, prefix, config.queues);
  closers.push(() => queues.close());
  const built = buildSpec(config, "simulated");
  const spec: ConversationSpec = { ...built, agents: built.agents.map((a, i) => ({ ...a, pool: i === 0 ? "pa" : "pb", model: fast })) };
  await store.create(spec);
  const controller = new Controller(store, queues, providers, silent);
  await controller.start(spec.id);
  /** a worker of `pool` whose follower's reads are seen */
  const worker = (pool: string): Worker => {
    const reads: Worker["reads"] = [];
    const connect = () => {
      const conn = rig.redis.duplicate();
      const pipeline = conn.pipeline.bind(conn);
      conn.pipeline = ((...args: Parameters<typeof conn.pipeline>) => {
        const p = pipeline(...args);
        const exec = p.exec.bind(p);
        p.exec = (async () => {
          const out = await exec();
          const res = out?.[0]?.[1] as Array<[string, Array<[string, string[]]>]> | null;
          reads.push(
            (res?.[0]?.[1] ?? []).map(([, f]) => {
              const m = DialogMessageSchema.parse(JSON.parse(f[f.indexOf("m") + 1] as string));
              return { agent: m.metadata.agent_id, seq: m.metadata.sequence_number };
            }),
          );
          return out;
        }) as typeof p.exec;
        return p;
      }) as typeof conn.pipeline;
      return conn;
    };
    // (a turn begins here within milliseconds of the read that shows it chosen; a busy machine may take longer)
    const context = new TurnContextReader(store, { connect, pool, blockMs: 200, untilBegunMs: 5000 });
    closers.push(() => context.close());
    return { deps: { store, context, queues, providers, log: silent, track: () => () => undefined }, reads };
  };
  return { store, queues, spec, controller, worker };
}

describe("a worker's follower during its own turns", () => {
  it("reads nothing while its worker's turn is under way and is not woken by its own message; the prompts hold every turn, and the last token chunk comes with the response", async () => {
    const s = await setup();
    const [first, second] = s.spec.agents as [ConversationSpec["agents"][number], ConversationSpec["agents"][number]];
    const a = s.worker("pa");
    const b = s.worker("pb");
    // an observer following the run with its token stream, as dialogue watch and the web page do
    const seen: Array<{ type: string; seq: number }> = [];
    const stop = new AbortController();
    const observed = follow(s.store, s.spec.id, (e) => {
      if (e.type === "tokens") seen.push({ type: "tokens", seq: e.chunk.seq });
      if (e.type === "message") seen.push({ type: "message", seq: e.message.metadata.sequence_number });
    }, { tokens: true, pollMs: 50, signal: stop.signal });
    let snapshots = 0;
    const snapshot = s.store.turnSnapshot.bind(s.store);
    s.store.turnSnapshot = (...args) => {
      if (!args[3]) snapshots++; // a read of the log (not the first read of the spec, story and personas)
      return snapshot(...args);
    };
    for (let seq = 1; seq <= 10; seq++) {
      const [w, agent] = seq % 2 === 1 ? [a, first] : [b, second];
      // from its second turn on, a worker follows the conversation: it holds what was said since its turn
      if (seq > 4) await heldUpTo(w.deps.context, s.spec.id, seq - 1);
      const request = (await s.queues.requests(agent.pool).getJob(s.store.keys.turnJobId(s.spec.id, seq))) as Job;
      expect(TurnRequestSchema.parse(request.data)).toMatchObject({ sequence_number: seq, agent_id: agent.id });
      expect(await processTurn(w.deps, request)).toMatchObject({ sequence_number: seq, failed: false });
      const response = (await s.queues.responses(agent.pool).getJob(s.store.keys.turnJobId(s.spec.id, seq))) as Job;
      const res = TurnResponseSchema.parse(response.data);
      if (!res.ok) throw new Error(`turn ${seq} failed: ${res.error}`);
      // the turn's last chunk (the zero-latency model's tokens come at once) is carried by the response, not in the stream yet
      expect(res.tail?.tokens).toBeGreaterThan(0);
      expect((await streamed(s, seq)) + (res.tail?.tokens ?? 0)).toBe(res.message.metadata.tokens_generated);
      expect(await s.controller.onResponse(response)).toMatch(/^recorded/);
      expect(await streamed(s, seq)).toBe(res.message.metadata.tokens_generated);
    }
    const log = await s.store.readLog(s.spec.id);
    expect(log.map((m) => m.metadata.sequence_number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // each worker read the log for its first two turns only; every prompt from turn 5 on held all the turns before it
    expect(snapshots).toBe(4);
    for (const m of log.slice(4)) expect(m.metadata.prompt_turns).toEqual({ first: 1, last: m.metadata.sequence_number - 1, count: m.metadata.sequence_number - 1 });
    // once a worker followed, its follower never read its own agent's message: the other's, one at a time
    for (const [w, own] of [[a, first.id], [b, second.id]] as const) {
      const followed = w.reads.filter((r) => r.length > 0);
      expect(followed.length).toBeGreaterThanOrEqual(3);
      expect(followed.slice(1).flat().map((m) => m.agent)).not.toContain(own);
    }
    // the token stream has every turn's chunks, in the order of the turns, each with its speaker
    const chunks = (await rig.redis.xrange(s.store.keys.tokens(s.spec.id), "-", "+")).map(([, f]) => chunkFromEntry(f)!);
    expect([...new Set(chunks.map((c) => c.seq))]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const c of chunks) expect(c.agent_id).toBe(log[c.seq - 1]!.metadata.agent_id);
    // and the observer got each turn's chunk before its message
    const until = Date.now() + 10_000;
    while (!seen.some((e) => e.type === "message" && e.seq === 10) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    await observed;
    const order = seen.map((e) => `${e.type} ${e.seq}`).filter((e, i, all) => e !== all[i - 1]);
    expect(order).toEqual(log.flatMap((m) => [`tokens ${m.metadata.sequence_number}`, `message ${m.metadata.sequence_number}`]));
  });

  it("holds its own message as the log has it: a turn recorded otherwise (another attempt's message first) is what its next prompt sees", async () => {
    const s = await setup();
    const [first, second] = s.spec.agents as [ConversationSpec["agents"][number], ConversationSpec["agents"][number]];
    const a = s.worker("pa");
    const b = s.worker("pb");
    const take = async (w: Worker, pool: string, seq: number) => {
      if (seq > 4) await heldUpTo(w.deps.context, s.spec.id, seq - 1);
      const request = (await s.queues.requests(pool).getJob(s.store.keys.turnJobId(s.spec.id, seq))) as Job;
      expect(await processTurn(w.deps, request)).toMatchObject({ sequence_number: seq });
      return (await s.queues.responses(pool).getJob(s.store.keys.turnJobId(s.spec.id, seq))) as Job;
    };
    for (let seq = 1; seq <= 4; seq++) await s.controller.onResponse(await take(seq % 2 === 1 ? a : b, seq % 2 === 1 ? first.pool : second.pool, seq));
    // turn 5: worker a answers, but another attempt's message for it is recorded first
    const response = await take(a, first.pool, 5);
    const res = TurnResponseSchema.parse(response.data);
    if (!res.ok) throw new Error("turn 5 failed");
    const other = { ...res.message, content: { ...res.message.content, message: "Another attempt's words, recorded first." } };
    expect(await s.controller.onResponse({ data: { ok: true, message: other } } as unknown as Job)).toMatch(/^recorded/);
    const before = await streamed(s, 5);
    expect(await s.controller.onResponse(response)).toMatch(/^already recorded/);
    // the last token chunk that came with the answer not recorded is not in the stream
    expect(res.tail?.tokens).toBeGreaterThan(0);
    expect(await streamed(s, 5)).toBe(before);
    await s.controller.onResponse(await take(b, second.pool, 6));
    // what worker a holds for its turn 7: the log's turn 5
    await heldUpTo(a.deps.context, s.spec.id, 6);
    const request = (await s.queues.requests(first.pool).getJob(s.store.keys.turnJobId(s.spec.id, 7))) as Job;
    const ctx = await a.deps.context.read(TurnRequestSchema.parse(request.data));
    if ("status" in ctx) throw new Error(`turn 7 does not go on: ${JSON.stringify(ctx)}`);
    expect(ctx.history.map((h) => h.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(ctx.history.find((h) => h.seq === 5)?.text).toBe("Another attempt's words, recorded first.");
    // which worker a's follower did not read: it read on after the message it sent, and took turn 5 from its check of the log
    expect(a.reads.flat().map((m) => m.seq)).not.toContain(5);
  });
});
