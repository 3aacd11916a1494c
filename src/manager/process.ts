/**
 * A manager process: drives any number of conversations. Consumes the control queue (start,
 * deadline, finalize) and the response queue of every pool in use; pools are read from Redis
 * and re-read every few seconds, so a manager started anywhere picks up runs started elsewhere.
 *
 * Leases: every live manager renews the lease of every conversation that is not final (the
 * active set), every third of queues.lock_duration_ms. Any manager can drive any conversation
 * (its jobs are on shared queues), so a run stays leased as long as one manager lives; when none
 * does, its lease runs out and `list`, `doctor` or `purge` finalize it as abandoned.
 *
 * Presence: a heartbeat says where it runs and what its host can serve (redis/presence.ts), and it
 * answers `run --no-spawn`'s check of the manager's model on its own host (spec/checks.ts).
 */
import type { Worker } from "bullmq";
import { duplicateClient, type RedisClient } from "../redis/cluster.js";
import type { Config } from "../config/schema.js";
import { ProviderRegistry } from "../llm/index.js";
import type { Logger } from "../logger.js";
import { Queues } from "../queues/index.js";
import { Store } from "../redis/store.js";
import { Controller } from "./controller.js";
import { holdEarlyDeadline } from "./deadline-guard.js";
import { whatIServe } from "../llm/capabilities.js";
import { Presence } from "../redis/presence.js";
import { answerChecks } from "../spec/checks.js";

export interface ManagerHandle {
  close(): Promise<void>;
}

export async function startManager(opts: { config: Config; redis: RedisClient; log: Logger; poolRefreshMs?: number }): Promise<ManagerHandle> {
  const { config, redis, log } = opts;
  const store = new Store(redis, config.redis.prefix, { leaseMs: config.queues.lock_duration_ms });
  const queues = new Queues(redis, config.redis.prefix, config.queues);
  const providers = new ProviderRegistry(config);
  const controller = new Controller(store, queues, providers, log);
  const concurrency = config.queues.manager_concurrency;
  const workers = new Map<string, Worker>();

  const load = { active: 0, done: 0, failed: 0 };
  const counted = <T>(work: () => Promise<T>): Promise<T> => {
    load.active++;
    return work().finally(() => load.active--);
  };
  const watch = (w: Worker, what: string): Worker => {
    w.on("completed", () => load.done++);
    w.on("failed", (job, err) => {
      load.done++;
      load.failed++;
      log.warn({ job: job?.id, queue: what, err: err.message }, "job failed");
    });
    w.on("error", (err) => log.error({ queue: what, err: err.message, conn: "redis" }, "queue error"));
    return w;
  };

  const control = watch(
    queues.worker(store.keys.controlQueue(), (job, token) => counted(async () => {
      await holdEarlyDeadline(store, job, token);
      return controller.onControl(job);
    }), duplicateClient(redis), concurrency),
    "control",
  );
  await control.waitUntilReady();

  const attachPools = async (): Promise<void> => {
    for (const pool of await store.pools()) {
      if (workers.has(pool)) continue;
      const w = watch(
        queues.worker(store.keys.responseQueue(pool), (job) => counted(() => controller.onResponse(job)), duplicateClient(redis), concurrency),
        `responses.${pool}`,
      );
      workers.set(pool, w);
      log.info({ pool }, "listening for responses");
    }
  };
  await attachPools();
  const timer = setInterval(() => {
    attachPools().catch((err: unknown) => log.warn({ err: String(err), conn: "redis" }, "could not refresh pools"));
  }, opts.poolRefreshMs ?? 1000);
  const renew = async (): Promise<void> => {
    const ids = await store.activeIds();
    await Promise.all(ids.map((id) => store.renewLease(id)));
  };
  const lease = setInterval(() => {
    renew().catch((err: unknown) => log.warn({ err: String(err), conn: "redis" }, "could not renew leases"));
  }, Math.max(200, Math.floor(config.queues.lock_duration_ms / 3)));
  await renew().catch((err: unknown) => log.warn({ err: String(err), conn: "redis" }, "could not renew leases"));
  const presence = new Presence({
    redis,
    keys: store.keys,
    config,
    role: "manager",
    load: () => ({ ...load, concurrency }),
    serves: () => whatIServe(config),
    onError: (err) => log.warn({ err: String(err), conn: "redis" }, "could not write the heartbeat"),
  });
  await presence.start();
  const checks = await answerChecks({ redis, keys: store.keys, config, me: { process: presence.id, role: "manager", host: presence.host, pool: null }, log });
  log.info({ prefix: config.redis.prefix, presence: presence.id }, "manager ready");

  return {
    async close() {
      clearInterval(timer);
      clearInterval(lease);
      await Promise.allSettled([control.close(), ...[...workers.values()].map((w) => w.close())]);
      await Promise.all([presence.stop(), checks.close()]);
      await queues.close();
      await providers.close();
    },
  };
}
