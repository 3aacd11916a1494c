/**
 * BullMQ request/response pairs. One request queue and one response queue per pool, plus the
 * managers' control queue. Requests and control jobs are retained after completion and failure
 * (they are part of the record of a run: who served each turn, what it returned, why it failed);
 * a response that completed is removed unless queues.keep_responses says otherwise — its message
 * is in the log, and a kept copy would weigh more than the message itself. Job ids are
 * deterministic, so adding the same job twice is a no-op while it is kept (a response added
 * again after its removal is recorded once all the same: the log's append refuses a second copy).
 *
 * Each pool's two queues carry a hash tag of their own (Keys.poolPrefix), the control queue
 * another (Keys.controlPrefix): on a Redis Cluster the pools spread over the slots. Jobs of runs
 * recorded before that, all under one tag, are read (and purged) through the legacy queues.
 */
import { Queue, Worker, type Job, type JobsOptions, type Processor, type WorkerOptions } from "bullmq";
import type { Config } from "../config/schema.js";
import { Keys } from "../protocol/keys.js";
import type { ControlJob, TurnRequest, TurnResponse } from "../protocol/schemas.js";
import type { RedisClient } from "../redis/cluster.js";
import { hostName } from "../redis/host.js";

export type QueueSettings = Config["queues"];

export const RETAIN: Pick<JobsOptions, "removeOnComplete" | "removeOnFail"> = {
  removeOnComplete: false,
  removeOnFail: false,
};

/** KEYS[1] a deduplication key; ARGV holder, ttl ms: the job holding it, or nil once ARGV[1] holds it */
const CLAIM = `local held = redis.call("GET", KEYS[1])
if held then return held end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
return false`;

export class Queues {
  readonly keys: Keys;
  private readonly cache = new Map<string, Queue>();

  constructor(
    private readonly connection: RedisClient,
    prefix: string,
    readonly settings: QueueSettings,
  ) {
    this.keys = new Keys(prefix);
  }

  private queue(name: string, prefix = this.keys.prefixOf(name)): Queue {
    const key = `${prefix}:${name}`;
    let q = this.cache.get(key);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix });
      q.on("error", () => undefined);
      this.cache.set(key, q);
    }
    return q;
  }

  control(): Queue {
    return this.queue(this.keys.controlQueue());
  }
  requests(pool: string): Queue {
    return this.queue(this.keys.requestQueue(pool));
  }
  responses(pool: string): Queue {
    return this.queue(this.keys.responseQueue(pool));
  }
  /** a pool's request queue as it was before each pool had a tag of its own (old runs' jobs) */
  legacyRequests(pool: string): Queue {
    return this.queue(this.keys.requestQueue(pool), this.keys.legacyQueuePrefix());
  }
  legacyResponses(pool: string): Queue {
    return this.queue(this.keys.responseQueue(pool), this.keys.legacyQueuePrefix());
  }

  async addControl(job: ControlJob, jobId: string, delayMs = 0): Promise<void> {
    await this.control().add(job.type, job, { ...RETAIN, jobId, delay: delayMs, attempts: 3, backoff: { type: "exponential", delay: 500 } });
  }

  /**
   * Adds `job` unless another job holds `claim` (a BullMQ deduplication id, kept `ttlMs` after
   * the first job added with it, whether that job is still waiting or done): the check and the
   * add are BullMQ's one add script, so of two adds racing for one claim exactly one is added.
   * Returns null when `job` was added, else the id of the job that holds the claim.
   */
  async addControlOnce(job: ControlJob, jobId: string, claim: string, ttlMs: number): Promise<string | null> {
    const added = await this.control().add(job.type, job, { ...RETAIN, jobId, attempts: 3, backoff: { type: "exponential", delay: 500 }, deduplication: { id: claim, ttl: ttlMs } });
    return added.id === jobId ? null : (added.id ?? null);
  }

  /**
   * Claims `claim` (a deduplication id addControlOnce's jobs claim) for the job `holder` without
   * adding a job: one script on BullMQ's own deduplication key of the control queue, set only when
   * unset (as the add script sets it), kept `ttlMs`. Of this claim and an add racing for it, exactly
   * one has it. Returns null when `holder` has it (now, or from before), else the id of the job
   * that does.
   */
  async claimControl(claim: string, holder: string, ttlMs: number): Promise<string | null> {
    // the key as BullMQ's add script names it (its key map): the queue's prefix and hash tag, so on a cluster it is on the queue's slot
    const held = (await this.connection.eval(CLAIM, 1, `${this.control().keys.de}:${claim}`, holder, String(ttlMs))) as string | null;
    return held === null || held === holder ? null : held;
  }

  /** a control job as it is now (its data, and whether it has finished), or null when it is gone */
  async controlJob(jobId: string): Promise<Job | null> {
    return (await this.control().getJob(jobId)) ?? null;
  }

  /** a delayed control job that has not run yet (e.g. the deadline of a run that ended early) goes */
  async removeControl(jobId: string): Promise<void> {
    await this.control().remove(jobId);
  }

  /** `jobId`: turnJobId's, unless the turn is requested again (Keys.reissuedTurnJobId) */
  async addRequest(req: TurnRequest, jobId = this.keys.turnJobId(req.conversation_id, req.sequence_number)): Promise<void> {
    await this.requests(req.pool).add("turn", req, {
      ...RETAIN,
      jobId,
      // the model's failures are retried inside the job (worker/turn.ts, llm/retry.ts); these
      // attempts are for what escapes it (Redis trouble): the job starts over, its failed
      // attempts so far kept in its data
      attempts: 3,
      backoff: { type: "exponential", delay: 1000, jitter: 0.5 },
    });
  }

  async addResponse(pool: string, res: TurnResponse): Promise<void> {
    const [id, seq] = res.ok
      ? [res.message.metadata.conversation_id, res.message.metadata.sequence_number]
      : [res.conversation_id, res.sequence_number];
    await this.responses(pool).add(res.ok ? "message" : "failure", res, {
      ...RETAIN,
      removeOnComplete: !this.settings.keep_responses,
      jobId: this.keys.turnJobId(id, seq),
      attempts: 5,
      backoff: { type: "exponential", delay: 500 },
    });
  }

  workerOptions(connection: RedisClient, concurrency: number, queue: string): WorkerOptions {
    return {
      connection,
      prefix: this.keys.prefixOf(queue),
      concurrency,
      lockDuration: this.settings.lock_duration_ms,
      stalledInterval: this.settings.stalled_interval_ms,
      maxStalledCount: this.settings.max_stalled_count,
      autorun: true,
      // stored on every job it processes (job.processedBy): which host and process ran a turn
      name: `${hostName()}/${process.pid}`,
    };
  }

  worker<T>(name: string, processor: Processor<T>, connection: RedisClient, concurrency: number): Worker<T> {
    // connection trouble is reported by the Worker's own "error" event; never as an unhandled event
    connection.on("error", () => undefined);
    return new Worker<T>(name, processor, this.workerOptions(connection, concurrency, name));
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.cache.values()].map((q) => q.close()));
    this.cache.clear();
  }
}

/** attempts started for this job, counting stalls: 1 on the first run */
export function attemptOf(job: Job): number {
  const started = (job as Job & { attemptsStarted?: number }).attemptsStarted;
  return Math.max(1, started ?? job.attemptsMade + 1);
}
