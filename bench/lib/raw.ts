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

    const byChain = new Map<string, RawResponse[]>();
    let end = 0;
    for (const p of POOLS) {
      const q = new Queue(`responses.${p}`, { connection: redis, prefix });
      for (const job of await q.getJobs(["completed"], 0, -1)) {
        const r = job.data as RawResponse;
        end = Math.max(end, job.finishedOn ?? 0);
        let list = byChain.get(r.chain);
        if (!list) byChain.set(r.chain, (list = []));
        list.push(r);
      }
      await q.close();
    }
    let start = Number.POSITIVE_INFINITY;
    const handoffs: number[] = [];
    for (const list of byChain.values()) {
      list.sort((x, y) => x.seq - y.seq);
      for (let i = 1; i < list.length; i++) handoffs.push((list[i] as RawResponse).started_at - (list[i - 1] as RawResponse).finished_at);
    }
    const firstJobs = await first.getJobs(["completed"], 0, -1);
    for (const j of firstJobs) if ((j.data as RawRequest).seq === 1) start = Math.min(start, j.timestamp);
    const total = o.chains * o.turns;
    return { chains: o.chains, turns: o.turns, handoffs, turns_per_second: total / ((end - start) / 1000), wall_ms: wall, cpu_ms: cpu };
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
