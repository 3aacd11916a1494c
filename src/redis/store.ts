/**
 * The conversation store: every read and write of conversation data goes through here.
 *
 * Reads/writes (keys from protocol/keys.ts):
 *   record(ID)  hash   fields: spec, status, phase, stop_reason, error, story, personas,
 *                      started_at, deadline_at, ended_at, turns, tokens_total, pending_seq
 *   log(ID)     stream entry "<seq>-0" { m: DialogMessage JSON, t: epoch ms recorded }   (append-once, see appendMessage)
 *   tokens(ID)  stream { c: TokenChunk JSON }, trimmed with MAXLEN ~
 *   index       zset   ID -> created_at
 * Returns parsed, validated objects; a record that fails to parse is reported, never trusted.
 */
import type { Redis } from "ioredis";
import {
  ConversationRecordSchema,
  isFinal,
  type ConversationRecord,
  type ConversationSpec,
  type Status,
  type StopReason,
} from "../protocol/record.js";
import {
  DialogMessageSchema,
  PersonaSchema,
  StoryContentSchema,
  TokenChunkSchema,
  type DialogMessage,
  type Persona,
  type StoryContent,
  type TokenChunk,
} from "../protocol/schemas.js";
import { Keys } from "../protocol/keys.js";
import { z } from "zod";

/** append a message once: XADD with the message's own id fails if it (or a later one) exists */
const APPEND_LUA = `
local ok = redis.pcall('XADD', KEYS[1], ARGV[1], 'm', ARGV[2], 't', ARGV[4])
if type(ok) == 'table' and ok.err then return 0 end
redis.call('HINCRBY', KEYS[2], 'turns', 1)
redis.call('HINCRBY', KEYS[2], 'tokens_total', tonumber(ARGV[3]))
return 1`;

/** set the final status once; later calls change nothing */
const FINALIZE_LUA = `
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return -1 end
if s == 'completed' or s == 'stopped' or s == 'failed' then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'stop_reason', ARGV[2], 'ended_at', ARGV[3], 'phase', '', 'pending_seq', '')
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[4]) end
return 1`;

/** move to "stopping" with a reason unless already stopping or final */
const STOPPING_LUA = `
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return -1 end
if s == 'completed' or s == 'stopped' or s == 'failed' or s == 'stopping' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'stopping', 'stop_reason', ARGV[1])
return 1`;

export function statusFor(reason: StopReason): Status {
  if (reason === "user_stop") return "stopped";
  if (reason === "error") return "failed";
  return "completed";
}

const num = (v: string | undefined): number | null => (v === undefined || v === "" ? null : Number(v));
const json = <T>(v: string | undefined, schema: z.ZodType<T>): T | null =>
  v === undefined || v === "" ? null : schema.parse(JSON.parse(v));

export class Store {
  readonly keys: Keys;
  constructor(
    readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = new Keys(prefix);
  }

  async create(spec: ConversationSpec): Promise<void> {
    const id = spec.id;
    await this.redis
      .multi()
      .hset(this.keys.record(id), {
        spec: JSON.stringify(spec),
        status: "pending",
        phase: "",
        stop_reason: "",
        error: "",
        story: "",
        personas: "",
        started_at: "",
        deadline_at: "",
        ended_at: "",
        turns: 0,
        tokens_total: 0,
        pending_seq: "",
      })
      .zadd(this.keys.index(), spec.created_at, id)
      .sadd(this.keys.pools(), ...spec.agents.map((a) => a.pool))
      .exec();
  }

