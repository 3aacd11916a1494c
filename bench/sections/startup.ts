/**
 * 5. Startup: from spawning `dialogue run` to the first generation request (message 1's
 * metadata.requested_at: the manager has written the story and personas and enqueued turn 1),
 * with the zero-latency simulated provider; `dialogue list` from spawn to exit; `dialogue serve`
 * from spawn to listening. Beside them,
 * `dialogue --version` (Node and the CLI's own modules, nothing else) and `node -e 0`.
 * Each is the median of a few runs.
 */
import { Redis } from "ioredis";
import type { Ctx } from "../lib/ctx.js";
import { readyLine, runMeasured, spawnCli, spawnNode, stopProc } from "../lib/proc.js";
import { freshPrefix, productEnv, recorded, runProduct, ZERO_LATENCY } from "../lib/product.js";
import { figure, type Figure } from "../lib/report.js";
import { median } from "../lib/stats.js";

const SECTION = "5. Startup";

export async function startup(ctx: Ctx, listPrefix: string | null): Promise<{ figures: Figure[]; data: Record<string, unknown> }> {
  const times = ctx.smoke ? 1 : 3;
  const prefix = freshPrefix("startup");
  const redis = new Redis(ctx.redisUrl);
  const env = productEnv(ctx);
  try {
    const firstRequest: number[] = [];
    const created: number[] = [];
    for (let i = 0; i < times; i++) {
      ctx.say(`startup: dialogue run until the first generation request (${i + 1} of ${times})`);
      const spawned = Date.now();
      await runProduct(ctx, prefix, ["run", "--plain", ...ZERO_LATENCY, "--max-turns", "2"]);
      const runs = await recorded(redis, prefix);
      const run = runs.at(-1);
      const first = run?.messages[0];
      if (!run || !first) throw new Error("the startup run recorded no message");
      firstRequest.push(first.metadata.requested_at - spawned);
      created.push(run.record.spec.created_at - spawned);
    }
    const listOf = listPrefix ?? prefix;
    const listed = (await redis.zcard(`${listOf}:index`)) || 0;
    const list: number[] = [];
    const version: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < times; i++) {
      const l = await runMeasured(["list", "--prefix", listOf], env);
      if (l.code !== 0) throw new Error(`dialogue list exited ${l.code}: ${l.stderr}`);
      list.push(l.wall_ms);
      version.push((await runMeasured(["--version"], env)).wall_ms);
      const t = performance.now();
      await spawnNode("-e", ["0"], { ...process.env }).exit;
      bare.push(performance.now() - t);
    }
    // dialogue serve: from spawn to listening (the line it prints once it is), then SIGTERM
    const serve: number[] = [];
    for (let i = 0; i < times; i++) {
      const t = performance.now();
      const p = spawnCli(["serve", "--port", "0", "--prefix", listOf, "--log-level", "warn"], env);
      await readyLine(p, "dialogue serve:");
      serve.push(performance.now() - t);
      await stopProc(p);
    }
    const v = median(version);
    const s = (ms: number | null) => (ms === null ? null : ms / 1000);
    const figures = [
      figure(SECTION, "startup.first_request", "dialogue run → first generation request", s(median(firstRequest)), "s", { name: "dialogue --version", value: s(v) }, { on: "value", op: "<=", limit: 1 }),
      figure(SECTION, "startup.list", `dialogue list (${listed} runs kept)`, s(median(list)), "s", { name: "dialogue --version", value: s(v) }, { on: "value", op: "<=", limit: 1 }),
      figure(SECTION, "startup.serve", "dialogue serve → listening", s(median(serve)), "s", { name: "dialogue --version", value: s(v) }, { on: "value", op: "<=", limit: 1 }),
      figure(SECTION, "startup.version", "dialogue --version", s(v), "s", { name: "node -e 0", value: s(median(bare)) }),
    ];
    return { figures, data: { runs: times, first_request_ms: firstRequest, record_created_ms: created, list_ms: list, listed, serve_ms: serve, version_ms: version, node_ms: bare } };
  } finally {
    redis.disconnect();
  }
}
