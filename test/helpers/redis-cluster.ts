/**
 * A real, throwaway Redis Cluster for the test files that need one: three masters (no replicas),
 * each a redis-server with `--cluster-enabled yes` on a free port (./redis-server.ts starts and
 * cleans them up like the single test Redis), joined with `redis-cli --cluster create`, and waited
 * for until every node says `cluster_state:ok`. Started in a file's beforeAll, stopped in its afterAll.
 */
import { execFile } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { Cluster, Redis } from "ioredis";
import { startTestRedis, type TestRedis } from "./redis-server.js";

const run = promisify(execFile);

export interface TestCluster {
  /** every node, comma-separated, as a user names a cluster: redis://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3 */
  url: string;
  /** one node alone: dialogue finds the rest (redis.cluster "auto") */
  seedUrl: string;
  ports: number[];
  nodes: TestRedis[];
  /** a cluster client (the caller disconnects it) */
  client(): Cluster;
  /** CLUSTER KEYSLOT, asked of the cluster itself */
  keyslot(key: string): Promise<number>;
  stop(): Promise<void>;
}

const CLUSTER_ARGS = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "3000"];

export async function startTestCluster(masters = 3): Promise<TestCluster> {
  const nodes: TestRedis[] = [];
  try {
    for (let i = 0; i < masters; i++) nodes.push(await startTestRedis({ appendonly: true, extraArgs: CLUSTER_ARGS }));
    const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
    await run("redis-cli", ["--cluster", "create", ...addresses, "--cluster-replicas", "0", "--cluster-yes"], { timeout: 30_000 });
    await waitUntilOk(nodes);
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw new Error(`could not start a Redis Cluster: ${(err as Error).message.split("\n")[0]}`);
  }
  const ports = nodes.map((n) => n.port);
  const admin = new Redis(nodes[0]!.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  admin.on("error", () => undefined);
  return {
    url: `redis://${ports.map((p) => `127.0.0.1:${p}`).join(",")}`,
    seedUrl: nodes[0]!.url,
    ports,
    nodes,
    client: () => new Cluster(ports.map((port) => ({ host: "127.0.0.1", port })), { redisOptions: { maxRetriesPerRequest: null } }),
    keyslot: async (key) => Number(await admin.call("CLUSTER", "KEYSLOT", key)),
    async stop() {
      admin.disconnect();
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}

async function waitUntilOk(nodes: TestRedis[], timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    let ok = true;
    for (const n of nodes) {
      const c = new Redis(n.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on("error", () => undefined);
      try {
        await c.connect();
        const info = String(await c.call("CLUSTER", "INFO"));
        if (!/cluster_state:ok/.test(info)) ok = false;
      } catch {
        ok = false;
      } finally {
        c.disconnect();
      }
    }
    if (ok) return;
    if (Date.now() > end) throw new Error(`cluster_state did not become ok within ${timeoutMs} ms`);
    await sleep(100);
  }
}
