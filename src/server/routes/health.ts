/**
 * GET /healthz — is the server able to do its job: 200 when every check is ok, else 503.
 *
 * Checks: `redis` — the connection is up and a PING answers within a second (a stopped Redis is
 * seen at once: its connection closes); `presence` — the processes' heartbeats could be read
 * (redis/presence.ts), with how many managers are live and how many workers per pool (the pools
 * runs used, and those of every worker that reported). No live manager is not a failure of this
 * server: the counts say it, for whoever watches.
 */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { RedisClient } from "../../redis/cluster.js";
import type { ServerContext } from "../context.js";
import { HealthSchema } from "../schemas.js";
import { now } from "../../redis/clock.js";
import { liveByPool, readPresence } from "../../redis/presence.js";
import type { Keys } from "../../protocol/keys.js";

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

type PresenceCheck = Check & { managers: number | null; workers: Record<string, number> | null };

async function presenceCheck(redis: RedisClient, keys: Keys, pools: () => Promise<string[]>, redisOk: boolean): Promise<PresenceCheck> {
  if (!redisOk) return { ok: false, latency_ms: null, error: "Redis is not reachable", managers: null, workers: null };
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const [{ processes }, used] = await Promise.race([
      Promise.all([readPresence(redis, keys), pools()]),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
      }),
    ]);
    const { managers, workers } = liveByPool(processes);
    const reported = processes.flatMap((p) => (p.role === "worker" && p.pool ? [p.pool] : []));
    const all = [...new Set([...used, ...reported])].sort();
    return {
      ok: true,
      latency_ms: Math.round((performance.now() - t0) * 100) / 100,
      error: null,
      managers: managers.length,
      workers: Object.fromEntries(all.map((p) => [p, workers.get(p)?.length ?? 0])),
    };
  } catch (err) {
    return { ok: false, latency_ms: null, error: err instanceof Error ? err.message.split("\n")[0] ?? "failed" : String(err), managers: null, workers: null };
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
      const checks = { redis, presence: await presenceCheck(ctx.redis, ctx.store.keys, () => ctx.store.pools(), redis.ok) };
      const ok = Object.values(checks).every((c) => c.ok);
      return reply.code(ok ? 200 : 503).send({ status: ok ? "ok" : "down", checked_at: now(), checks });
    },
  );
};
