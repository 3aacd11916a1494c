/**
 * Staging and committing imported sessions in Redis: the rows of each session go to a sorted set
 * in that conversation's slot as the file is read (so memory does not grow with the file), and a
 * session is committed — log, index, record, under the id its rows decide — only once the whole
 * file has been read and the session found whole. Reading the staged rows (one slot) and writing
 * the log (another) are separate commands.
 *
 * Reads/writes (keys from protocol/keys.ts; one conversation's keys per command, never two
 * conversations' or a global key with a conversation's in one transaction):
 *   staging(S)   sorted set   S: the session's staging id (session.ts stagingId, one per import).
 *                             score: the row's time (epoch ms); member "<place, 12 digits>|<row JSON>"
 *                             (ties in time keep the file's order). Deleted after the commit, and
 *                             expires a day after an import that died before it.
 *   log(ID)      stream       entry "<seq>-0" { m: DialogMessage JSON, t: the row's time }
 *   index        zset         ID -> the first row's time
 *   imported     zset         ID -> imported_at (when it was imported: what its age counts from)
 *   record(ID)   hash         written last, whole, status "imported": a session whose record is
 *                             there was committed whole; anything else left by a crashed import
 *                             (staging, a partial log) is cleared and redone by the next import.
 */
import { isCluster } from "../redis/cluster.js";
import { z } from "zod";
import type { ConversationSpec } from "../protocol/record.js";
import { DialogMessageSchema } from "../protocol/schemas.js";
import type { Store } from "../redis/store.js";
import { importedMessage, type StagedRow } from "./session.js";

const PAGE = 1000;

const StagedSchema = z.object({ s: z.string(), x: z.string(), t: z.string(), l: z.number().nullable(), i: z.number().nullable() }).strict();

export function stagedMember(r: StagedRow): string {
  const place = String(r.line ?? r.item ?? 0).padStart(12, "0");
  return `${place}|${JSON.stringify({ s: r.speaker, x: r.text, t: r.time, l: r.line, i: r.item })}`;
}

function parseMember(member: string, at: number): StagedRow {
  const v = StagedSchema.parse(JSON.parse(member.slice(member.indexOf("|") + 1)));
  return { speaker: v.s, text: v.x, time: v.t, line: v.l, item: v.i, at };
}

/** staged rows left by an import that died expire after this */
const STAGING_TTL_S = 86_400;

/** what a session's id already holds: "imported" (committed before), "other" (a record of another kind), or null (nothing; a partial log left by a crashed import cleared) */
export async function claim(store: Store, id: string): Promise<"imported" | "other" | null> {
  const status = await store.redis.hget(store.keys.record(id), "status");
  if (status === "imported") return "imported";
  if (status !== null) return "other";
  await store.redis.del(store.keys.log(id));
  return null;
}

/**
 * buffers ZADDs and sends them `every` at a time: in one pipeline on a single Redis; on a cluster
 * (where a pipeline must stay within one node's slots, and sessions' staging keys are on many) as
 * separate commands sent at once
 */
export class Stager {
  private ops: Array<(c: RedisCommands) => unknown> = [];

  constructor(
    private readonly store: Store,
    private readonly every = 500,
  ) {}

  /** `first`: the session's first row (its staging key gets its expiry) */
  async add(stage: string, row: StagedRow, first: boolean): Promise<void> {
    const key = this.store.keys.staging(stage);
    const member = stagedMember(row);
    this.ops.push((c) => c.zadd(key, row.at, member));
    if (first) this.ops.push((c) => c.expire(key, STAGING_TTL_S));
    if (this.ops.length >= this.every) await this.flush();
  }

  drop(id: string): void {
    const key = this.store.keys.staging(id);
    this.ops.push((c) => c.del(key));
  }

  async flush(): Promise<void> {
    if (this.ops.length === 0) return;
    const ops = this.ops;
    this.ops = [];
    const redis = this.store.redis;
    if (isCluster(redis)) {
      await Promise.all(ops.map((op) => op(redis as unknown as RedisCommands)));
      return;
    }
    const pipe = redis.pipeline();
    for (const op of ops) op(pipe as unknown as RedisCommands);
    const res = (await pipe.exec()) ?? [];
    for (const [err] of res) if (err) throw err;
  }
}

/** the commands the stager sends, on a client or a pipeline alike */
interface RedisCommands {
  zadd(key: string, score: number, member: string): unknown;
  expire(key: string, seconds: number): unknown;
  del(key: string): unknown;
}

/**
 * Commits a staged session (staging id `stage`) as conversation `spec.id`: its rows in time order
 * become the log, then the index entry and the record. `speakers`: each speaker's agent id and
 * role. Returns the messages written.
 */
export async function commit(store: Store, stage: string, spec: ConversationSpec, speakers: { ids: ReadonlyMap<string, string>; roles: ReadonlyMap<string, string> }): Promise<{ messages: number; first: number; last: number }> {
  const id = spec.id;
  const key = store.keys.staging(stage);
  let seq = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (let start = 0; ; start += PAGE) {
    const page = await store.redis.zrange(key, String(start), String(start + PAGE - 1), "WITHSCORES");
    const pipe = store.redis.pipeline();
    for (let i = 0; i + 1 < page.length; i += 2) {
      const at = Number(page[i + 1]);
      const row = parseMember(page[i] as string, at);
      const msg = DialogMessageSchema.parse(importedMessage(spec, speakers, row, ++seq));
      pipe.xadd(store.keys.log(id), store.keys.logEntryId(seq), "m", JSON.stringify(msg), "t", String(at));
      first = Math.min(first, at);
      last = Math.max(last, at);
    }
    const res = (await pipe.exec()) ?? [];
    for (const [err] of res) if (err) throw err;
    if (page.length < 2 * PAGE) break;
  }
  // listed by its own time (the first row's); found by `list --since` and `purge --older-than` by when it was imported
  await store.redis.zadd(store.keys.index(), spec.created_at, id);
  if (spec.source?.kind === "import") await store.redis.zadd(store.keys.imported(), spec.source.imported_at, id);
  await store.redis.hset(store.keys.record(id), {
    spec: JSON.stringify(spec),
    status: "imported",
    phase: "",
    stop_reason: "",
    error: "",
    story: "",
    personas: "",
    started_at: first,
    deadline_at: "",
    ended_at: last,
    turns: seq,
    tokens_total: 0,
    pending_seq: "",
    failed_turns: 0,
    cut_turns: 0,
    stalled_turns: 0,
    retried_turns: 0,
    ok_turns: seq,
  });
  await store.redis.del(key);
  return { messages: seq, first, last };
}
