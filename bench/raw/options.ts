/**
 * The raw BullMQ baseline: the same queues, options and connections as the product's
 * (src/queues/index.ts), with nothing around them — no record, no log, no validation, no model.
 * A request job carries a payload of the product's request size, a response job one of the
 * product's response size.
 */
import os from "node:os";
import type { JobsOptions, WorkerOptions } from "bullmq";
import type { Redis } from "ioredis";

export const RETAIN = { removeOnComplete: false, removeOnFail: false } as const;

export const requestOpts = (jobId: string): JobsOptions => ({
  ...RETAIN,
  jobId,
  attempts: 3,
  backoff: { type: "exponential", delay: 1000, jitter: 0.5 },
});

export const responseOpts = (jobId: string): JobsOptions => ({
  ...RETAIN,
  jobId,
  attempts: 5,
  backoff: { type: "exponential", delay: 500 },
});

/** the product's defaults (config/default.json queues.*) */
export function workerOpts(connection: Redis, prefix: string, concurrency: number): WorkerOptions {
  return {
    connection,
    prefix,
    concurrency,
    lockDuration: 30_000,
    stalledInterval: 15_000,
    maxStalledCount: 5,
    autorun: true,
    name: `${os.hostname()}/${process.pid}`,
  };
}

export interface RawRequest {
  chain: string;
  seq: number;
  requested_at: number;
  payload: string;
}

export interface RawResponse {
  chain: string;
  seq: number;
  /** when the worker took the request (Date.now(), as the product's metadata.started_at) */
  started_at: number;
  /** when it had the reply (as metadata.finished_at) */
  finished_at: number;
  payload: string;
}

/** a payload of about `bytes` bytes of JSON */
export function payload(bytes: number): string {
  const words = "the quick brown fox jumps over the lazy dog while the rain keeps falling on the windows ";
  return words.repeat(Math.ceil(bytes / words.length)).slice(0, Math.max(0, bytes));
}

/** --name value pairs */
export function args(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i];
    const v = argv[i + 1];
    if (k?.startsWith("--") && v !== undefined) out[k.slice(2)] = v;
  }
  return out;
}

export function required(a: Record<string, string>, name: string): string {
  const v = a[name];
  if (v === undefined) throw new Error(`missing --${name}`);
  return v;
}
