/**
 * Connections. Reads: the configured URL (flags > env > file), else 127.0.0.1:6379 if it answers,
 * else a managed local redis-server (redis/managed.ts). Every connection is checked with PING
 * within `connect_timeout_ms`; failures become one-line RedisUnavailableErrors naming the URL.
 */
import net from "node:net";
import { Redis, type RedisOptions } from "ioredis";
import type { Config } from "../config/schema.js";
import { RedisUnavailableError } from "../errors/index.js";
import { redactUrl } from "../logger.js";
import { ensureManagedRedis } from "./managed.js";

export interface ResolvedRedis {
  url: string;
  /** where the URL came from, for the user */
  source: "configured" | "localhost" | "managed";
  /** managed only: where the data lives */
  dataDir?: string;
  started?: boolean;
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

export async function resolveRedis(config: Config): Promise<ResolvedRedis> {
  if (config.redis.url) return { url: config.redis.url, source: "configured" };
  if (await pingPort("127.0.0.1", 6379)) return { url: "redis://127.0.0.1:6379", source: "localhost" };
  const m = await ensureManagedRedis({ port: config.redis.managed.port, dataDir: config.redis.managed.data_dir });
  return { url: m.url, source: "managed", dataDir: m.dataDir, started: m.started };
}

export function describeRedis(r: ResolvedRedis): string {
  const url = redactUrl(r.url);
  if (r.source === "managed") {
    return `${url} (managed redis-server${r.started ? ", started now" : ""}; data in ${r.dataDir})`;
  }
  if (r.source === "localhost") return `${url} (found on localhost)`;
  return url;
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

/** a connected client, or a RedisUnavailableError within about `timeoutMs` */
export async function connect(url: string, timeoutMs: number, extra: RedisOptions = {}): Promise<Redis> {
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
 * Calls `onLost` once when the connection has been down for `ms` without coming back.
 * Returns a function that stops watching.
 */
export function watchConnection(client: Redis, ms: number, onLost: () => void): () => void {
  let timer: NodeJS.Timeout | null = null;
  const down = (): void => {
    timer ??= setTimeout(onLost, ms);
  };
  const up = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  client.on("close", down);
  client.on("end", down);
  client.on("ready", up);
  return () => {
    up();
    client.off("close", down);
    client.off("end", down);
    client.off("ready", up);
  };
}
