/**
 * Connections. Reads: the configured URL (flags > env > file), else 127.0.0.1:6379 if it answers,
 * else a managed local redis-server (redis/managed.ts) — started if need be, except for processes
 * meant to join others (`dialogue manager`, `dialogue worker`), which only use one that is already
 * running unless told otherwise (redis.managed.autostart). A URL naming several nodes, or one node
 * of a Redis Cluster, gets a cluster client (redis/cluster.ts). Every connection is checked with
 * PING within `connect_timeout_ms`; failures become one-line RedisUnavailableErrors naming the URL.
 */
import net from "node:net";
import { Redis, type RedisOptions } from "ioredis";
import type { Config } from "../config/schema.js";
import { RedisUnavailableError, UsageError } from "../errors/index.js";
import { redactUrl } from "../logger.js";
import { clusterEnabled, isCluster, masterCount, newCluster, parseRedisUrl, type ClusterMode, type ParsedRedisUrl, type RedisClient } from "./cluster.js";
import { ensureManagedRedis, ManagedRedisError } from "./managed.js";

export interface ResolvedRedis {
  url: string;
  /** where the URL came from, for the user */
  source: "configured" | "localhost" | "managed";
  /** managed only: where the data lives */
  dataDir?: string;
  started?: boolean;
  /** once connected to a Redis Cluster: how many masters it has */
  cluster?: { masters: number };
}

export interface ResolveOptions {
  /**
   * may a managed redis-server be started when none runs? false: only one already running is
   * used, else a RedisUnavailableError says what to do; @defaultValue config.redis.managed.autostart ?? true
   */
  autostart?: boolean;
  /** who asks, for that error ("manager", "worker") */
  role?: string;
}

/** true when something answers PING with +PONG (or -NOAUTH: a Redis that wants a password) */
export function pingPort(host: string, port: number, timeoutMs = 400): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => finish(false));
    sock.on("error", () => finish(false));
    sock.on("connect", () => sock.write("PING\r\n"));
    sock.on("data", (d) => {
      const s = d.toString();
      finish(s.startsWith("+PONG") || s.startsWith("-NOAUTH"));
    });
  });
}

export async function resolveRedis(config: Config, opts: ResolveOptions = {}): Promise<ResolvedRedis> {
  if (config.redis.url) return { url: config.redis.url, source: "configured" };
  if (await pingPort("127.0.0.1", 6379)) return { url: "redis://127.0.0.1:6379", source: "localhost" };
  const { port, data_dir } = config.redis.managed;
  const autostart = opts.autostart ?? config.redis.managed.autostart ?? true;
  if (!autostart && !(await pingPort("127.0.0.1", port))) throw noRedisToJoin(opts.role ?? "this process", port);
  try {
    const m = await ensureManagedRedis({ port, dataDir: data_dir, start: autostart });
    return { url: m.url, source: "managed", dataDir: m.dataDir, started: m.started };
  } catch (err) {
    if (!autostart && err instanceof ManagedRedisError) throw noRedisToJoin(opts.role ?? "this process", port, err.message);
    throw err;
  }
}

/** a process meant to join others found no Redis: it says so, and does not start a private one */
function noRedisToJoin(role: string, port: number, why?: string): RedisUnavailableError {
  return new RedisUnavailableError(
    `${role}: no Redis to join — REDIS_URL is not set, nothing answers on 127.0.0.1:6379, and ${why ?? `no managed redis-server runs on port ${port}`}; ` +
      "it does not start a private Redis of its own (it would serve nothing the others can see)",
    1,
    "set REDIS_URL (or --redis-url) to the Redis your other processes use; for a managed local one, start it with `dialogue redis start` or pass --managed-redis",
  );
}

export function describeRedis(r: ResolvedRedis): string {
  const url = redactUrl(r.url);
  const cluster = r.cluster ? ` (Redis Cluster, ${r.cluster.masters} master${r.cluster.masters === 1 ? "" : "s"})` : "";
  if (r.source === "managed") {
    return `${url} (managed redis-server${r.started ? ", started now" : ""}; data in ${r.dataDir})`;
  }
  if (r.source === "localhost") return `${url} (found on localhost)${cluster}`;
  return `${url}${cluster}`;
}

export function redisOptions(extra: RedisOptions = {}): RedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    ...extra,
  };
}

