/**
 * Presence: every manager and worker says in Redis where it runs and what it can do, with a
 * heartbeat, so `dialogue status`, `run --no-spawn`, `doctor` and `serve`'s /healthz can see
 * every process in the system across hosts.
 *
 * Writes: P:presence (hash) field <host>/<pid>/<role>[/<pool>] = a Presence (protocol/presence.ts)
 *   as JSON, its seen_at stamped by Redis (TIME, in HEARTBEAT_LUA), every presence.heartbeat_ms;
 *   on a clean exit once more with state "stopped". One key: nothing crosses a hash slot.
 * Reads: P:presence (HGETALL) and TIME. A running process not seen for 3 of its heartbeats is
 *   gone (killed, crashed, cut off); entries not seen for an hour are removed as they are read.
 */
import type { Config } from "../config/schema.js";
import { PresenceSchema, type Presence as Report, type Role, type Serves } from "../protocol/presence.js";
import type { Keys } from "../protocol/keys.js";
import { VERSION } from "../version.js";
import { clockOffsetMs, now } from "./clock.js";
import type { RedisClient } from "./cluster.js";
import { hostName } from "./host.js";

/** heartbeats missed before a running process counts as gone */
export const GONE_AFTER_HEARTBEATS = 3;
/** entries not seen for this long are removed when presence is read; @defaultValue 1 hour */
export const FORGET_AFTER_MS = 3_600_000;
/** how often a process looks again at what it can serve (its servers' model lists); @defaultValue 60000 */
export const SERVES_REFRESH_MS = 60_000;
/** the first look waits this long, so it does not compete with the process's start (its first turns); @defaultValue 1000 */
export const SERVES_FIRST_MS = 1000;

/** KEYS: presence. ARGV: field, the report as JSON without seen_at (an object: it starts with "{"). Returns Redis' now. */
const HEARTBEAT_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], '{"seen_at":' .. now .. ',' .. string.sub(ARGV[2], 2))
return now`;

export interface Load {
  active: number;
  concurrency: number;
  done: number;
  failed: number;
}

export interface PresenceOptions {
  redis: RedisClient;
  keys: Keys;
  config: Config;
  role: Role;
  pool?: string | null;
  load: () => Load;
  /** what this host can serve (llm/capabilities.ts), looked at when it starts and every minute */
  serves?: () => Promise<Omit<Serves, "checked_at">>;
  onError?: (err: unknown) => void;
}

export class Presence {
  readonly id: string;
  readonly host = hostName();
  private readonly startedAt = now();
  private serves: Serves | null = null;
  private timers: NodeJS.Timeout[] = [];
  private state: Report["state"] = "running";

  constructor(private readonly opts: PresenceOptions) {
    this.id = [this.host, process.pid, opts.role, ...(opts.pool ? [opts.pool] : [])].join("/");
  }

  private report(): Omit<Report, "seen_at"> {
    const { role, pool, config } = this.opts;
    return {
      id: this.id,
      role,
      host: this.host,
      pid: process.pid,
      pool: pool ?? null,
      version: VERSION,
      node: process.versions.node,
      started_at: this.startedAt,
      heartbeat_ms: config.presence.heartbeat_ms,
      state: this.state,
      clock_offset_ms: clockOffsetMs(),
      load: this.opts.load(),
      serves: this.serves,
    };
  }

  /** writes the heartbeat now; resolves once Redis has it */
  async beat(): Promise<void> {
    const { redis, keys } = this.opts;
    await redis.eval(HEARTBEAT_LUA, 1, keys.presence(), this.id, JSON.stringify(this.report()));
  }

  private async lookAround(): Promise<void> {
    if (!this.opts.serves) return;
    this.serves = { ...(await this.opts.serves()), checked_at: now() };
    await this.beat();
  }

  /** the first heartbeat (awaited), then one every presence.heartbeat_ms; what it serves follows a second later, as soon as it is known */
  async start(): Promise<void> {
    const fail = (err: unknown): void => this.opts.onError?.(err);
    await this.beat();
    const every = (ms: number, f: () => Promise<void>): void => {
      const t = setInterval(() => void f().catch(fail), ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.opts.config.presence.heartbeat_ms, () => this.beat());
    if (this.opts.serves) {
      const first = setTimeout(() => void this.lookAround().catch(fail), SERVES_FIRST_MS);
      first.unref();
      this.timers.push(first);
      every(SERVES_REFRESH_MS, () => this.lookAround());
    }
  }

  /** a clean exit: the last heartbeat says "stopped" */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.state = "stopped";
    await this.beat().catch((err: unknown) => this.opts.onError?.(err));
  }
}

export type Liveness = "live" | "gone" | "stopped";

export interface Seen extends Report {
  status: Liveness;
  /** since Redis last heard from it, ms */
  age_ms: number;
}

/** how a reported process stands at Redis' time `at` */
export function liveness(p: Report, at: number): Liveness {
  if (p.state === "stopped") return "stopped";
  return at - p.seen_at > GONE_AFTER_HEARTBEATS * p.heartbeat_ms ? "gone" : "live";
}

/** every process that reported under this prefix, by Redis' time; entries older than an hour are removed */
export async function readPresence(redis: RedisClient, keys: Keys): Promise<{ at: number; processes: Seen[]; malformed: number }> {
  const [all, [s, us]] = await Promise.all([redis.hgetall(keys.presence()), redis.time()]);
  const at = Number(s) * 1000 + Math.floor(Number(us) / 1000);
  const processes: Seen[] = [];
  const forget: string[] = [];
  let malformed = 0;
  for (const [field, raw] of Object.entries(all)) {
    let parsed;
    try {
      parsed = PresenceSchema.safeParse(JSON.parse(raw));
    } catch {
      parsed = null;
    }
    if (!parsed?.success) {
      malformed++;
      continue;
    }
    const p = parsed.data;
    if (at - p.seen_at > FORGET_AFTER_MS) {
      forget.push(field);
      continue;
    }
    processes.push({ ...p, status: liveness(p, at), age_ms: Math.max(0, at - p.seen_at) });
  }
  if (forget.length > 0) await redis.hdel(keys.presence(), ...forget);
  processes.sort((a, b) => a.role.localeCompare(b.role) || (a.pool ?? "").localeCompare(b.pool ?? "") || a.host.localeCompare(b.host) || a.pid - b.pid);
  return { at, processes, malformed };
}

/** the live managers, and the live workers of each pool */
export function liveByPool(processes: readonly Seen[]): { managers: Seen[]; workers: Map<string, Seen[]> } {
  const managers = processes.filter((p) => p.role === "manager" && p.status === "live");
  const workers = new Map<string, Seen[]>();
  for (const p of processes) {
    if (p.role !== "worker" || p.status !== "live" || !p.pool) continue;
    workers.set(p.pool, [...(workers.get(p.pool) ?? []), p]);
  }
  return { managers, workers };
}

/** what a run on `pools` lacks, by the heartbeats: a live manager, a live worker for each pool */
export interface Unserved {
  /** no manager is live under this prefix: no run moves */
  no_manager: boolean;
  /** the pools (of `pools`, in their order) that no live worker serves: their turns wait */
  pools: string[];
}

/** the one check of who is missing (run --no-spawn's wait, the API's answer to a start, the live page, dialogue status) */
export function unservedBy(processes: readonly Seen[], pools: readonly string[]): Unserved {
  const { managers, workers } = liveByPool(processes);
  return { no_manager: managers.length === 0, pools: pools.filter((p) => !workers.get(p)?.length) };
}
