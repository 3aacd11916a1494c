/**
 * 3. Streaming: a conversation with the simulated provider at 50, 200 and 1,000 tokens/s, and an
 * observer process following it with the product's follow(): how long after a worker wrote a
 * token chunk (the chunk's own timestamp) the observer had it, p50 / p95, and the observer's CPU
 * time per chunk. Beside it, the raw stream: a writer process XADDing chunks of the same size at
 * the worker's flush interval and a reader process on XREAD BLOCK, on the same Redis. In the same
 * run, `dialogue serve` with 50 browser-like SSE clients following the conversation: the chunk's
 * latency to the clients, and the server's CPU time per chunk, beside the terminal observer's.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import type { Ctx } from "../lib/ctx.js";
import { cpuMeter, readyLine, spawnCli, spawnProc, stopProc, type Spawned } from "../lib/proc.js";
import { freshPrefix, productEnv, recorded, runProduct, type Recorded } from "../lib/product.js";
import { figure, type Figure } from "../lib/report.js";
import { dist, mean } from "../lib/stats.js";

const SECTION = "3. Streaming";
/** browser-like clients following one run through `dialogue serve` */
const SSE_CLIENTS = 50;

interface SseOut {
  latencies: number[];
  per_client: number[];
  early: number;
  cpu_ms: number;
  wall_ms: number;
}

/** `dialogue serve` on a free port under `prefix`, and its address */
async function startServe(ctx: Ctx, prefix: string): Promise<{ proc: Spawned; url: string }> {
  const proc = spawnCli(["serve", "--port", "0", "--prefix", prefix, "--log-level", "warn"], productEnv(ctx));
  await readyLine(proc, "dialogue serve:");
  const url = /dialogue serve: (http:\/\/\S+)/.exec(proc.out())?.[1];
  if (!url) throw new Error(`no address from dialogue serve: ${proc.out()}`);
  return { proc, url };
}
/** the worker's token flush interval (src/worker/tokens.ts) */
const FLUSH_MS = 33;

interface ObserverOut {
  latencies: number[];
  sizes: number[];
  early: number;
  cpu_ms: number;
  wall_ms: number;
}

export interface StreamingResult {
  figures: Figure[];
  data: Record<string, unknown>;
  /** the slowest rate's conversation (its token stream kept), for the storage figures */
  slowest: { run: Recorded; rate: number; prefix: string } | null;
}

const lastJson = <T>(s: string): T => JSON.parse(s.trim().split("\n").at(-1) ?? "{}") as T;

