/**
 * Driving the raw BullMQ baseline: a router process and one worker process per pool (the same
 * topology as a manager and its workers), `chains` request → worker → response → router chains
 * of `turns` turns each, started together. Timings come from the retained jobs afterwards, so
 * nothing is measured while it runs but CPU time.
 */
import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { payload, requestOpts, type RawRequest, type RawResponse } from "../raw/options.js";
import { breakdown, type TurnTimes } from "./breakdown.js";
import type { Ctx } from "./ctx.js";
import { cpuMeter, readyLine, sleep, spawnProc, stopProc } from "./proc.js";

export interface RawRun {
  chains: number;
  turns: number;
  /** started_at(n) − finished_at(n−1) of every chain, ms */
  handoffs: number[];
  /** all turns ÷ (last response routed − first request added), per second */
  turns_per_second: number;
  wall_ms: number;
  /** CPU ms per process over the run: router, worker <pool>…, redis */
  cpu_ms: Record<string, number | null>;
  /** where a turn's time goes (breakdown.ts) */
  breakdown_ms: Record<string, number | null>;
}

export interface RawOptions {
  chains: number;
  turns: number;
  /** requests a worker takes at once */
  concurrency: number;
  /** responses the router takes at once (the manager's manager_concurrency) */
  routerConcurrency: number;
  requestBytes: number;
  responseBytes: number;
}

const POOLS = ["a", "b"];

export async function rawPingPong(ctx: Ctx, o: RawOptions): Promise<RawRun> {
  const prefix = `{raw${randomBytes(3).toString("hex")}}`;
  const common = ["--redis-url", ctx.redisUrl, "--prefix", prefix];
  const env = { ...process.env };
  const router = spawnProc(
    "raw-router",
    [...common, "--pools", POOLS.join(","), "--turns", String(o.turns), "--request-bytes", String(o.requestBytes), "--concurrency", String(o.routerConcurrency)],
    env,
  );
  const workers = POOLS.map((p) =>
    spawnProc("raw-worker", [...common, "--pool", p, "--response-bytes", String(o.responseBytes), "--concurrency", String(o.concurrency)], env),
  );
  const redis = new Redis(ctx.redisUrl, { maxRetriesPerRequest: null });
  const first = new Queue(`requests.${POOLS[0]}`, { connection: redis, prefix });
  try {
    await Promise.all([router, ...workers].map((p) => readyLine(p)));
    const meter = cpuMeter({ router: router.pid, ...Object.fromEntries(workers.map((w, i) => [`worker ${POOLS[i]}`, w.pid])), redis: ctx.redisPid });
    const t0 = performance.now();
    const body = payload(o.requestBytes);
    for (let c = 0; c < o.chains; c++) {
      const req: RawRequest = { chain: `c${c}`, seq: 1, requested_at: Date.now(), payload: body };
      await first.add("turn", req, requestOpts(`c${c}.1`));
    }
    for (;;) {
      if (Number(await redis.get(`${prefix}:done`)) >= o.chains) break;
      if (performance.now() - t0 > 600_000) throw new Error("the raw BullMQ ping-pong did not finish within 10 minutes");
      await sleep(20);
    }
    const wall = performance.now() - t0;
    const cpu = meter.stop();

    type Seen = { data: RawResponse; created: number; taken: number };
    const responses = new Map<string, Seen>();
    const requests = new Map<string, { created: number; taken: number }>();
    let end = 0;
    let start = Number.POSITIVE_INFINITY;
    for (const p of POOLS) {
      const rq = new Queue(`responses.${p}`, { connection: redis, prefix });
      for (const job of await rq.getJobs(["completed"], 0, -1)) {
        const r = job.data as RawResponse;
        end = Math.max(end, job.finishedOn ?? 0);
        responses.set(`${r.chain}.${r.seq}`, { data: r, created: job.timestamp, taken: job.processedOn ?? Number.NaN });
      }
      await rq.close();
      const qq = new Queue(`requests.${p}`, { connection: redis, prefix });
      for (const job of await qq.getJobs(["completed"], 0, -1)) {
        const r = job.data as RawRequest;
        if (r.seq === 1) start = Math.min(start, job.timestamp);
        requests.set(`${r.chain}.${r.seq}`, { created: job.timestamp, taken: job.processedOn ?? Number.NaN });
      }
      await qq.close();
    }
    const handoffs: number[] = [];
    const times: TurnTimes[] = [];
    for (let c = 0; c < o.chains; c++) {
      for (let seq = 2; seq <= o.turns; seq++) {
        const prev = responses.get(`c${c}.${seq - 1}`);
        const res = responses.get(`c${c}.${seq}`);
        const req = requests.get(`c${c}.${seq}`);
        if (!prev || !res || !req) continue;
        handoffs.push(res.data.started_at - prev.data.finished_at);
        times.push({
          finished: prev.data.finished_at,
          response_created: prev.created,
          response_taken: prev.taken,
          request_created: req.created,
          request_taken: req.taken,
          started: res.data.started_at,
        });
      }
    }
    const total = o.chains * o.turns;
    return {
      chains: o.chains,
      turns: o.turns,
      handoffs,
      turns_per_second: total / ((end - start) / 1000),
      wall_ms: wall,
      cpu_ms: cpu,
      breakdown_ms: breakdown(times),
    };
  } finally {
    await first.close();
    await Promise.all([router, ...workers].map((p) => stopProc(p)));
    // the baseline's keys go: they would count in the storage figures and slow later runs
    await deleteByPattern(redis, `${prefix}:*`);
    redis.disconnect();
  }
}

export async function deleteByPattern(redis: Redis, pattern: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== "0");
}
