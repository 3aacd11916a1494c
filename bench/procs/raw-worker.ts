/**
 * Raw BullMQ worker (the baseline of a `dialogue worker`): takes requests from requests.<pool>
 * and at once puts a response on responses.<pool>, returning a few words on the turn as the
 * request job's value, as the product does (worker/turn.ts TurnDone). Prints "ready" when it
 * listens; stops on SIGTERM.
 */
import { Queue, Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import { args, payload, required, responseOpts, workerOpts, type RawRequest, type RawResponse } from "../raw/options.js";

const a = args(process.argv.slice(2));
const prefix = required(a, "prefix");
const pool = required(a, "pool");
const reply = payload(Number(required(a, "response-bytes")));
const redis = new Redis(required(a, "redis-url"), { maxRetriesPerRequest: null });
const responses = new Queue(`responses.${pool}`, { connection: redis, prefix });

const worker = new Worker<RawRequest>(
  `requests.${pool}`,
  async (job: Job<RawRequest>) => {
    const started_at = Date.now();
    const res: RawResponse = { chain: job.data.chain, seq: job.data.seq, started_at, finished_at: Date.now(), payload: reply };
    await responses.add("message", res, responseOpts(`${res.chain}.${res.seq}`));
    return { message_id: `${res.chain}.${res.seq}`, sequence_number: res.seq, attempt: 1, tokens_generated: 0, cut: false, failed: false };
  },
  workerOpts(redis.duplicate({ maxRetriesPerRequest: null }), prefix, Number(required(a, "concurrency"))),
);
await worker.waitUntilReady();
process.stdout.write("ready\n");
process.on("SIGTERM", () => {
  void Promise.allSettled([worker.close(), responses.close()]).finally(() => {
    redis.disconnect();
    process.exit(0);
  });
});
