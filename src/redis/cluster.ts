/**
 * Redis Cluster: how one is named, and the client type every module talks through.
 *
 * A cluster is named by several of its nodes in the URL, comma-separated, with the scheme, user
 * and password written once for all of them:
 *
 *   REDIS_URL=redis://:password@10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000
 *
 * (a later part may also be a whole URL), or by one node of it: with `redis.cluster` "auto" (the
 * default) a single node that says `cluster_enabled:1` in INFO becomes the seed of a cluster
 * client, "yes" always uses one, "no" never does. The client is ioredis' Cluster, set up as
 * BullMQ's cluster guidance says (`maxRetriesPerRequest: null` on its node connections; the
 * queues' hash-tagged prefixes are in protocol/keys.ts).
 */
import { Cluster, type ClusterNode, type ClusterOptions, type Redis } from "ioredis";

/** a connection to one Redis, or to a Redis Cluster: the commands are the same */
export type RedisClient = Redis | Cluster;

export type ClusterMode = "auto" | "yes" | "no";

export interface RedisNode {
  host: string;
  port: number;
}

export interface ParsedRedisUrl {
  nodes: RedisNode[];
  tls: boolean;
  username: string | undefined;
  password: string | undefined;
  db: number;
}

const SCHEME = /^rediss?:\/\//i;

/** where a Redis URL points, host:port (every node's, comma-separated, for a cluster) — no scheme, user, password or db; null when it cannot be read */
export function hostPorts(url: string): string | null {
  try {
    return parseRedisUrl(url)
      .nodes.map((n) => `${n.host.includes(":") ? `[${n.host}]` : n.host}:${n.port}`)
      .join(",");
  } catch {
    return null;
  }
}

/** the nodes and credentials a URL (or a comma-separated list of nodes) names; throws an Error saying what is wrong */
export function parseRedisUrl(url: string): ParsedRedisUrl {
  const parts = url.split(",").map((p) => p.trim());
  const head = parts[0] ?? "";
  if (!SCHEME.test(head)) throw new Error("must start with redis:// or rediss://");
  const first = parseOne(head, head);
  const scheme = head.slice(0, head.indexOf("//") + 2);
  const nodes = [first.node];
  for (const part of parts.slice(1)) {
    if (part === "") throw new Error("has an empty node between commas");
    nodes.push(parseOne(SCHEME.test(part) ? part : `${scheme}${part}`, part).node);
  }
  return { nodes, tls: /^rediss:/i.test(head), username: first.username, password: first.password, db: first.db };
}

function parseOne(url: string, shown: string): { node: RedisNode; username: string | undefined; password: string | undefined; db: number } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`has a node that is not host:port (${shown.replace(/\/\/[^@/]*@/, "//***@")})`);
  }
  const host = u.hostname.replace(/^\[|\]$/g, "");
  if (!host) throw new Error("has a node without a host");
  const port = u.port === "" ? 6379 : Number(u.port);
  const dbText = u.pathname.replace(/^\//, "");
  const db = dbText === "" ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw new Error(`names database "${dbText}", which is not a number`);
  const decode = (s: string): string | undefined => (s === "" ? undefined : decodeURIComponent(s));
  return { node: { host, port }, username: decode(u.username), password: decode(u.password), db };
}

export function isCluster(c: RedisClient): c is Cluster {
  return (c as { isCluster?: boolean }).isCluster === true;
}

/** another connection like `c` (for a blocking read or a subscription) */
export function duplicateClient(c: RedisClient): RedisClient {
  return isCluster(c) ? c.duplicate() : c.duplicate();
}

/** how long a command waits between its tries while a node is down, or the cluster says CLUSTERDOWN / TRYAGAIN */
export const CLUSTER_RETRY_DELAY_MS = 250;

/**
 * How many redirections and retries a command may take on a cluster: enough for it to wait out a
 * node that is away for twice `awayMs` (each try at a node that is down costs at most two: the
 * "Connection is closed" on it, and the MOVED back to it from the node asked meanwhile), as a
 * command on one Redis waits for its reconnect; a MOVED that goes round in circles (which has no
 * delay) still ends, in an error.
 */
export function maxRedirectionsFor(awayMs: number): number {
  return 16 + 2 * Math.ceil((2 * awayMs) / CLUSTER_RETRY_DELAY_MS);
}

