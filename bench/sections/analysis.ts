/**
 * 4. Analysis: conversations of 1k, 10k and 100k messages (valid synthetic messages written
 * straight into the log with the Store API), and `dialogue analyze <id> --refresh --json` in its
 * own process: wall time (start to exit) and peak RSS. Beside it, a process that only reads the
 * same log page by page and parses each message's JSON.
 */
import path from "node:path";
import { Redis } from "ioredis";
import { Store } from "../../src/redis/store.js";
import type { Ctx } from "../lib/ctx.js";
import { measureScript, PROCS, runMeasured } from "../lib/proc.js";
import { freshPrefix, productEnv } from "../lib/product.js";
import { figure, type Figure } from "../lib/report.js";
import { createConversation, growTo } from "../lib/synthetic.js";

const SECTION = "4. Analysis";

export async function analysis(ctx: Ctx): Promise<{ figures: Figure[]; data: Record<string, unknown> }> {
  const sizes = ctx.smoke ? [300] : [1_000, 10_000, 100_000];
  const prefix = freshPrefix("analysis");
  const redis = new Redis(ctx.redisUrl);
  const store = new Store(redis, prefix);
  const figures: Figure[] = [];
  const data: Record<string, unknown>[] = [];
  try {
    const spec = await createConversation(store);
    const t0 = Date.now() - (Math.max(...sizes) + 86_400) * 1000;
    for (const n of sizes) {
      ctx.say(`analysis: writing ${n.toLocaleString("en-US")} messages, then dialogue analyze --refresh --json`);
      const w0 = performance.now();
      await growTo(store, spec, t0, n);
      const writeMs = performance.now() - w0;
      const env = productEnv(ctx);
      const run = await runMeasured(["analyze", spec.id, "--refresh", "--json", "--prefix", prefix], env);
      if (run.code !== 0) throw new Error(`dialogue analyze exited ${run.code}: ${run.stderr.slice(-1000)}`);
      const report = JSON.parse(run.stdout) as { run: { turns: number } };
      if (report.run.turns !== n) throw new Error(`dialogue analyze saw ${report.run.turns} turns, not ${n}`);
      const base = await measureScript(path.join(PROCS, "log-reader.js"), ["--redis-url", ctx.redisUrl, "--key", store.keys.log(spec.id)], { ...process.env });
      if (base.code !== 0) throw new Error(`the log reader failed: ${base.stderr}`);
      const k = n >= 1000 ? `${n / 1000}k` : String(n);
      const big = n === 100_000;
      figures.push(
        figure(SECTION, `analysis.${k}.time`, `analyze ${k} messages: time`, run.wall_ms / 1000, "s", { name: "read + parse the log", value: base.wall_ms / 1000 }, big ? { on: "value", op: "<=", limit: 3 } : undefined),
        figure(SECTION, `analysis.${k}.rss`, `analyze ${k} messages: peak RSS`, run.max_rss_mb, "MB", { name: "read + parse the log", value: base.max_rss_mb }, big ? { on: "value", op: "<=", limit: 300 } : undefined),
      );
      data.push({ messages: n, write_ms: writeMs, analyze: { wall_ms: run.wall_ms, cpu_ms: run.cpu_ms, max_rss_mb: run.max_rss_mb }, read_log: { wall_ms: base.wall_ms, cpu_ms: base.cpu_ms, max_rss_mb: base.max_rss_mb } });
    }
    // 100k messages are about 100 MB of Redis: gone before the next measurement
    await redis.unlink(...store.keys.conversationKeys(spec.id));
    await redis.zrem(store.keys.index(), spec.id);
  } finally {
    redis.disconnect();
  }
  return { figures, data: { steps: data } };
}
