/**
 * The next turn requested ahead (src/manager/ahead.ts): the manager sends the next turn's request
 * in the same write as the append of the turn before, and the append's script writes that choice
 * only if the record is as the manager predicted. What must hold, against a real Redis:
 * - when the record is as predicted, the choice is written (marked ahead) and its request runs;
 * - when it is not (a remark waiting, the run stopping, a record changed behind the manager's
 *   back, Redis that lost its scripts), the message is still recorded once, the request sent ahead
 *   is skipped by its worker with no response and no token chunk, and the run carries on as
 *   without it — the same turn requested again under another job id;
 * - a manager that takes over (a step done again) finds the choice made ahead and requests it as
 *   it was: one job, one turn.
 */
import type { Job } from "bullmq";
import { describe, expect, it } from "vitest";
import { Controller } from "../../src/manager/controller.js";
import { buildSpec } from "../../src/manager/spec.js";
import type { ConversationSpec } from "../../src/protocol/record.js";
import { TurnRequestSchema, TurnResponseSchema, type DialogMessage, type TurnRequest } from "../../src/protocol/schemas.js";
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

interface Setup {
  store: Store;
  queues: Queues;
  spec: ConversationSpec;
  manager: () => Controller;
}

/** a started two-agent conversation (simulated, zero latency, both agents on pool "shared"); turn 1 requested */
async function setup(): Promise<Setup & { controller: Controller }> {
  const prefix = freshPrefix();
  const store = new Store(rig.redis, prefix);
  const queues = new Queues(rig.redis, prefix, config.queues);
  closers.push(() => queues.close());
  const built = buildSpec(config, "simulated");
  const spec = { ...built, agents: built.agents.map((a) => ({ ...a, pool: "shared", model: fast })) };
  await store.create(spec);
  const manager = () => new Controller(store, queues, providers, silent);
  const controller = manager();
  await controller.start(spec.id);
  return { store, queues, spec, manager, controller };
}

/** the message of turn `seq` as a worker sends it (turn 1 by the first agent, then alternating) */
function message(spec: ConversationSpec, seq: number, tokens = 10): DialogMessage {
  const agent = spec.agents[(seq - 1) % 2]!;
  return {
    message_id: `${spec.id}.${seq}`,
    queue_timestamp: Date.now(),
    role: agent.role,
    speaker: agent.id,
    content: { message: `Turn ${seq}: something new about the ${["harbour", "market", "weather", "ferry", "bridge", "festival"][seq % 6]} number ${seq}.`, references: [], end_conversation: false },
    cut: false,
    stalled: false,
    skipped: false,
    failed: false,
    metadata: {
      conversation_id: spec.id, sequence_number: seq, agent_id: agent.id, provider: "simulated", model: "m",
      tokens_generated: tokens, prompt_tokens: 1, generation_time_ms: 1, time_to_first_token_ms: 1, tokens_per_second: 1,
      load_time_ms: 0, done_reason: "stop", worker: { host: "h", pid: 1 }, attempt: 1, queue_wait_ms: 0,
      requested_at: 1, started_at: 1, finished_at: 1, truncated: false, failed_attempts: [], source: "model",
    },
  };
}

const respond = (c: Controller, spec: ConversationSpec, seq: number, tokens = 10): Promise<string> =>
  c.onResponse({ data: { ok: true, message: message(spec, seq, tokens) } } as unknown as Job);

async function requestJob(s: Setup, seq: number, reissued = false): Promise<{ id: string; req: TurnRequest } | null> {
  const id = reissued ? s.store.keys.reissuedTurnJobId(s.spec.id, seq) : s.store.keys.turnJobId(s.spec.id, seq);
  const job = await s.queues.requests("shared").getJob(id);
  return job ? { id, req: TurnRequestSchema.parse(job.data) } : null;
}

/** one worker of pool "shared": follows the log when `follow` */
function worker(s: Setup, follow: boolean): TurnDeps & { context: TurnContextReader } {
  const context = new TurnContextReader(s.store, follow ? { connect: () => rig.redis.duplicate(), blockMs: 200 } : undefined);
  closers.push(() => context.close());
  return { store: s.store, context, queues: s.queues, providers, log: silent, track: () => () => undefined };
}

