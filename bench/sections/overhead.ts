/**
 * 1. Turn overhead: one two-agent conversation of 500 turns with the zero-latency simulated
 * provider, through `dialogue run` (a manager and a worker per agent, each its own process).
 * Orchestration per turn = started_at of message n − finished_at of message n−1: from the moment
 * a worker has a reply to the moment a worker starts generating the next one (having read the
 * turn's context from Redis). Beside it, a Redis PING round trip and the raw BullMQ ping-pong with
 * the same topology and the payload sizes of this run's requests and responses (their means).
 * Both turn times are differences of whole-ms timestamps, so their medians are given interpolated
 * within their millisecond (the target's), and as they are.
 */
import { Redis } from "ioredis";
import { Store } from "../../src/redis/store.js";
import { chunkFromEntry } from "../../src/protocol/token-entry.js";
import type { TokenChunk } from "../../src/protocol/schemas.js";
import type { Ctx } from "../lib/ctx.js";
import { breakdown } from "../lib/breakdown.js";
import { freshPrefix, handoffs, jobFieldSizes, present, recorded, runProduct, turnJobKeys, turnTimes, ZERO_LATENCY, type Recorded } from "../lib/product.js";
import { rawPingPong } from "../lib/raw.js";
import { figure, type Figure } from "../lib/report.js";
import { dist, groupedMedian, mean, type Dist } from "../lib/stats.js";

const SECTION = "1. Turn overhead";

export interface OverheadResult {
  figures: Figure[];
  data: Record<string, unknown>;
  /** the conversation, for the storage figures */
  run: Recorded;
  prefix: string;
}

/** sequential PINGs on one connection, ms each */
export async function pingRtts(url: string, n: number): Promise<number[]> {
  const redis = new Redis(url);
  try {
    for (let i = 0; i < 100; i++) await redis.ping();
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await redis.ping();
      out.push(performance.now() - t);
    }
    return out;
  } finally {
    redis.disconnect();
  }
}

/** per turn, the bytes its response's `tail` took: `,"tail":` and the JSON of its last chunk in the token stream */
async function tailSizes(redis: Redis, store: Store, id: string): Promise<number[]> {
  const last = new Map<number, TokenChunk>();
  for (const [, fields] of (await redis.xrange(store.keys.tokens(id), "-", "+")) as Array<[string, string[]]>) {
    const c = chunkFromEntry(fields);
    if (c && !c.failed) last.set(c.seq, c);
  }
  return [...last.values()].map((c) => Buffer.byteLength(`,"tail":${JSON.stringify({ text: c.text, tokens: c.tokens, t: c.t })}`));
}

export async function overhead(ctx: Ctx): Promise<OverheadResult> {
  const turns = ctx.smoke ? 12 : 500;
  const prefix = freshPrefix("overhead");
  ctx.say(`turn overhead: dialogue run, ${turns} turns, zero-latency simulated provider`);
  await runProduct(ctx, prefix, ["run", "--plain", ...ZERO_LATENCY, "--max-turns", String(turns), "--set", "limits.duration_seconds=3600"]);
  const redis = new Redis(ctx.redisUrl);
  try {
    const [run] = await recorded(redis, prefix);
    if (!run) throw new Error("the overhead run recorded no conversation");
    const productMs = handoffs(run.messages);
    const product = dist(productMs);
    const store = new Store(redis, prefix);
    // the raw baseline carries payloads of the product's mean request and response, as this run made them
    const jobs = turnJobKeys(store, run.record, run.messages);
    const requestBytes = Math.round(mean(await jobFieldSizes(redis, present(jobs.requests))) ?? 0);
    // a response job carries {"ok":true,"message":…,"tail":…}; completed ones are not kept
    // (queues.keep_responses). Its tail — the turn's last token chunk, which the manager writes with
    // the message — is then the turn's last chunk in the token stream
    const keptResponses = await jobFieldSizes(redis, present(jobs.responses));
    const messageBytes = mean(run.messages.map((m) => Buffer.byteLength(JSON.stringify(m)))) ?? 0;
    const tailBytes = mean(await tailSizes(redis, store, run.record.spec.id)) ?? 0;
    const responseBytes = Math.round(mean(keptResponses) ?? messageBytes + Buffer.byteLength('{"ok":true,"message":}') + tailBytes);
    const requestReturnBytes = Math.round(mean(await jobFieldSizes(redis, present(jobs.requests), "returnvalue")) ?? 0);

    ctx.say(`turn overhead: raw BullMQ ping-pong, ${turns} turns, payloads ${requestBytes} / ${responseBytes} bytes`);
    const raw = await rawPingPong(ctx, { chains: 1, turns, concurrency: 1, routerConcurrency: 50, requestBytes, responseBytes });
    const rawDist = dist(raw.handoffs);
    // both are differences of whole-ms timestamps: the medians interpolated within their millisecond
    // (stats.ts groupedMedian), which move with the turns rather than jump a whole millisecond
    const mid = groupedMedian(productMs) ?? Number.NaN;
    const rawMid = groupedMedian(raw.handoffs) ?? Number.NaN;
    const ping = dist(await pingRtts(ctx.redisUrl, ctx.smoke ? 200 : 2000));

    const rawName = "raw BullMQ";
    const figures = [
      figure(SECTION, "overhead.p50", "orchestration per turn, p50 (interpolated in its ms)", mid, "ms", { name: rawName, value: rawMid }, { on: "ratio", op: "<=", limit: 1.5 }),
      figure(SECTION, "overhead.p50_whole", "orchestration per turn, p50 of whole ms", product.p50, "ms", { name: rawName, value: rawDist.p50 }),
      figure(SECTION, "overhead.p99", "orchestration per turn, p99", product.p99, "ms", { name: rawName, value: rawDist.p99 }),
      figure(SECTION, "overhead.mean", "orchestration per turn, mean", product.mean, "ms", { name: rawName, value: rawDist.mean }),
      figure(SECTION, "overhead.p50_ping", "orchestration per turn, p50 (interpolated in its ms)", mid, "ms", { name: "Redis PING", value: ping.p50 }),
      figure(SECTION, "overhead.raw_ping", "raw BullMQ turn, p50 (interpolated in its ms)", rawMid, "ms", { name: "Redis PING", value: ping.p50 }),
    ];
    const summary = (d: Dist) => ({ n: d.n, mean: d.mean, p50: d.p50, p95: d.p95, p99: d.p99, max: d.max });
    return {
      figures,
      run,
      prefix,
      data: {
        turns: run.messages.length,
        stop_reason: run.record.stop_reason,
        product_ms: { ...summary(product), p50_interpolated: mid },
        raw_ms: { ...summary(rawDist), p50_interpolated: rawMid },
        ping_ms: summary(ping),
        payload_bytes: { request: requestBytes, response: responseBytes },
        /** what a request job keeps as its return value (worker/turn.ts TurnDone), mean */
        request_return_bytes: requestReturnBytes,
        breakdown_ms: { product: breakdown(await turnTimes(redis, store, run)), raw: raw.breakdown_ms },
        raw_wall_ms: raw.wall_ms,
      },
    };
  } finally {
    redis.disconnect();
  }
}