/**
 * The cluster client for these nodes; not connected yet (lazyConnect). A node that goes away (a
 * crash, a restart) is waited for as one Redis is: the commands for its slots are tried again every
 * CLUSTER_RETRY_DELAY_MS (ioredis' retryDelayOnFailover: "Connection is closed"; retryDelayOnClusterDown:
 * the other nodes answer CLUSTERDOWN once they mark it failed; retryDelayOnTryAgain), for about
 * twice `awayMs` (redis.unavailable_timeout_ms), rather than failing after ioredis' 16
 * redirections (1.6 s) with "Too many Cluster redirections".
 */
export function newCluster(parsed: ParsedRedisUrl, connectTimeout: number, awayMs = 30_000): Cluster {
  if (parsed.db !== 0) throw new Error(`names database ${parsed.db}, but a Redis Cluster has only database 0`);
  const options: ClusterOptions = {
    lazyConnect: true,
    enableOfflineQueue: true,
    enableReadyCheck: true,
    scaleReads: "master",
    clusterRetryStrategy: (times) => Math.min(times * 200, 2000),
    retryDelayOnFailover: CLUSTER_RETRY_DELAY_MS,
    retryDelayOnClusterDown: CLUSTER_RETRY_DELAY_MS,
    retryDelayOnTryAgain: CLUSTER_RETRY_DELAY_MS,
    maxRedirections: maxRedirectionsFor(awayMs),
    slotsRefreshTimeout: Math.max(1000, Math.min(connectTimeout, 5000)),
    redisOptions: {
      connectTimeout,
      // BullMQ's workers block on their connections: they must wait for a reconnect, never give up
      maxRetriesPerRequest: null,
      ...(parsed.username ? { username: parsed.username } : {}),
      ...(parsed.password ? { password: parsed.password } : {}),
      ...(parsed.tls ? { tls: {} } : {}),
    },
    // with TLS, keep the node's name for the certificate check (ioredis' advice for managed clusters)
    ...(parsed.tls ? { dnsLookup: (address: string, done: (err: Error | null, address: string, family?: number) => void) => done(null, address) } : {}),
  };
  const cluster = new Cluster(
    parsed.nodes.map((n) => ({ host: n.host, port: n.port })),
    options,
  );
  // A duplicate is a connection for blocking reads (BullMQ's BZPOPMIN and XREAD, an observer's
  // XREAD) or a subscription: its commands fail within a moment while a node is down, and their callers
  // read again (BullMQ's fetch loop, the follow loop). BullMQ races each blocking read against a watchdog (its timeout + 1 s) and resets
  // the connection of a read that outlives it; a read that waited out the node instead left the
  // worker's fetch loop parked for good after the node was back.
  const duplicate = cluster.duplicate.bind(cluster) as (startupNodes?: ClusterNode[], overrideOptions?: ClusterOptions) => Cluster;
  (cluster as { duplicate: typeof duplicate }).duplicate = (startupNodes, overrideOptions = {}) => duplicate(startupNodes, { ...BLOCKING_READS, ...overrideOptions });
  return cluster;
}

/**
 * for the connections of blocking reads (see newCluster): a read meeting a node that is down, or
 * CLUSTERDOWN, fails within about 0.6 s (6 tries, 100 ms apart), within BullMQ's watchdog (at least
 * 1 s), and not at once (BullMQ's fetch loop would go round without a pause)
 */
const BLOCKING_READS: Partial<ClusterOptions> = { maxRedirections: 6, retryDelayOnFailover: 100, retryDelayOnClusterDown: 100, retryDelayOnTryAgain: 100 };

/** does this single-node connection lead into a cluster (INFO cluster says cluster_enabled:1)? */
export async function clusterEnabled(client: Redis): Promise<boolean> {
  try {
    return /cluster_enabled:1/.test(await client.info("cluster"));
  } catch {
    return false; // INFO may be refused by an ACL: then it is used as a single Redis
  }
}

/** how many masters a cluster client sees (0 before it is connected) */
export function masterCount(c: Cluster): number {
  return c.nodes("master").length;
}

/**
 * Runs `fn` with this connection's writes held back, then sends what it (and what it set off
 * without waiting for Redis) issued in one write, once the event loop turns: a write to a socket
 * costs a system call and wakes Redis, and the manager's commands of a turn (the append and the
 * reads after it; the next speaker's choice and its request) are on the path from one turn to the
 * next. Redis runs
 * them in the order they were issued, as always. A cluster client (a connection per node) and a
 * connection that is not ready are left as they are.
 */
export function inOneWrite<T>(c: RedisClient, fn: () => T): T {
  const stream = isCluster(c) || c.status !== "ready" ? null : c.stream;
  if (!stream || stream.writableCorked > 0) return fn();
  stream.cork();
  try {
    return fn();
  } finally {
    setImmediate(() => stream.uncork());
  }
}