  async exists(id: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.record(id))) === 1;
  }

  /** the record, or null if there is none; throws if it is there but malformed */
  async get(id: string): Promise<ConversationRecord | null> {
    const h = await this.redis.hgetall(this.keys.record(id));
    if (!h.spec) return null;
    return ConversationRecordSchema.parse({
      spec: JSON.parse(h.spec),
      status: h.status,
      phase: h.phase || null,
      stop_reason: h.stop_reason || null,
      error: h.error || null,
      story: json<StoryContent>(h.story, StoryContentSchema),
      personas: json<Persona[]>(h.personas, z.array(PersonaSchema)),
      started_at: num(h.started_at),
      deadline_at: num(h.deadline_at),
      ended_at: num(h.ended_at),
      turns: num(h.turns) ?? 0,
      tokens_total: num(h.tokens_total) ?? 0,
      pending_seq: num(h.pending_seq),
    });
  }

  async setFields(id: string, fields: Record<string, string | number>): Promise<void> {
    await this.redis.hset(this.keys.record(id), fields);
  }

  async setStory(id: string, story: StoryContent): Promise<void> {
    await this.setFields(id, { story: JSON.stringify(StoryContentSchema.parse(story)) });
  }

  async setPersonas(id: string, personas: Persona[]): Promise<void> {
    await this.setFields(id, { personas: JSON.stringify(z.array(PersonaSchema).parse(personas)) });
  }

  /** true if the message was recorded now, false if it was already there */
  async appendMessage(msg: DialogMessage): Promise<boolean> {
    const m = DialogMessageSchema.parse(msg);
    const id = m.metadata.conversation_id;
    const r = await this.redis.eval(
      APPEND_LUA,
      2,
      this.keys.log(id),
      this.keys.record(id),
      this.keys.logEntryId(m.metadata.sequence_number),
      JSON.stringify(m),
      String(m.metadata.tokens_generated),
      String(Date.now()),
    );
    return r === 1;
  }

  /**
   * The whole log, oldest first, one XRANGE of `pageSize` entries at a time: memory holds one
   * page, however long the conversation. Each entry comes with when it was recorded (null for
   * entries written before that was kept).
   */
  async *pages(id: string, pageSize = 1000): AsyncGenerator<LogEntry[]> {
    const key = this.keys.log(id);
    const fetch = (start: string) => {
      const p = this.redis.xrange(key, start, "+", "COUNT", pageSize);
      p.catch(() => undefined); // a reader that stops early leaves the prefetched page unread
      return p;
    };
    let next = fetch("-");
    for (;;) {
      const entries = await next;
      if (entries.length === 0) return;
      const last = entries.length < pageSize ? null : (entries[entries.length - 1] as [string, string[]])[0];
      // ask for the next page now, so Redis works while this one is parsed and used
      if (last !== null) next = fetch(`(${last}`);
      yield entries.map(([, fields]) => ({ message: parseEntry(fields), recorded_at: recordedAt(fields) }));
      if (last === null) return;
    }
  }

  /** messages with sequence numbers in [fromSeq, toSeq], in order */
  async readLog(id: string, fromSeq = 1, toSeq?: number, count?: number): Promise<DialogMessage[]> {
    const end = toSeq === undefined ? "+" : this.keys.logEntryId(toSeq);
    const entries =
      count === undefined
        ? await this.redis.xrange(this.keys.log(id), this.keys.logEntryId(fromSeq), end)
        : await this.redis.xrange(this.keys.log(id), this.keys.logEntryId(fromSeq), end, "COUNT", count);
    return entries.map(([, fields]) => parseEntry(fields));
  }

  /** the last `n` messages, oldest first */
  async lastMessages(id: string, n: number): Promise<DialogMessage[]> {
    const entries = await this.redis.xrevrange(this.keys.log(id), "+", "-", "COUNT", n);
    return entries.reverse().map(([, fields]) => parseEntry(fields));
  }

  async finalize(id: string, reason: StopReason, error: string | null = null): Promise<boolean> {
    const r = await this.redis.eval(
      FINALIZE_LUA,
      1,
      this.keys.record(id),
      statusFor(reason),
      reason,
      String(Date.now()),
      error ?? "",
    );
    return r === 1;
  }

  async markStopping(id: string, reason: StopReason): Promise<boolean> {
    return (await this.redis.eval(STOPPING_LUA, 1, this.keys.record(id), reason)) === 1;
  }

  async publishTokens(id: string, chunk: TokenChunk, maxlen: number): Promise<void> {
    if (maxlen <= 0) return;
    const c = TokenChunkSchema.parse(chunk);
    await this.redis.xadd(this.keys.tokens(id), "MAXLEN", "~", maxlen, "*", "c", JSON.stringify(c));
  }

  /** ids of retained conversations, newest first */
  async listIds(limit = 100, offset = 0): Promise<string[]> {
    return this.redis.zrevrange(this.keys.index(), offset, offset + limit - 1);
  }

  /** ids created in [since, until] (epoch ms), newest first, `count` from `offset` */
  async idsBetween(since: number, until: number, offset: number, count: number): Promise<string[]> {
    const max = Number.isFinite(until) ? String(until) : "+inf";
    const min = Number.isFinite(since) ? String(since) : "-inf";
    return this.redis.zrevrangebyscore(this.keys.index(), max, min, "LIMIT", offset, count);
  }

  async pools(): Promise<string[]> {
    return this.redis.smembers(this.keys.pools());
  }

  isFinalStatus(s: Status): boolean {
    return isFinal(s);
  }
}

/** a log entry with when the manager recorded it (epoch ms; null when the entry does not say) */
export interface LogEntry {
  message: DialogMessage;
  recorded_at: number | null;
}

/** the value of field `name` of a stream entry ([name, value, name, value, …]) */
function field(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

export function recordedAt(fields: string[]): number | null {
  const raw = field(fields, "t");
  const n = raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(n) ? n : null;
}

export function parseEntry(fields: string[]): DialogMessage {
  const raw = field(fields, "m");
  if (raw === undefined) throw new Error("log entry without a message");
  return DialogMessageSchema.parse(JSON.parse(raw));
}