export async function streaming(ctx: Ctx): Promise<StreamingResult> {
  const steps = ctx.smoke
    ? [{ rate: 1000, turns: 4 }]
    : [
        // long enough that the record and the stored analysis, kept once per run, weigh little
        // in the storage figures taken from this run
        { rate: 50, turns: 16 },
        { rate: 200, turns: 20 },
        { rate: 1000, turns: 60 },
      ];
  const figures: Figure[] = [];
  const data: Record<string, unknown>[] = [];
  let slowest: StreamingResult["slowest"] = null;
  const redis = new Redis(ctx.redisUrl);
  try {
    for (const { rate, turns } of steps) {
      ctx.say(`streaming: ${rate} tokens/s, ${turns} turns, an observer following it; then the raw stream`);
      const prefix = freshPrefix(`stream${rate}`);
      const observer = spawnProc("observer", ["--redis-url", ctx.redisUrl, "--prefix", prefix], { ...process.env });
      await readyLine(observer);
      const serve = await startServe(ctx, prefix);
      const clients = spawnProc("sse-clients", ["--url", serve.url, "--clients", String(SSE_CLIENTS)], { ...process.env });
      await readyLine(clients);
      const serveCpu = cpuMeter({ serve: serve.proc.pid });
      await runProduct(ctx, prefix, [
        "run",
        "--plain",
        "--provider",
        "simulated",
        "--max-turns",
        String(turns),
        "--set",
        `simulated.tokens_per_second=${rate}`,
        "--set",
        "simulated.time_to_first_token_ms=0",
        "--set",
        "limits.duration_seconds=3600",
      ]);
      if ((await observer.exit) !== 0) throw new Error(`the observer failed: ${observer.err().slice(-1000)}`);
      const obs = lastJson<ObserverOut>(observer.out());
      if ((await clients.exit) !== 0) throw new Error(`the SSE clients failed: ${clients.err().slice(-1000)}`);
      const serveCpuMs = serveCpu.stop().serve ?? null;
      await stopProc(serve.proc);
      const web = lastJson<SseOut>(clients.out());
      const [run] = await recorded(redis, prefix);
      if (run && (!slowest || rate < slowest.rate)) slowest = { run, rate, prefix };

      const chunks = obs.latencies.length;
      const bytes = Math.round(mean(obs.sizes) ?? 1);
      const key = `bench-rawstream-${randomBytes(3).toString("hex")}`;
      const common = ["--redis-url", ctx.redisUrl, "--key", key, "--chunks", String(chunks)];
      const reader = spawnProc("stream-raw", [...common, "--mode", "read"], { ...process.env });
      await readyLine(reader);
      const writer = spawnProc("stream-raw", [...common, "--mode", "write", "--bytes", String(bytes), "--every-ms", String(FLUSH_MS)], { ...process.env });
      if ((await writer.exit) !== 0 || (await reader.exit) !== 0) throw new Error(`the raw stream failed: ${writer.err()}${reader.err()}`);
      const raw = lastJson<{ latencies: number[]; cpu_ms: number; wall_ms: number }>(reader.out());
      await redis.unlink(key);

      const p = dist(obs.latencies);
      const r = dist(raw.latencies);
      const w = dist(web.latencies);
      const at = `${rate.toLocaleString("en-US")} tok/s`;
      figures.push(
        figure(SECTION, `streaming.${rate}.p50`, `chunk written → observer, p50, ${at}`, p.p50, "ms", { name: "raw stream", value: r.p50 }),
        figure(SECTION, `streaming.${rate}.p95`, `chunk written → observer, p95, ${at}`, p.p95, "ms", { name: "raw stream", value: r.p95 }, rate === 1000 ? { on: "value", op: "<=", limit: 50 } : undefined),
        figure(SECTION, `streaming.${rate}.cpu`, `observer CPU per chunk, ${at}`, chunks > 0 ? obs.cpu_ms / chunks : null, "ms", { name: "raw reader", value: chunks > 0 ? raw.cpu_ms / chunks : null }),
        figure(SECTION, `streaming.${rate}.sse.p95`, `chunk written → ${SSE_CLIENTS} SSE clients, p95, ${at}`, w.p95, "ms", { name: "terminal observer", value: p.p95 }),
        figure(SECTION, `streaming.${rate}.sse.cpu`, `dialogue serve CPU per chunk, ${SSE_CLIENTS} SSE clients, ${at}`, chunks > 0 && serveCpuMs !== null ? serveCpuMs / chunks : null, "ms", { name: "terminal observer", value: chunks > 0 ? obs.cpu_ms / chunks : null }),
      );
      data.push({
        rate,
        turns,
        chunks,
        chunk_chars_mean: bytes,
        chunks_before_attach: obs.early,
        observer: { latency_ms: p, cpu_ms: obs.cpu_ms, wall_ms: obs.wall_ms, cpu_share: obs.cpu_ms / obs.wall_ms },
        raw: { latency_ms: r, cpu_ms: raw.cpu_ms, wall_ms: raw.wall_ms, cpu_share: raw.cpu_ms / raw.wall_ms },
        sse: { clients: SSE_CLIENTS, latency_ms: w, token_events_per_client: { min: Math.min(...web.per_client), max: Math.max(...web.per_client) }, chunks_before_attach: web.early, serve_cpu_ms: serveCpuMs, clients_cpu_ms: web.cpu_ms },
      });
    }
  } finally {
    redis.disconnect();
  }
  return { figures, data: { steps: data, flush_ms: FLUSH_MS }, slowest };
}
