/**
 * GET /healthz — is the server able to do its job: 200 when every check is ok, else 503.
 *
 * Checks: `redis` — the connection is up and a PING answers within a second (a stopped Redis is
 * seen at once: its connection closes); `presence` — the processes' heartbeats could be read
 * (redis/presence.ts), with how many managers are live and how many workers per pool — the pools
 * that matter now: those live workers serve and those the runs going on need (not every pool a run
 * ever used) —, and the pools runs going on need that no live worker serves (unserved_pools: their
 * turns wait), each with those runs and the command that starts a worker. No live manager, or a
 * pool unserved, is not a failure of this server: the figures say it, for whoever watches.
 *
 * Reads: presence, the active set and its runs' records; a run among them whose lease ran out (no
 * live manager drives it) is finalized as abandoned (runs.ts runsGoingOn), so it needs no pool.
 */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { RedisClient } from "../../redis/cluster.js";
import type { ServerContext } from "../context.js";
import { HealthSchema } from "../schemas.js";
import { now } from "../../redis/clock.js";
import { liveByPool, readPresence } from "../../redis/presence.js";
import { poolsOfSpec } from "../../protocol/record.js";
import { prefixFlag } from "../../observer/commands.js";
import { workerCommand } from "../../observer/unserved.js";
import type { Store } from "../../redis/store.js";
import { runsGoingOn } from "../runs.js";

/** @defaultValue 1000 */
const PING_TIMEOUT_MS = 1000;

type Check = { ok: boolean; latency_ms: number | null; error: string | null };

async function redisCheck(redis: RedisClient): Promise<Check> {
  if (redis.status !== "ready") return { ok: false, latency_ms: null, error: `not connected (${redis.status})` };
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer to PING within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
      }),
    ]);
    return { ok: true, latency_ms: Math.round((performance.now() - t0) * 100) / 100, error: null };
  } catch (err) {
    return { ok: false, latency_ms: null, error: err instanceof Error ? err.message.split("\n")[0] ?? "failed" : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

type UnservedNeed = { pool: string; runs: string[]; start: string };
type PresenceCheck = Check & { managers: number | null; workers: Record<string, number> | null; unserved_pools: UnservedNeed[] | null };

async function presenceCheck(store: Store, prefix: string, redisOk: boolean): Promise<PresenceCheck> {
  const none = { managers: null, workers: null, unserved_pools: null };
  if (!redisOk) return { ok: false, latency_ms: null, error: "Redis is not reachable", ...none };
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const [{ processes }, going] = await Promise.race([
      Promise.all([readPresence(store.redis, store.keys), runsGoingOn(store)]),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
      }),
    ]);
    const { managers, workers } = liveByPool(processes);
    // each pool a run going on needs, with those runs
    const needed = new Map<string, string[]>();
    for (const rec of going) for (const p of poolsOfSpec(rec.spec)) needed.set(p, [...(needed.get(p) ?? []), rec.spec.id]);
    const pools = [...new Set([...workers.keys(), ...needed.keys()])].sort();
    return {
      ok: true,
      latency_ms: Math.round((performance.now() - t0) * 100) / 100,
      error: null,
      managers: managers.length,
      workers: Object.fromEntries(pools.map((p) => [p, workers.get(p)?.length ?? 0])),
      unserved_pools: pools.filter((p) => !workers.has(p)).map((pool) => ({ pool, runs: needed.get(pool) ?? [], start: workerCommand(pool, prefixFlag(prefix)) })),
    };
  } catch (err) {
    return { ok: false, latency_ms: null, error: err instanceof Error ? err.message.split("\n")[0] ?? "failed" : String(err), ...none };
  } finally {
    clearTimeout(timer);
  }
}

export const healthRoutes: FastifyPluginAsync<{ ctx: ServerContext }> = async (app, { ctx }) => {
  app.withTypeProvider<ZodTypeProvider>().get(
    "/healthz",
    { schema: { summary: "health: Redis reachable", tags: ["health"], response: { 200: HealthSchema, 503: HealthSchema } } },
    async (_req, reply) => {
      const redis = await redisCheck(ctx.redis);
      const checks = { redis, presence: await presenceCheck(ctx.store, ctx.config.redis.prefix, redis.ok) };
      const ok = Object.values(checks).every((c) => c.ok);
      return reply.code(ok ? 200 : 503).send({ status: ok ? "ok" : "down", checked_at: now(), checks });
    },
  );
};
