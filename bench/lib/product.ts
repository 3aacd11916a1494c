/**
 * Running the product as a user does and reading back what it recorded: `dialogue run …` (or
 * `run --count N`) against the bench's Redis, then the conversations' records and logs.
 */
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { RedisClient } from "../../src/redis/cluster.js";
import type { ConversationRecord } from "../../src/protocol/record.js";
import type { DialogMessage } from "../../src/protocol/schemas.js";
import { Store, type LogEntry } from "../../src/redis/store.js";
import type { TurnTimes } from "./breakdown.js";
import type { Ctx } from "./ctx.js";
import { cliEnv, spawnCli, type Spawned } from "./proc.js";

/** a fresh key prefix for one measurement */
export const freshPrefix = (what: string): string => `bench-${what}-${randomBytes(3).toString("hex")}`;

/** zero-latency simulated provider: the model costs nothing, what is left is the orchestration */
export const ZERO_LATENCY = ["--provider", "simulated", "--set", "simulated.tokens_per_second=0", "--set", "simulated.time_to_first_token_ms=0"];

export function productEnv(ctx: Ctx, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return cliEnv(ctx.redisUrl, ctx.logFile, extra);
}

/**
 * `dialogue <args> --prefix <prefix>` to its end; throws with its stderr when it fails (exits
 * other than `okCodes`, by default 0 only)
 */
export async function runProduct(ctx: Ctx, prefix: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}, okCodes: readonly number[] = [0]): Promise<Spawned> {
  const p = spawnCli([...args, "--prefix", prefix, "--log-level", "warn"], productEnv(ctx, extraEnv));
  const code = await p.exit;
  if (code === null || !okCodes.includes(code)) throw new Error(`dialogue ${args.join(" ")} exited ${code}: ${p.err().slice(-1500)}`);
  return p;
}

export interface Recorded {
  record: ConversationRecord;
  entries: LogEntry[];
  messages: DialogMessage[];
}

/** the conversations `only` (default: every one) under `prefix`, oldest first, with their logs */
export async function recorded(redis: RedisClient, prefix: string, only?: ReadonlySet<string>): Promise<Recorded[]> {
  const store = new Store(redis, prefix);
  const ids = (await store.listIds(100_000)).reverse().filter((id) => !only || only.has(id));
  const out: Recorded[] = [];
  for (const id of ids) {
    const record = await store.get(id);
    if (!record) continue;
    const entries: LogEntry[] = [];
    for await (const page of store.pages(id)) entries.push(...page);
    out.push({ record, entries, messages: entries.map((e) => e.message) });
  }
  return out;
}

/** orchestration per turn: started_at of message n − finished_at of message n−1 (both at workers) */
export function handoffs(messages: readonly DialogMessage[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < messages.length; i++) {
    const a = messages[i - 1] as DialogMessage;
    const b = messages[i] as DialogMessage;
    out.push(b.metadata.started_at - a.metadata.finished_at);
  }
  return out;
}

/** timestamps of each turn after the first (see breakdown.ts), from the log and the retained jobs */
export async function turnTimes(redis: Redis, store: Store, run: Recorded): Promise<TurnTimes[]> {
  const jobs = turnJobKeys(store, run.record, run.messages);
  const none: [number, number] = [Number.NaN, Number.NaN];
  const read = async (keys: ReadonlyArray<string | null>) => {
    const pipe = redis.pipeline();
    for (const k of keys) if (k !== null) pipe.hmget(k, "timestamp", "processedOn");
    // a job that is not kept (a response once recorded, unless queues.keep_responses) has no times: NaN, not 0
    const got = ((await pipe.exec()) ?? []).map(([, v]) => (v as Array<string | null>).map((x) => (x === null ? Number.NaN : Number(x))) as [number, number]);
    return keys.map((k) => (k === null ? none : (got.shift() ?? none)));
  };
  const [requests, responses] = await Promise.all([read(jobs.requests), read(jobs.responses)]);
  const out: TurnTimes[] = [];
  for (let i = 1; i < run.entries.length; i++) {
    const prev = run.entries[i - 1] as LogEntry;
    const cur = run.entries[i] as LogEntry;
    const [resCreated, resTaken] = responses[i - 1] ?? [Number.NaN, Number.NaN];
    const [reqCreated, reqTaken] = requests[i] ?? [Number.NaN, Number.NaN];
    out.push({
      finished: prev.message.metadata.finished_at,
      response_created: resCreated,
      response_taken: resTaken,
      recorded: prev.recorded_at ?? Number.NaN,
      requested: cur.message.metadata.requested_at,
      request_created: reqCreated,
      request_taken: reqTaken,
      started: cur.message.metadata.started_at,
    });
  }
  return out;
}

/** MEMORY USAGE (exact: SAMPLES 0) of each key, summed; keys that do not exist count 0 */
export async function memoryUsage(redis: Redis, keys: readonly string[]): Promise<number> {
  let total = 0;
  for (let i = 0; i < keys.length; i += 1000) {
    const pipe = redis.pipeline();
    for (const k of keys.slice(i, i + 1000)) pipe.call("MEMORY", "USAGE", k, "SAMPLES", "0");
    for (const [err, v] of (await pipe.exec()) ?? []) if (!err && typeof v === "number") total += v;
  }
  return total;
}

/** HSTRLEN <key> <field> of each key (a BullMQ job's payload "data", its "opts" or its "returnvalue"), in bytes */
export async function jobFieldSizes(redis: Redis, keys: readonly string[], field: "data" | "opts" | "returnvalue" = "data"): Promise<number[]> {
  const pipe = redis.pipeline();
  for (const k of keys) pipe.hstrlen(k, field);
  return ((await pipe.exec()) ?? []).map(([, v]) => Number(v)).filter((n) => n > 0);
}

export const present = (keys: ReadonlyArray<string | null>): string[] => keys.filter((k): k is string => k !== null);

/**
 * The BullMQ job keys of one conversation: each message's request and response (aligned with
 * `messages`; null for a message no job carried — a person's, a narrator's), in its speaker's
 * pool's queues, and the control jobs.
 */
export function turnJobKeys(
  store: Store,
  rec: ConversationRecord,
  messages: readonly DialogMessage[],
): { requests: Array<string | null>; responses: Array<string | null>; control: string[] } {
  const k = store.keys;
  const id = rec.spec.id;
  const requests: Array<string | null> = [];
  const responses: Array<string | null> = [];
  for (const m of messages) {
    const pool = m.metadata.source === "model" ? rec.spec.agents.find((a) => a.id === m.metadata.agent_id)?.pool : undefined;
    const job = store.keys.turnJobId(id, m.metadata.sequence_number);
    requests.push(pool === undefined ? null : `${k.poolPrefix(pool)}:${k.requestQueue(pool)}:${job}`);
    responses.push(pool === undefined ? null : `${k.poolPrefix(pool)}:${k.responseQueue(pool)}:${job}`);
  }
  const control = [store.keys.startJobId(id), store.keys.deadlineJobId(id), store.keys.finalizeJobId(id)].map(
    (j) => `${k.controlPrefix()}:${k.controlQueue()}:${j}`,
  );
  return { requests, responses, control };
}
