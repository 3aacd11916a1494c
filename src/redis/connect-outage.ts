/**
 * Redis away, said once. A role process (manager, worker) holds many connections — its own,
 * BullMQ's, its subscriptions — and each reports every failed reconnect attempt (and BullMQ every
 * failed read): a few lines a second while Redis is down, 40–250 during a node outage on a Redis
 * Cluster. This turns them into one warn line when Redis becomes unreachable (where: host:port,
 * never a password; that it keeps trying), a reminder at most every `remindMs` while it stays away
 * (how long so far), and one info line when it answers again (how long it was away).
 *
 * How: the role's logger asks `divert` about every warn or error line; a line about one of the
 * role's Redis connections (marked `conn: "redis"`: its queues' and workers' errors, its channels,
 * heartbeat, leases, pools) whose `err` says Redis is away (isRedisAway), and that is not about a
 * job (a job's failure is a fact about a turn, and stays a line of its own), is not written but
 * counted here. An LLM server's errors say ECONNRESET or ECONNREFUSED too: they are not marked,
 * and are written as they come. While Redis is away this process looks
 * every half second whether it answers again: a PING on its main connection (on a cluster, CLUSTER
 * INFO saying cluster_state:ok), with no away error heard for QUIET_MS (the connections' reconnect
 * attempts are at most 2 s apart). The time away is told up to its first answer.
 *
 * Reads: PING or CLUSTER INFO on the client it is given, only while Redis is away. Writes nothing.
 */
import type { Logger } from "../logger.js";
import { hostPorts, isCluster, type RedisClient } from "./cluster.js";
import { isRedisAway } from "./connect.js";

/** pino's warn level: lines at this level and above may say Redis is away */
const WARN = 40;
/** how long no away error must have been heard before Redis counts as back */
const QUIET_MS = 2_500;
/** how often Redis is looked at while it is away */
const LOOK_EVERY_MS = 500;
/** how long one look may take */
const LOOK_TIMEOUT_MS = 1_000;

export interface OutageOptions {
  /** at most one reminder line this often while Redis stays away; @defaultValue 10_000 */
  remindMs?: number;
}

/** where Redis is, for a log line: host:port (several for a cluster), without user or password */
export function redisWhere(url: string): string {
  return hostPorts(url) ?? "the configured Redis";
}

export class RedisOutage {
  private log: Logger | null = null;
  private client: RedisClient | null = null;
  /** host:port (host:port,… for a cluster), the lines' `redis` field */
  private hosts = "";
  /** "Redis at host:port", "Redis Cluster at host:port,…" */
  private where = "";
  /** what an outage is, said before its cause: on a cluster, one node (or more) */
  private node = "";
  /** when Redis went away (null: it answers) */
  private since: number | null = null;
  private lastAwayError = 0;
  /** when Redis first answered after the last away error */
  private answeredAt: number | null = null;
  private lastSaid = 0;
  /** away errors heard during this outage (told in the line saying it is back) */
  private heard = 0;
  /** the look in flight: one at a time (a PING waits in the offline queue until Redis is back) */
  private pending: Promise<boolean> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private looking = false;
  private readonly remindMs: number;
  /** untilBack()'s waiters */
  private waiters: Array<() => void> = [];

  constructor(opts: OutageOptions = {}) {
    this.remindMs = opts.remindMs ?? 10_000;
  }

  /**
   * for the logger (createLogger's `divert`): true when this line says Redis is away, and is told
   * here instead; false before start() and for every other line
   */
  readonly divert = (level: number, fields: Record<string, unknown>): boolean => {
    // only a line about a Redis connection (conn: "redis"): an LLM server's ECONNRESET or refused
    // connection reads the same, and is a failed attempt, told as it comes
    if (!this.log || level < WARN || fields.conn !== "redis" || fields.job !== undefined) return false;
    const err = fields.err;
    if (err === undefined || !isRedisAway(err)) return false;
    this.away(err instanceof Error ? err.message : String(err));
    return true;
  };

  /** from now on, away lines are said through `log`, and `client` is looked at while Redis is away */
  start(opts: { log: Logger; client: RedisClient; url: string }): void {
    this.log = opts.log;
    this.client = opts.client;
    this.hosts = redisWhere(opts.url);
    this.where = `${isCluster(opts.client) ? "Redis Cluster" : "Redis"} at ${this.hosts}`;
    this.node = isCluster(opts.client) ? "a node is down or failing over: " : "";
    // the main connection's own reconnect attempts (its "error" events are otherwise ignored)
    opts.client.on("error", this.onClientError);
  }

  /** while Redis is away: where it is ("Redis at host:port") and since when (epoch ms); null while it answers */
  awayNow(): { where: string; since: number } | null {
    return this.since === null ? null : { where: this.where, since: this.since };
  }

  /** resolves when Redis answers again (at once while it answers) */
  untilBack(): Promise<void> {
    return this.since === null ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.client?.off("error", this.onClientError);
    this.log = null;
  }

  private readonly onClientError = (err: unknown): void => {
    if (this.log && isRedisAway(err)) this.away(err instanceof Error ? err.message : String(err));
  };

  private away(cause: string): void {
    const now = Date.now();
    this.lastAwayError = now;
    this.answeredAt = null;
    if (this.since !== null) {
      this.heard++;
      return;
    }
    this.since = now;
    this.lastSaid = now;
    this.heard = 1;
    this.log?.warn({ redis: this.hosts, cause: firstLine(cause) }, `${this.where} is unreachable (${this.node}${firstLine(cause)}); retrying until it answers`);
    this.timer = setInterval(() => this.tick(), LOOK_EVERY_MS);
    this.timer.unref();
  }

  private tick(): void {
    if (this.since === null) return;
    const now = Date.now();
    if (now - this.lastSaid >= this.remindMs) {
      this.lastSaid = now;
      const s = seconds(now - this.since);
      this.log?.warn({ redis: this.hosts, away_s: s }, `${this.where} still unreachable after ${s} s; retrying`);
    }
    if (this.looking) return;
    this.looking = true;
    void this.answers()
      .then((ok) => {
        if (!ok || this.since === null) return;
        const at = Date.now();
        this.answeredAt ??= at;
        if (at - this.lastAwayError >= QUIET_MS) this.back();
      })
      .finally(() => {
        this.looking = false;
      });
  }

  private back(): void {
    if (this.since === null) return;
    const s = seconds((this.answeredAt ?? Date.now()) - this.since);
    this.since = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.log?.info({ redis: this.hosts, away_s: s, errors: this.heard }, `${this.where} answers again after ${s} s away`);
    for (const w of this.waiters.splice(0)) w();
  }

  /** does Redis answer now (within LOOK_TIMEOUT_MS)? */
  private async answers(): Promise<boolean> {
    const client = this.client;
    if (!client) return false;
    const look = (this.pending ??= (
      isCluster(client) ? client.cluster("INFO").then((info) => /cluster_state:ok/.test(String(info))) : client.ping().then((r) => r === "PONG")
    )
      .catch(() => false)
      .finally(() => {
        this.pending = null;
      }));
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => {
      t = setTimeout(() => r(false), LOOK_TIMEOUT_MS);
    });
    try {
      return await Promise.race([look, timeout]);
    } finally {
      clearTimeout(t);
    }
  }
}

function seconds(ms: number): number {
  return Math.max(1, Math.round(ms / 1000));
}

function firstLine(s: string): string {
  return (s.split("\n")[0] ?? s).slice(0, 200);
}