function explain(url: string, err: unknown): RedisUnavailableError {
  const shown = redactUrl(url);
  const msg = err instanceof Error ? err.message : String(err);
  if (/WRONGPASS|invalid username-password|NOAUTH/i.test(msg)) {
    return new RedisUnavailableError(
      `Redis at ${shown} rejected the credentials (${msg.split("\n")[0]})`,
      1,
      "check the password in REDIS_URL / redis.url (redis://:password@host:port)",
    );
  }
  if (/certificate|SSL|TLS|EPROTO/i.test(msg)) {
    return new RedisUnavailableError(
      `cannot reach Redis at ${shown}: TLS failed (${msg.split("\n")[0]})`,
      1,
      "for a server certificate from a private CA, point NODE_EXTRA_CA_CERTS at the CA file; use redis:// for a server without TLS",
    );
  }
  if (/ECONNREFUSED/.test(msg)) {
    return new RedisUnavailableError(
      `cannot reach Redis at ${shown}: connection refused`,
      1,
      "start redis-server there, fix REDIS_URL / --redis-url, or unset them to use a managed local Redis",
    );
  }
  return new RedisUnavailableError(
    `cannot reach Redis at ${shown}: ${msg.split("\n")[0]}`,
    1,
    "check REDIS_URL / --redis-url (redis:// or rediss://host:port/db)",
  );
}

/**
 * A connected client, or a RedisUnavailableError within about `timeoutMs`: a cluster client when
 * the URL names several nodes, or (`cluster` "auto") names one node of a cluster, or `cluster` is
 * "yes"; else a client of that one Redis.
 */
export async function connect(url: string, timeoutMs: number, extra: RedisOptions = {}, cluster: ClusterMode = "auto", awayMs?: number): Promise<RedisClient> {
  let parsed: ParsedRedisUrl;
  try {
    parsed = parseRedisUrl(url);
  } catch (err) {
    throw new UsageError(`the Redis URL ${redactUrl(url)} ${(err as Error).message}`, "use redis://[:password@]host:port[/db], or for a cluster redis://[:password@]host1:port1,host2:port2,…");
  }
  if (parsed.nodes.length > 1 && cluster === "no") {
    throw new UsageError(`the Redis URL ${redactUrl(url)} names ${parsed.nodes.length} nodes, but redis.cluster is "no"`, "name one node, or set redis.cluster to auto");
  }
  if (parsed.nodes.length > 1) return connectCluster(url, parsed, timeoutMs, awayMs);
  if (cluster === "yes") {
    try {
      return await connectCluster(url, parsed, timeoutMs, awayMs);
    } catch (err) {
      // a Redis that answers, but not as a cluster, is a setting to change, not a Redis to start;
      // one that does not answer is told as for a single Redis (connection refused, …)
      throw (await asOneNode(url, timeoutMs, extra)) ?? err;
    }
  }
  const single = await connectOne(url, timeoutMs, extra);
  if (await clusterEnabled(single)) {
    single.disconnect();
    if (cluster === "no") {
      // one node of a cluster holds a share of the slots: a client of that node alone would fail
      // on every key it does not hold (MOVED)
      throw new UsageError(
        `Redis at ${redactUrl(url)} is a node of a Redis Cluster, but redis.cluster is "no"`,
        'set redis.cluster to "auto" or "yes" (--set redis.cluster=auto, or DIALOGUE_REDIS_CLUSTER=auto): a client of one node cannot follow the cluster',
      );
    }
    return connectCluster(url, parsed, timeoutMs, awayMs);
  }
  return single;
}

/**
 * Why `url` is no cluster, for redis.cluster "yes": a UsageError when the one Redis there answers
 * with its cluster mode off, what keeps it from answering, or null (it is a cluster node after all)
 */
async function asOneNode(url: string, timeoutMs: number, extra: RedisOptions): Promise<Error | null> {
  let single: Redis;
  try {
    single = await connectOne(url, timeoutMs, extra);
  } catch (err) {
    return err as Error;
  }
  try {
    if (!/cluster_enabled:0/.test(await single.info("cluster"))) return null;
    return new UsageError(
      `Redis at ${redactUrl(url)} is not a Redis Cluster (its cluster mode is off), but redis.cluster is "yes"`,
      'set redis.cluster to "auto" (--set redis.cluster=auto, or DIALOGUE_REDIS_CLUSTER=auto), or point REDIS_URL at a node of a cluster',
    );
  } catch {
    return null;
  } finally {
    single.disconnect();
  }
}

async function connectCluster(url: string, parsed: ParsedRedisUrl, timeoutMs: number, awayMs?: number): Promise<RedisClient> {
  let client;
  try {
    client = newCluster(parsed, timeoutMs, awayMs);
  } catch (err) {
    throw new UsageError(`the Redis URL ${redactUrl(url)} ${(err as Error).message}`, "drop the /db part of the URL");
  }
  let lastError: unknown = null;
  client.on("error", (e: unknown) => {
    lastError = e;
  });
  client.on("node error", (e: unknown) => {
    lastError = e;
  });
  try {
    await withTimeout(
      (async () => {
        await client.connect();
        await client.ping();
      })(),
      timeoutMs,
      () => lastError ?? new Error("timed out waiting for the cluster to be ready (CLUSTER INFO: cluster_state:ok)"),
    );
  } catch (err) {
    client.disconnect();
    throw explain(url, lastError ?? err);
  }
  return client;
}

/** `resolved` with what the connection found out (a cluster, and its size) */
export function withTopology(resolved: ResolvedRedis, client: RedisClient): ResolvedRedis {
  return isCluster(client) ? { ...resolved, cluster: { masters: masterCount(client) } } : resolved;
}

