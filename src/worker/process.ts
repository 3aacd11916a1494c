/**
 * A worker process: consumes one pool's request queue and answers on its response queue.
 * Stateless; run any number per pool, on any host. Follows the log of the conversation it served
 * last, so its next turn there starts with the history at hand (turn-context.ts). Listens on the abort channel so a user stop
 * cuts the generation in flight. Says where it is with a heartbeat (redis/presence.ts: host, pid,
 * pool, what its host can serve, its load), and answers `run --no-spawn`'s model checks for its
 * pool on its own host (spec/checks.ts).
 */
import { UnrecoverableError, type Worker } from "bullmq";
import { duplicateClient, type RedisClient } from "../redis/cluster.js";
import type { Config } from "../config/schema.js";
import { ProviderRegistry } from "../llm/index.js";
import type { Logger } from "../logger.js";
import { AbortNoticeSchema, TurnRequestSchema } from "../protocol/schemas.js";
import { Queues } from "../queues/index.js";
import { Store } from "../redis/store.js";
import { processTurn, respondFailure } from "./turn.js";
import { TurnContextReader } from "./turn-context.js";
import { whatIServe } from "../llm/capabilities.js";
import { Presence } from "../redis/presence.js";
import { answerChecks } from "../spec/checks.js";

export interface WorkerHandle {
  worker: Worker;
  close(graceMs?: number): Promise<void>;
}

export async function startWorker(opts: {
  config: Config;
  pool: string;
  concurrency: number;
  redis: RedisClient;
  log: Logger;
}): Promise<WorkerHandle> {
  const { config, pool, redis, log } = opts;
  const store = new Store(redis, config.redis.prefix, { leaseMs: config.queues.lock_duration_ms });
  const queues = new Queues(redis, config.redis.prefix, config.queues);
  const providers = new ProviderRegistry(config);
  const inflight = new Map<string, Set<AbortController>>();
  // follows the log of the conversation served last (a connection of its own, made when first needed)
  const context = new TurnContextReader(store, { connect: () => duplicateClient(redis), pool });

  const sub = duplicateClient(redis);
  sub.on("error", (err) => log.warn({ err: err.message, conn: "redis" }, "abort channel connection error"));
  await sub.subscribe(store.keys.abortChannel());
  sub.on("message", (_channel, raw) => {
    let notice;
    try {
      notice = AbortNoticeSchema.parse(JSON.parse(raw));
    } catch {
      log.warn({ raw: raw.slice(0, 200) }, "ignored a malformed abort notice");
      return;
    }
    for (const ac of inflight.get(notice.conversation_id) ?? []) ac.abort(new Error(notice.reason));
  });

  const track = (id: string, ac: AbortController): (() => void) => {
    let set = inflight.get(id);
    if (!set) inflight.set(id, (set = new Set()));
    set.add(ac);
    return () => {
      set.delete(ac);
      if (set.size === 0) inflight.delete(id);
    };
  };

  const load = { active: 0, done: 0, failed: 0 };
  const worker = queues.worker(
    store.keys.requestQueue(pool),
    (job) => {
      load.active++;
      return processTurn({ store, queues, providers, log, track, context }, job).finally(() => load.active--);
    },
    duplicateClient(redis),
    opts.concurrency,
  );
  worker.on("completed", () => load.done++);
  worker.on("failed", (job, err) => {
    load.done++;
    load.failed++;
    log.warn({ job: job?.id, err: err.message }, "turn failed");
    // a job that failed for good without this code having said so to the manager — it stalled
    // more often than allowed (its workers kept dying) — is reported now; a response that is
    // already there makes this a no-op (the response's job id is the turn's)
    if (!job || !job.finishedOn || err instanceof UnrecoverableError) return;
    const req = TurnRequestSchema.safeParse(job.data);
    if (req.success && job.attemptsMade >= (job.opts.attempts ?? 1)) {
      void respondFailure({ queues, log }, req.data, `turn ${req.data.sequence_number} failed for good: ${err.message}`);
    } else if (req.success && /stalled/i.test(err.message)) {
      void respondFailure({ queues, log }, req.data, `turn ${req.data.sequence_number} failed for good: ${err.message} (the workers running it kept stopping)`);
    }
  });
  worker.on("error", (err) => log.error({ err: err.message, conn: "redis" }, "worker error"));
  await worker.waitUntilReady();
  const presence = new Presence({
    redis,
    keys: store.keys,
    config,
    role: "worker",
    pool,
    load: () => ({ ...load, concurrency: opts.concurrency }),
    serves: () => whatIServe(config),
    onError: (err) => log.warn({ err: String(err), conn: "redis" }, "could not write the heartbeat"),
  });
  await presence.start();
  const checks = await answerChecks({ redis, keys: store.keys, config, me: { process: presence.id, role: "worker", host: presence.host, pool }, log });
  log.info({ pool, concurrency: opts.concurrency, presence: presence.id }, "worker ready");

  return {
    worker,
    /** finish the turn in flight (up to `graceMs`), else leave it to be retried by another worker */
    async close(graceMs = 5000) {
      const graceful = worker.close();
      const timedOut = await Promise.race([
        graceful.then(() => false),
        new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref()),
      ]);
      if (timedOut) await worker.close(true);
      await Promise.all([presence.stop(), checks.close()]);
      await queues.close();
      await providers.close();
      context.close();
      sub.disconnect();
    },
  };
}
