/**
 * One node of a test Redis Cluster (./redis-cluster.ts) going away and coming back: which node
 * holds a key's slot, a SIGKILL of that node (no SHUTDOWN: what it wrote stays in its
 * append-only file and nodes.conf, as after a crash), and its start again with the same port and
 * dir (TestRedis.restart, which only starts a server that is down already).
 */
import { Redis } from "ioredis";
import type { TestCluster } from "./redis-cluster.js";
import type { TestRedis } from "./redis-server.js";

/** the node that serves `slot` (CLUSTER SLOTS, asked of the first node) */
export async function nodeForSlot(cluster: TestCluster, slot: number): Promise<TestRedis> {
  const admin = new Redis(cluster.nodes[0]!.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  admin.on("error", () => undefined);
  try {
    const ranges = (await admin.call("CLUSTER", "SLOTS")) as Array<[number, number, [string, number, ...unknown[]], ...unknown[]]>;
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    if (!range) throw new Error(`no node serves slot ${slot}`);
    const node = cluster.nodes.find((n) => n.port === Number(range[2][1]));
    if (!node) throw new Error(`slot ${slot} is served by port ${range[2][1]}, not a node of this cluster`);
    return node;
  } finally {
    admin.disconnect();
  }
}

/** kill -9 the node and wait until its port no longer answers */
export async function crashNode(node: TestRedis): Promise<void> {
  const pid = node.pid();
  process.kill(pid, "SIGKILL");
  const end = Date.now() + 5000;
  while (Date.now() < end) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`redis-server ${pid} did not die`);
}

/** start the node again (same port, dir, nodes.conf and append-only file) and wait until every node says cluster_state:ok */
export async function restartNode(cluster: TestCluster, node: TestRedis, timeoutMs = 30_000): Promise<void> {
  await node.restart();
  const end = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(
      cluster.nodes.map(async (n) => {
        const c = new Redis(n.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        c.on("error", () => undefined);
        try {
          await c.connect();
          return /cluster_state:ok/.test(String(await c.call("CLUSTER", "INFO")));
        } catch {
          return false;
        } finally {
          c.disconnect();
        }
      }),
    );
    if (states.every(Boolean)) return;
    if (Date.now() > end) throw new Error(`the cluster did not say cluster_state:ok within ${timeoutMs} ms of the node's restart`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
