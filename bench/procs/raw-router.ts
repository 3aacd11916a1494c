/**
 * Raw BullMQ router (the baseline of a `dialogue manager`): takes responses from
 * responses.<pool> of each pool and puts the next request of the chain on the other pool's
 * requests queue, until the chain has `turns` turns; then counts the chain done (INCR
 * <prefix>:done). Prints "ready" when it listens; stops on SIGTERM.
 */
import { Queue, Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import { args, payload, required, requestOpts, workerOpts, type RawRequest, type RawResponse } from "../raw/options.js";

const a = args(process.argv.slice(2));
const prefix = required(a, "prefix");
const pools = required(a, "pools").split(",");
const turns = Number(required(a, "turns"));
const body = payload(Number(required(a, "request-bytes")));
const concurrency = Number(required(a, "concurrency"));
const redis = new Redis(required(a, "redis-url"), { maxRetriesPerRequest: null });
const requests = new Map(pools.map((p) => [p, new Queue(`requests.${p}`, { connection: redis, prefix })]));

/** returns a word, as the manager does ("recorded", kept as the response job's value) */
const route = async (job: Job<RawResponse>): Promise<string> => {
  const { chain, seq } = job.data;
  if (seq >= turns) {
    await redis.incr(`${prefix}:done`);
    return "recorded";
  }
  const next = seq + 1;
  const pool = pools[(next - 1) % pools.length] as string;
  const req: RawRequest = { chain, seq: next, requested_at: Date.now(), payload: body };
  await requests.get(pool)?.add("turn", req, requestOpts(`${chain}.${next}`));
  return "recorded";
};

const workers = pools.map(
  (p) => new Worker<RawResponse>(`responses.${p}`, route, workerOpts(redis.duplicate({ maxRetriesPerRequest: null }), prefix, concurrency)),
);
await Promise.all(workers.map((w) => w.waitUntilReady()));
process.stdout.write("ready\n");
process.on("SIGTERM", () => {
  void Promise.allSettled([...workers.map((w) => w.close()), ...[...requests.values()].map((q) => q.close())]).finally(() => {
    redis.disconnect();
    process.exit(0);
  });
});
