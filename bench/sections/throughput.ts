/**
 * 2. Throughput: N conversations at once (`dialogue run --count N --no-spawn`) through one
 * manager and one worker per pool (`dialogue manager`, `dialogue worker --concurrency N`), with
 * the zero-latency simulated provider; beside the raw BullMQ ping-pong with N chains at the same
 * concurrency. turns/s = every turn recorded ÷ (last recorded − first requested); CPU time of
 * each process over the batch, per turn. Then the largest batch again on a 3-master Redis Cluster
 * (throughput-cluster.ts), beside this single node's figure.
 */
import { Redis } from "ioredis";
import { Store } from "../../src/redis/store.js";
import { profileArgs, type Ctx } from "../lib/ctx.js";
import { cpuMeter, readyLine, runMeasured, spawnCli, stopProc, type Spawned } from "../lib/proc.js";
import { freshPrefix, productEnv, recorded, ZERO_LATENCY } from "../lib/product.js";
import { rawPingPong } from "../lib/raw.js";
import { figure, type Figure } from "../lib/report.js";
import { sum } from "../lib/stats.js";
import { clusterThroughput, type SingleNode } from "./throughput-cluster.js";

const SECTION = "2. Throughput";
/** the manager's default manager_concurrency, and the raw router's */
const MANAGER_CONCURRENCY = 50;

interface Step {
  n: number;
  turns: number;
}

export interface ThroughputResult {
  figures: Figure[];
  data: Record<string, unknown>;
  /** the prefix holding every batch's conversations (for `dialogue list`) */
  prefix: string;
}

export async function throughput(ctx: Ctx, payload: { request: number; response: number }): Promise<ThroughputResult> {
  const steps: Step[] = ctx.smoke
    ? [{ n: 2, turns: 4 }]
    : [
        { n: 1, turns: 200 },
        { n: 10, turns: 50 },
        { n: 100, turns: 20 },
        { n: 200, turns: 20 },
      ];
  const maxN = Math.max(...steps.map((s) => s.n));
  const prefix = freshPrefix("throughput");
  const env = productEnv(ctx);
  const redis = new Redis(ctx.redisUrl);
  // the pools are known before the manager starts, so it listens to their responses at once
  await redis.sadd(new Store(redis, prefix).keys.pools(), "traveller", "local");
  const common = ["--prefix", prefix, "--log-level", "warn"];
  const roles: Array<[string, Spawned]> = [
    ["manager", spawnCli(["manager", ...common], env, profileArgs(ctx, "manager"))],
    ["worker traveller", spawnCli(["worker", "--pool", "traveller", "--concurrency", String(maxN), ...common], env, profileArgs(ctx, "worker-traveller"))],
    ["worker local", spawnCli(["worker", "--pool", "local", "--concurrency", String(maxN), ...common], env, profileArgs(ctx, "worker-local"))],
  ];
  const figures: Figure[] = [];
  const data: Record<string, unknown>[] = [];
  let largest: SingleNode | null = null;
  try {
    await Promise.all(roles.map(([, p]) => readyLine(p, "ready", 30_000, "stderr")));
    const batch = (n: number, turns: number) =>
      runMeasured(["run", "--count", String(n), "--no-spawn", ...ZERO_LATENCY, "--max-turns", String(turns), "--set", "limits.duration_seconds=3600", ...common], env);
    // warm-up: the processes' code gets compiled before anything is measured
    if (!ctx.smoke) await batch(10, 20);
    const store = new Store(redis, prefix);
    for (const { n, turns } of steps) {
      ctx.say(`throughput: ${n} conversation${n === 1 ? "" : "s"} × ${turns} turns (run --count), then raw BullMQ`);
      const since = Date.now();
      const meter = cpuMeter({ ...Object.fromEntries(roles.map(([k, p]) => [k, p.pid])), redis: ctx.redisPid });
      const launcher = await batch(n, turns);
      const cpu = meter.stop();
      if (launcher.code !== 0) throw new Error(`run --count ${n} exited ${launcher.code}: ${launcher.stderr.slice(-1000)}`);
      const ids = new Set(await store.idsBetween(since, Number.POSITIVE_INFINITY, 0, n + 10));
      const runs = await recorded(redis, prefix, ids);
      const messages = runs.flatMap((r) => r.entries);
      const first = Math.min(...runs.map((r) => r.messages[0]?.metadata.requested_at ?? Number.POSITIVE_INFINITY));
      const last = Math.max(...messages.map((e) => e.recorded_at ?? 0));
      const total = messages.length;
      const tps = total / ((last - first) / 1000);

      const raw = await rawPingPong(ctx, {
        chains: n,
        turns,
        concurrency: maxN,
        routerConcurrency: MANAGER_CONCURRENCY,
        requestBytes: payload.request,
        responseBytes: payload.response,
      });
      const rawTotal = n * turns;
      const perTurn = (ms: number | null | undefined, turnsDone: number) => (ms === null || ms === undefined ? null : ms / turnsDone);
      const workers = sum([cpu["worker traveller"] ?? 0, cpu["worker local"] ?? 0]);
      const rawWorkers = sum([raw.cpu_ms["worker a"] ?? 0, raw.cpu_ms["worker b"] ?? 0]);
      const at = `N = ${n}`;
      figures.push(
        figure(SECTION, `throughput.${n}.tps`, `turns/s, ${at}`, tps, "turns/s", { name: "raw BullMQ", value: raw.turns_per_second }, n === maxN ? { on: "ratio", op: ">=", limit: 0.5 } : undefined),
        figure(SECTION, `throughput.${n}.cpu_manager`, `manager CPU per turn, ${at}`, perTurn(cpu.manager, total), "ms", { name: "raw router", value: perTurn(raw.cpu_ms.router, rawTotal) }),
        figure(SECTION, `throughput.${n}.cpu_workers`, `workers CPU per turn, ${at}`, perTurn(workers, total), "ms", { name: "raw workers", value: perTurn(rawWorkers, rawTotal) }),
        figure(SECTION, `throughput.${n}.cpu_redis`, `redis-server CPU per turn, ${at}`, perTurn(cpu.redis, total), "ms", { name: "raw BullMQ's", value: perTurn(raw.cpu_ms.redis, rawTotal) }),
      );
      if (n === maxN) largest = { n, turns, turns_per_second: tps, redis_cpu_per_turn: perTurn(cpu.redis, total) };
      data.push({
        n,
        turns_each: turns,
        turns: total,
        completed: runs.filter((r) => r.record.status === "completed").length,
        turns_per_second: tps,
        window_ms: last - first,
        cpu_ms: { ...cpu, launcher: launcher.cpu_ms },
        launcher_wall_ms: launcher.wall_ms,
        raw: { turns: rawTotal, turns_per_second: raw.turns_per_second, cpu_ms: raw.cpu_ms, wall_ms: raw.wall_ms },
      });
    }
  } finally {
    await Promise.all(roles.map(([, p]) => stopProc(p)));
    redis.disconnect();
  }
  // the single node's processes are stopped first: the cluster's run has the machine to itself, as this one had
  let cluster: Record<string, unknown> | null = null;
  if (largest) {
    const c = await clusterThroughput(ctx, largest);
    figures.push(...c.figures);
    cluster = c.data;
  }
  return { figures, data: { steps: data, cluster, worker_concurrency: maxN, manager_concurrency: MANAGER_CONCURRENCY }, prefix };
}