async function connectOne(url: string, timeoutMs: number, extra: RedisOptions): Promise<Redis> {
  let client: Redis;
  try {
    client = new Redis(url, redisOptions({ connectTimeout: timeoutMs, ...extra }));
  } catch (err) {
    throw explain(url, err);
  }
  let lastError: unknown = null;
  const onError = (e: unknown): void => {
    lastError = e;
  };
  client.on("error", onError);
  try {
    await withTimeout(
      (async () => {
        await client.connect();
        await client.ping();
      })(),
      timeoutMs,
      () => lastError ?? new Error("timed out"),
    );
  } catch (err) {
    client.disconnect();
    throw explain(url, lastError && !(err instanceof Error && /WRONGPASS|NOAUTH/.test(err.message)) ? lastError : err);
  }
  // ioredis goes on in database 0 when the URL's /db does not exist (it only reports the SELECT's error)
  if (lastError instanceof Error && /DB index is out of range/i.test(lastError.message)) {
    client.disconnect();
    const db = client.options.db ?? 0;
    throw new UsageError(
      `the Redis URL ${redactUrl(url)} names database ${db}, which this Redis does not have (${lastError.message})`,
      "use a database from 0 to the Redis' `databases` setting minus one (0–15 by default), or leave the /db part out",
    );
  }
  return client;
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(onTimeout()), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/**
 * Does this error say that Redis (or a node of a Redis Cluster) is away for now — the connection
 * closed, a node down and the cluster failing over or answering CLUSTERDOWN, no node reachable —
 * rather than that a command is wrong? Such a command is tried again, as one Redis' commands wait
 * for its reconnect.
 */
export function isRedisAway(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  // (a MOVED or ASK left in a pipeline's replies: the slots moved back to a node that came back)
  if (/^(MOVED|ASK) \d+ /.test(msg)) return true;
  return /Connection is closed|Too many Cluster redirections|CLUSTERDOWN|None of startup nodes is available|Cluster isn't ready|Failed to refresh slots cache|TRYAGAIN|MASTERDOWN|LOADING|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH/.test(msg);
}

/** what watchConnection returns: call it to stop watching */
export interface ConnectionWatch {
  (): void;
  /**
   * a command failed: true when `err` says Redis is away (isRedisAway), and then it counts as down
   * until `answered()` (the caller waits and tries again); false for any other error
   */
  failed(err: unknown): boolean;
  /** a command was answered */
  answered(): void;
}

/** how often the state of a Redis Cluster is looked at (CLUSTER INFO) */
const CLUSTER_STATE_EVERY_MS = 1000;

/**
 * Calls `onLost` once when Redis has been away for `ms` without coming back: the connection
 * closed; on a Redis Cluster also a node down (the cluster says cluster_state:fail, or a command
 * of the caller failed with an error that says Redis is away, told through `failed`). `onChange`,
 * if given, hears when Redis goes away (the epoch ms it did, by this host's clock) and when it is
 * back (null), once each way. Returns a function that stops watching.
 */
export function watchConnection(client: RedisClient, ms: number, onLost: () => void, onChange?: (awaySince: number | null) => void): ConnectionWatch {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  /** why Redis counts as away: "connection" (the client's own), "state" (cluster_state), "commands" */
  const why = new Set<string>();
  const down = (reason: string): void => {
    why.add(reason);
    if (timer || stopped) return;
    timer = setTimeout(onLost, ms);
    onChange?.(Date.now());
  };
  const up = (reason: string): void => {
    why.delete(reason);
    if (why.size > 0 || !timer) return;
    clearTimeout(timer);
    timer = null;
    if (!stopped) onChange?.(null);
  };
  const closed = (): void => down("connection");
  const ready = (): void => up("connection");
  client.on("close", closed);
  client.on("end", closed);
  client.on("ready", ready);
  let poll: NodeJS.Timeout | null = null;
  if (isCluster(client)) {
    // one node down leaves the client connected to the others: the cluster's own state says it
    const look = (): void => {
      void client
        .cluster("INFO")
        .then(
          (info) => (/cluster_state:ok/.test(String(info)) ? up("state") : down("state")),
          (err: unknown) => (isRedisAway(err) ? down("state") : undefined),
        )
        .finally(() => {
          if (!stopped) {
            poll = setTimeout(look, CLUSTER_STATE_EVERY_MS);
            poll.unref();
          }
        });
    };
    poll = setTimeout(look, CLUSTER_STATE_EVERY_MS);
    poll.unref();
  }
  const stop = (): void => {
    stopped = true;
    if (poll) clearTimeout(poll);
    why.clear();
    up("connection");
    client.off("close", closed);
    client.off("end", closed);
    client.off("ready", ready);
  };
  return Object.assign(stop, {
    failed: (err: unknown): boolean => {
      if (!isRedisAway(err)) return false;
      down("commands");
      return true;
    },
    answered: (): void => up("commands"),
  });
}
