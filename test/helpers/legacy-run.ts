/**
 * A run as the code before conversations of any shape (issue 11) stored it, written into Redis
 * field by field the way that code wrote it (src/redis/store.ts and scripts.ts on main then): two
 * agents without a `kind`, a spec without `turn_order`, limits without `human_turn_seconds`,
 * personas without `agent_id` (they follow the agents' order), messages without `source`,
 * `turn_choice`, `prompt_turns` or `skipped`, and a record hash without `remarks` or
 * `next_choice`. Built from a two-agent fixture (test/fixtures/*.json) with those fields taken out.
 */
import type { Redis } from "ioredis";
import { Keys } from "../../src/protocol/keys.js";
import { loadFixture } from "./fixtures.js";

/** what a fixture's record and messages looked like before issue 11 */
export function legacyShape(name: string) {
  const fx = loadFixture(name);
  const rec = fx.record;
  if (rec.spec.agents.length !== 2) throw new Error(`${name}: a run recorded before issue 11 has two agents`);
  const { turn_order: _order, ...spec } = rec.spec;
  const { human_turn_seconds: _h, ...limits } = spec.limits;
  const oldSpec = { ...spec, limits, agents: spec.agents.map(({ kind: _kind, ...a }) => a) };
  const personas = (rec.personas ?? []).map(({ agent_id: _id, ...p }) => p);
  const messages = fx.entries.map(({ message, recorded_at }) => {
    const { skipped: _s, note: _n, ...m } = message;
    const { source: _src, turn_choice: _tc, prompt_turns: _pt, ...metadata } = m.metadata;
    const { next_speaker: _ns, ...content } = m.content;
    return { message: { ...m, content, metadata }, recorded_at: recorded_at ?? metadata.finished_at };
  });
  return { fixture: fx, spec: oldSpec, personas, messages };
}

/** stores the fixture `name` under `prefix` as a finished run of the old format; returns its id */
export async function storeLegacyRun(redis: Redis, prefix: string, name = "healthy"): Promise<string> {
  const { fixture, spec, personas, messages } = legacyShape(name);
  const rec = fixture.record;
  const keys = new Keys(prefix);
  const id = rec.spec.id;
  const s = (v: number | string | null): string => (v === null ? "" : String(v));
  await redis.hset(keys.record(id), {
    spec: JSON.stringify(spec),
    status: rec.status,
    phase: "",
    stop_reason: s(rec.stop_reason),
    error: "",
    story: rec.story ? JSON.stringify(rec.story) : "",
    personas: JSON.stringify(personas),
    started_at: s(rec.started_at),
    deadline_at: s(rec.deadline_at),
    ended_at: s(rec.ended_at),
    turns: messages.length,
    tokens_total: messages.reduce((n, m) => n + m.message.metadata.tokens_generated, 0),
    pending_seq: "",
    failed_turns: 0,
    cut_turns: messages.filter((m) => m.message.cut).length,
    stalled_turns: 0,
    retried_turns: 0,
    ok_turns: messages.length,
  });
  await redis.zadd(keys.index(), spec.created_at, id);
  for (const { message, recorded_at } of messages) {
    await redis.xadd(keys.log(id), keys.logEntryId(message.metadata.sequence_number), "m", JSON.stringify(message), "t", String(recorded_at));
  }
  return id;
}
