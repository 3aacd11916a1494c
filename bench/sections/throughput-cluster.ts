/**
 * 2. Throughput on a Redis Cluster: the section's largest batch (N = 200 conversations at once,
 * `dialogue run --count N --no-spawn`, the zero-latency simulated provider) once more, on a local
 * 3-master Redis Cluster started for it (test/helpers/redis-cluster.ts, the test suite's), with one
 * manager and one worker per pool as on the single node; beside the single node's figure from the
 * same run. turns/s is counted the same way (every turn recorded ÷ last recorded − first
 * requested); Redis' CPU is the three masters' together.
 */
import type { Cluster } from "ioredis";
import { Store } from "../../src/redis/store.js";
import { startTestCluster } from "../../test/helpers/redis-cluster.js";
import { profileArgs, type Ctx } from "../lib/ctx.js";
import { cliEnv, cpuMeter, readyLine, runMeasured, spawnCli, stopProc, type Spawned } from "../lib/proc.js";
import { freshPrefix, recorded, ZERO_LATENCY } from "../lib/product.js";
import { figure, type Figure } from "../lib/report.js";
import { sum } from "../lib/stats.js";

const SECTION = "2. Throughput";

export interface SingleNode {
  n: number;
  turns: number;
  turns_per_second: number;
  /** redis-server CPU per turn on the single node, ms */
  redis_cpu_per_turn: number | null;
}

export async function clusterThroughput(ctx: Ctx, single: SingleNode): Promise<{ figures: Figure[]; data: Record<string, unknown> }> {
  const { n, turns } = single;
  ctx.say(`throughput: ${n} conversations × ${turns} turns on a 3-master Redis Cluster (run --count)`);
  const cluster = await startTestCluster(3);
  const client: Cluster = cluster.client();
  const prefix = freshPrefix("cluster");
  const env = cliEnv(cluster.url, ctx.logFile);
  const common = ["--prefix", prefix, "--log-level", "warn"];
  const roles: Array<[string, Spawned]> = [];
  try {
    await client.sadd(new Store(client, prefix).keys.pools(), "traveller", "local");
    roles.push(
      ["manager", spawnCli(["manager", ...common], env, profileArgs(ctx, "cluster-manager"))],
      ["worker traveller", spawnCli(["worker", "--pool", "traveller", "--concurrency", String(n), ...common], env, profileArgs(ctx, "cluster-worker-traveller"))],
      ["worker local", spawnCli(["worker", "--pool", "local", "--concurrency", String(n), ...common], env, profileArgs(ctx, "cluster-worker-local"))],
    );
    await Promise.all(roles.map(([, p]) => readyLine(p, "ready", 30_000, "stderr")));
    const batch = (count: number, t: number) =>
      runMeasured(["run", "--count", String(count), "--no-spawn", ...ZERO_LATENCY, "--max-turns", String(t), "--set", "limits.duration_seconds=3600", ...common], env);
    if (!ctx.smoke) await batch(10, 20); // warm-up, as on the single node
    const since = Date.now();
    const redisPids = Object.fromEntries(cluster.nodes.map((node, i) => [`redis ${i + 1}`, node.pid()]));
    const meter = cpuMeter({ ...Object.fromEntries(roles.map(([k, p]) => [k, p.pid])), ...redisPids });
    const launcher = await batch(n, turns);
    const cpu = meter.stop();
    if (launcher.code !== 0) throw new Error(`run --count ${n} on the cluster exited ${launcher.code}: ${launcher.stderr.slice(-1000)}`);
    const store = new Store(client, prefix);
    const ids = new Set(await store.idsBetween(since, Number.POSITIVE_INFINITY, 0, n + 10));
    const runs = await recorded(client, prefix, ids);
    const messages = runs.flatMap((r) => r.entries);
    const first = Math.min(...runs.map((r) => r.messages[0]?.metadata.requested_at ?? Number.POSITIVE_INFINITY));
    const last = Math.max(...messages.map((e) => e.recorded_at ?? 0));
    const total = messages.length;
    const tps = total / ((last - first) / 1000);
    const redisCpu = Object.keys(redisPids).map((k) => cpu[k]);
    const redisPerTurn = redisCpu.every((v) => v !== null && v !== undefined) ? sum(redisCpu as number[]) / total : null;
    const at = `N = ${n}, Redis Cluster (3 masters)`;
    const figures = [
      figure(SECTION, `throughput.cluster.${n}.tps`, `turns/s, ${at}`, tps, "turns/s", { name: "one redis-server, same run", value: single.turns_per_second }),
      figure(SECTION, `throughput.cluster.${n}.cpu_redis`, `Redis CPU per turn (3 masters), ${at}`, redisPerTurn, "ms", { name: "one redis-server", value: single.redis_cpu_per_turn }),
    ];
    return {
      figures,
      data: {
        n,
        turns_each: turns,
        turns: total,
        completed: runs.filter((r) => r.record.status === "completed").length,
        turns_per_second: tps,
        window_ms: last - first,
        cpu_ms: { ...cpu, launcher: launcher.cpu_ms },
        single_node_turns_per_second: single.turns_per_second,
        masters: cluster.ports.length,
      },
    };
  } finally {
    await Promise.all(roles.map(([, p]) => stopProc(p)));
    client.disconnect();
    await cluster.stop();
  }
}