async function take(w: TurnDeps, s: Setup, jobId: string): Promise<unknown> {
  return processTurn(w, (await s.queues.requests("shared").getJob(jobId)) as Job);
}

const tokenSeqs = async (s: Setup): Promise<number[]> => (await rig.redis.xrange(s.store.keys.tokens(s.spec.id), "-", "+")).map(([, f]) => Number(f[f.indexOf("s") + 1]));
const responseOf = (s: Setup, seq: number) => s.queues.responses("shared").getJob(s.store.keys.turnJobId(s.spec.id, seq));
const logSeqs = async (s: Setup) => (await s.store.readLog(s.spec.id)).map((m) => `${m.metadata.sequence_number}:${m.metadata.source === "narrator" ? "narrator" : m.metadata.agent_id}`);

describe("the next turn requested ahead", () => {
  it("a record as predicted: from turn 2 on, each request goes with the append before it, its choice marked ahead, and a worker takes it", async () => {
    const s = await setup();
    const [a, b] = s.spec.agents;
    expect((await requestJob(s, 1))?.req.ahead).toBeUndefined(); // the first turn is requested after the personas, as always
    for (let seq = 1; seq <= 5; seq++) {
      expect(await respond(s.controller, s.spec, seq)).toBe(`recorded; turn ${seq + 1} requested ahead`);
      const next = await requestJob(s, seq + 1);
      expect(next?.req).toMatchObject({ ahead: true, sequence_number: seq + 1, agent_id: (seq % 2 === 0 ? a : b)!.id, log_position: seq, turn_choice: { how: "round_robin" } });
      const rec = (await s.store.get(s.spec.id))!;
      expect([rec.turns, rec.tokens_total, rec.pending_seq, rec.ahead_declined]).toEqual([seq, 10 * seq, seq + 1, null]);
      expect(rec.next_choice).toMatchObject({ seq: seq + 1, agent_id: next!.req.agent_id, ahead: true });
      expect(await s.store.turnGate(s.spec.id, seq + 1)).toEqual({ status: "running", chosen: true });
    }
    // a worker takes turn 6 (requested ahead) and answers it
    const w = worker(s, false);
    expect(await take(w, s, s.store.keys.turnJobId(s.spec.id, 6))).toMatchObject({ sequence_number: 6, failed: false });
    expect((await responseOf(s, 6))?.data).toMatchObject({ ok: true, message: { metadata: { sequence_number: 6 } } });
    expect(await logSeqs(s)).toEqual([1, 2, 3, 4, 5].map((n) => `${n}:${s.spec.agents[(n - 1) % 2]!.id}`));
  });

  it("a record changed behind the manager's back: the message is recorded, the choice is made after reading, and the turn is requested again under another job id — the one sent ahead is skipped", async () => {
    const s = await setup();
    expect(await respond(s.controller, s.spec, 1)).toMatch(/requested ahead/);
    // something the manager did not see: tokens counted that its prediction does not have
    await rig.redis.hincrby(s.store.keys.record(s.spec.id), "tokens_total", 7);
    expect(await respond(s.controller, s.spec, 2)).toBe("recorded");
    const rec = (await s.store.get(s.spec.id))!;
    expect([rec.turns, rec.tokens_total, rec.ahead_declined]).toEqual([2, 27, 3]);
    expect(rec.next_choice).toMatchObject({ seq: 3, agent_id: s.spec.agents[0]!.id });
    expect(rec.next_choice?.ahead).toBeUndefined();
    const ahead = await requestJob(s, 3);
    const again = await requestJob(s, 3, true);
    expect(ahead?.req.ahead).toBe(true);
    expect(again?.req).toMatchObject({ sequence_number: 3, agent_id: s.spec.agents[0]!.id });
    expect(again?.req.ahead).toBeUndefined();
    expect(await s.store.turnGate(s.spec.id, 3)).toEqual({ status: "running", chosen: false });

    // a worker that takes the request sent ahead skips it: no response, no token chunk; the other one answers
    const w = worker(s, false);
    expect(await take(w, s, ahead!.id)).toEqual({ skipped: expect.stringMatching(/^turn 3 was requested ahead and not chosen/) });
    expect(await responseOf(s, 3)).toBeUndefined();
    expect(await tokenSeqs(s)).not.toContain(3);
    expect(await take(w, s, again!.id)).toMatchObject({ sequence_number: 3, failed: false });
    // its last token chunk (the zero-latency model's only one) goes with the response, and is written with the message
    const answer = await responseOf(s, 3);
    const res = TurnResponseSchema.parse(answer?.data);
    if (!res.ok) throw new Error(`turn 3 failed: ${res.error}`);
    const streamed = async () => (await rig.redis.xrange(s.store.keys.tokens(s.spec.id), "-", "+")).reduce((n, [, f]) => n + (chunkFromEntry(f)?.tokens ?? 0), 0);
    expect(res.tail?.tokens).toBeGreaterThan(0);
    expect((await streamed()) + (res.tail?.tokens ?? 0)).toBe(res.message.metadata.tokens_generated);
    // the manager, having read, predicts again from there
    expect(await s.controller.onResponse(answer as Job)).toBe("recorded; turn 4 requested ahead");
    expect(await streamed()).toBe(res.message.metadata.tokens_generated);
    expect(await logSeqs(s)).toEqual(["1", "2", "3"].map((n) => `${n}:${s.spec.agents[(Number(n) - 1) % 2]!.id}`));
  });

  it("a narrator's remark waiting: the choice is not made ahead; the remark takes the next number and the turn after it is requested — the request sent ahead is skipped", async () => {
    const s = await setup();
    await respond(s.controller, s.spec, 1);
    await s.store.addRemark(s.spec.id, { nonce: "n1", text: "The lights go out.", said_at: Date.now(), via: "a test" });
    expect(await respond(s.controller, s.spec, 2)).toBe("recorded");
    expect(await logSeqs(s)).toEqual([`1:${s.spec.agents[0]!.id}`, `2:${s.spec.agents[1]!.id}`, "3:narrator"]);
    const rec = (await s.store.get(s.spec.id))!;
    expect([rec.turns, rec.ahead_declined, rec.next_choice?.seq, rec.next_choice?.ahead]).toEqual([3, 3, 4, undefined]);
    expect((await requestJob(s, 4))?.req).toMatchObject({ sequence_number: 4, log_position: 3 });
    const w = worker(s, false);
    expect(await take(w, s, s.store.keys.turnJobId(s.spec.id, 3))).toEqual({ skipped: expect.stringMatching(/not chosen/) });
    expect(await responseOf(s, 3)).toBeUndefined();
  });

  it("a run asked to stop: the append is recorded, nothing is chosen ahead, and the run ends", async () => {
    const s = await setup();
    await respond(s.controller, s.spec, 1);
    await s.store.markStopping(s.spec.id, "user_stop");
    expect(await respond(s.controller, s.spec, 2)).toBe("recorded");
    const rec = (await s.store.get(s.spec.id))!;
    expect([rec.status, rec.stop_reason, rec.turns, rec.ahead_declined]).toEqual(["stopped", "user_stop", 2, 3]);
    const w = worker(s, false);
    expect(await take(w, s, s.store.keys.turnJobId(s.spec.id, 3))).toEqual({ skipped: "conversation is stopped" });
    expect(await responseOf(s, 3)).toBeUndefined();
  });

  it("a step done again — by a manager that knows nothing, or by one whose prediction still holds — finds the choice made ahead and requests it as it was: one job for the turn", async () => {
    const s = await setup();
    await respond(s.controller, s.spec, 1);
    expect(await respond(s.controller, s.spec, 2)).toBe("recorded; turn 3 requested ahead");
    const first = await requestJob(s, 3);
    // the same response again, at a manager that takes over (nothing remembered: it reads, and requests the choice it finds)
    const other = s.manager();
    expect(await respond(other, s.spec, 2)).toBe("already recorded");
    let rec = (await s.store.get(s.spec.id))!;
    expect([rec.turns, rec.tokens_total, rec.ahead_declined, rec.next_choice?.seq, rec.next_choice?.ahead]).toEqual([2, 20, null, 3, true]);
    expect((await requestJob(s, 3))?.req).toEqual(first?.req);
    expect(await requestJob(s, 3, true)).toBeNull();
    // turn 3 comes back to the first manager, then again to the other one, which predicted the same: the choice made ahead holds
    expect(await respond(s.controller, s.spec, 3)).toBe("recorded; turn 4 requested ahead");
    const fourth = await requestJob(s, 4);
    expect(await respond(other, s.spec, 3)).toBe("already recorded; turn 4 requested ahead");
    rec = (await s.store.get(s.spec.id))!;
    expect([rec.turns, rec.tokens_total, rec.ahead_declined, rec.next_choice?.seq]).toEqual([3, 30, null, 4]);
    expect((await requestJob(s, 4))?.req).toEqual(fourth?.req);
    expect(await requestJob(s, 4, true)).toBeNull();
    expect(await respond(other, s.spec, 4)).toBe("recorded; turn 5 requested ahead");
    expect((await s.store.readLog(s.spec.id)).map((m) => m.metadata.sequence_number)).toEqual([1, 2, 3, 4]);
  });

  it("Redis that lost its scripts runs the request before the append: the append then refuses the choice, and the turn is requested again", async () => {
    const s = await setup();
    await respond(s.controller, s.spec, 1); // the script is loaded on this connection
    await rig.redis.script("FLUSH");
    expect(await respond(s.controller, s.spec, 2)).toBe("recorded");
    const rec = (await s.store.get(s.spec.id))!;
    expect([rec.turns, rec.ahead_declined, rec.next_choice?.seq, rec.next_choice?.ahead]).toEqual([2, 3, 3, undefined]);
    expect((await requestJob(s, 3, true))?.req.ahead).toBeUndefined();
    expect(await s.store.turnGate(s.spec.id, 3)).toEqual({ status: "running", chosen: false });
    expect(await respond(s.controller, s.spec, 3)).toBe("recorded; turn 4 requested ahead");
  });

  it("a worker that follows the log knows from its follower that its turn was chosen ahead, and starts it with no read; one whose turn was not chosen skips it", async () => {
    const s = await setup();
    const w = worker(s, true);
    let gates = 0;
    const gate = s.store.turnGate.bind(s.store);
    s.store.turnGate = (...args) => {
      gates++;
      return gate(...args);
    };
    const served: number[] = [];
    // this worker serves both agents' turns, so it follows the conversation from its second turn on
    for (let seq = 1; seq <= 6; seq++) {
      if (seq > 2) await heldUpTo(w.context, s.spec.id, seq - 1);
      const out = await take(w, s, s.store.keys.turnJobId(s.spec.id, seq));
      if (seq === 6) {
        expect(out).toEqual({ skipped: expect.stringMatching(/^turn 6 was requested ahead and not chosen/) });
        break;
      }
      expect(out).toMatchObject({ sequence_number: seq, failed: false });
      served.push(seq);
      // turn 6 will not be chosen ahead: the record changes behind the manager's back before turn 5 comes back
      if (seq === 5) await rig.redis.hincrby(s.store.keys.record(s.spec.id), "tokens_total", 1);
      await respond(s.controller, s.spec, seq);
    }
    expect(served).toEqual([1, 2, 3, 4, 5]);
    // turns 2-6 were requested ahead: turn 2 read the choice with the log (no follower yet), 3-5
    // found it in what the follower read, and turn 6 — whose choice the follower did not see — read the record
    expect(gates).toBe(1);
    expect((await requestJob(s, 6, true))?.req).toMatchObject({ sequence_number: 6 });
    expect(await responseOf(s, 6)).toBeUndefined();
    expect(await tokenSeqs(s)).not.toContain(6);
  });
});
