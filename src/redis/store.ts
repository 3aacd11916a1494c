/**
 * The conversation store: every read and write of conversation data goes through here.
 *
 * Reads/writes (keys from protocol/keys.ts):
 *   record(ID)  hash   fields: spec, status, phase, stop_reason, error, story, personas,
 *                      started_at, deadline_at, ended_at, turns, tokens_total, pending_seq,
 *                      failed_turns, cut_turns, stalled_turns, retried_turns, ok_turns, lease_until,
 *                      renewed_at (a live manager's last renewal), watched_until (a --no-spawn launcher's, see watch)
 *   log(ID)     stream entry "<seq>-0" { m: DialogMessage JSON, t: epoch ms recorded }   (append-once, see appendMessage)
 *   tokens(ID)  stream { s, a, g, x, n, t: a TokenChunk, field by field (protocol/token-entry.ts) }, trimmed with MAXLEN ~
 *               (written by the workers; a turn's last chunk comes with its response, and is written with its message)
 *   remarks(ID) list   narrator's remarks (JSON) waiting for the next turn boundary (see flushRemarks)
 *   index       zset   ID -> created_at
 *   imported    zset   ID -> imported_at, for imported conversations (read here; written by import/stage.ts)
 *   active      set    IDs of conversations not yet final (the ones live managers keep leased)
 * Returns parsed, validated objects; a record that fails to parse is reported, never trusted.
 */
import { inOneWrite, type RedisClient } from "./cluster.js";
import { tokenEntryFields } from "../protocol/token-entry.js";
import {
  ConversationRecordSchema,
  ConversationSpecSchema,
  isFinal,
  ManagerRetrySchema,
  NextChoiceSchema,
  StatusSchema,
  type ManagerRetry,
  type NextChoice,
  type ConversationRecord,
  type ConversationSpec,
  type Status,
  type StopReason,
} from "../protocol/record.js";
import {
  DialogMessageSchema,
  MAX_TEXT,
  PersonaSchema,
  StoryContentSchema,
  type DialogMessage,
  type Persona,
  type StoryContent,
  type TokenChunk,
  type TokenTail,
} from "../protocol/schemas.js";
import { Keys } from "../protocol/keys.js";
import { z } from "zod";
import { ParseMemo } from "./parse-memo.js";
import { now } from "./clock.js";
import { runScript, runScriptOr } from "./run-script.js";
import { ABANDON_LUA, APPEND_AHEAD_LUA, APPEND_LUA, APPEND_NEXT_LUA, FINALIZE_LUA, REMARK_LUA, RENEW_LUA, STOP_PENDING_LUA, STOPPING_LUA, WATCH_LUA, WHILE_PREPARING_LUA } from "./scripts.js";

export function statusFor(reason: StopReason): Status {
  if (reason === "user_stop") return "stopped";
  if (reason === "error" || reason === "abandoned" || reason === "unserved") return "failed";
  return "completed";
}

/** a message's outcome flags for the append scripts: failed, cut, stalled, retried, ok */
export function outcomeFlags(m: DialogMessage): string {
  const retried = m.metadata.failed_attempts.length > 0 && !m.failed;
  const ok = !m.failed && !m.stalled && m.content.message.trim() !== "";
  return [m.failed, m.cut, m.stalled, retried, ok].map((b) => (b ? "1" : "0")).join("");
}

/** a narrator's remark waiting in the remarks list */
export const RemarkSchema = z
  .object({ nonce: z.string().min(1).max(64), text: z.string().min(1).max(MAX_TEXT), said_at: z.number().int().nonnegative(), via: z.string().max(200) })
  .strict();
export type Remark = z.infer<typeof RemarkSchema>;

const safeJson = (raw: string): unknown => {
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
};

/** conversations whose latest log entries a Store keeps (lastMessages) */
const MAX_TAILS = 256;
const num = (v: string | undefined): number | null => (v === undefined || v === "" ? null : Number(v));
const PersonasSchema = z.array(PersonaSchema);
/** the record's fields that change while a run goes on (the spec, story and personas are written once) */
const RecordStateSchema = ConversationRecordSchema.omit({ spec: true, story: true, personas: true });

/** the record's manager_retry (JSON), or null — also for one that does not read: it only informs the views */
function managerRetryFrom(raw: string | undefined): ManagerRetry | null {
  if (!raw) return null;
  try {
    return ManagerRetrySchema.parse(JSON.parse(raw));
  } catch {
    return null;
  }
}

export class Store {
  readonly keys: Keys;
  /** parsed spec, story, personas and log entries, by their raw JSON (see parse-memo.ts) */
  private readonly memo = {
    spec: new ParseMemo((raw) => ConversationSpecSchema.parse(JSON.parse(raw)), 500),
    story: new ParseMemo((raw) => StoryContentSchema.parse(JSON.parse(raw)), 500),
    personas: new ParseMemo((raw) => PersonasSchema.parse(JSON.parse(raw)), 500),
    message: new ParseMemo((raw) => DialogMessageSchema.parse(JSON.parse(raw)), 2000),
  };
  /** the latest log entries of the conversations lastMessages() read most recently */
  private readonly tails = new Map<string, { last: string; messages: DialogMessage[]; cap: number }>();

  /** how long a lease lasts: a run no live manager renews within it is abandoned (see abandonIfExpired) */
  readonly leaseMs: number;

  /** `leaseMs`: @defaultValue 30000 (queues.lock_duration_ms' default) */
  constructor(
    readonly redis: RedisClient,
    prefix: string,
    opts: { leaseMs?: number } = {},
  ) {
    this.keys = new Keys(prefix);
    this.leaseMs = opts.leaseMs ?? 30_000;
  }

  /**
   * The record, then the index, the pools and the active set: four keys in four hash slots on a
   * cluster, so four commands, not one transaction. The record goes first: an interrupted create
   * leaves at most a record no index lists (never an index entry without its record).
   */
  async create(spec: ConversationSpec): Promise<void> {
    const id = spec.id;
    await this.redis.hset(this.keys.record(id), {
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
      failed_turns: 0,
      cut_turns: 0,
      stalled_turns: 0,
      retried_turns: 0,
      ok_turns: 0,
      // vouched for from the start (by this process's Redis-corrected clock), so no reader can
      // take the new run for abandoned before the lease below is written
      lease_until: now() + 2 * this.leaseMs,
    });
    await Promise.all([
      this.redis.zadd(this.keys.index(), spec.created_at, id),
      this.redis.sadd(this.keys.pools(), ...spec.agents.filter((a) => a.kind !== "human").map((a) => a.pool)),
      this.redis.sadd(this.keys.active(), id),
    ]);
    // the first lease gives a manager time to pick the run up (and a launcher time to start one)
    await this.renewLease(id, 2 * this.leaseMs);
  }


  /**
   * A live manager vouches for a conversation for `ms` more (Redis' clock); returns its status
   * (null: no record). A final one leaves the active set.
   */
  async renewLease(id: string, ms = this.leaseMs): Promise<Status | null> {
    const s = (await runScript(this.redis, RENEW_LUA, 1, this.keys.record(id), String(ms))) as string | null;
    if (s === null) {
      await this.redis.srem(this.keys.active(), id);
      return null;
    }
    const status = StatusSchema.parse(s);
    if (isFinal(status)) await this.redis.srem(this.keys.active(), id);
    return status;
  }

  /** the conversations not yet final (as far as the active set knows) */
  async activeIds(): Promise<string[]> {
    return this.redis.smembers(this.keys.active());
  }

  async markActive(id: string): Promise<void> {
    await this.redis.sadd(this.keys.active(), id);
  }

  /**
   * A live `run --no-spawn` launcher, waiting for a manager, keeps a conversation from being
   * abandoned for `ms` more (a manager started by hand can still take it over; see
   * abandonIfExpired). Returns its status and lease (null: no record); a final one is not touched.
   */
  async watch(id: string, ms: number): Promise<{ status: Status; lease_until: number | null } | null> {
    const r = (await runScript(this.redis, WATCH_LUA, 1, this.keys.record(id), String(ms))) as [string, string] | null;
    if (!r) return null;
    return { status: StatusSchema.parse(r[0]), lease_until: num(r[1]) };
  }

  /**
   * Finalizes a conversation whose lease has run out — no live manager renewed it, so the
   * processes that drove it are gone — and that no live --no-spawn launcher watches (see watch),
   * as failed, stop reason "abandoned", saying who noticed; ended_at is when it last showed life
   * (see ABANDON_LUA). True if it was abandoned now.
   */
  async abandonIfExpired(id: string, noticedBy: string): Promise<boolean> {
    const r = await runScript(this.redis, ABANDON_LUA,
      2,
      this.keys.record(id),
      this.keys.log(id),
      `abandoned: no live manager renewed its lease (the processes that drove it are gone: killed, crashed, or cut off from Redis); noticed by ${noticedBy}`,
    );
    if (r === 1 || r === -1) await this.redis.srem(this.keys.active(), id);
    return r === 1;
  }

  /**
   * When a run going on last showed life, ms on Redis' clock: its manager's latest lease renewal,
   * its start or its latest logged message, whichever is latest, never later than now — what it
   * would end at were it found abandoned now (ABANDON_LUA reckons it the same way). Reads the
   * record's renewed_at, lease_until and started_at and the log's last entry. Null: no record.
   */
  async lastSeen(id: string): Promise<number | null> {
    const [fields, tail] = await Promise.all([
      this.redis.hmget(this.keys.record(id), "renewed_at", "lease_until", "started_at", "spec"),
      this.redis.xrevrange(this.keys.log(id), "+", "-", "COUNT", 1),
    ]);
    const [renewed, lease, started, spec] = fields.map((f) => (f === null || f === "" ? null : f));
    if (spec === null || spec === undefined) return null;
    const at = (f: string | null | undefined): number | null => (f === null || f === undefined || !Number.isFinite(Number(f)) ? null : Number(f));
    const entry = tail[0]?.[1] ?? [];
    const logged = at(entry[entry.indexOf("t") + 1]);
    const last = Math.max(at(renewed) ?? at(lease) ?? 0, at(started) ?? 0, entry.includes("t") ? (logged ?? 0) : 0);
    const t = now();
    return last <= 0 || last > t ? t : last;
  }

  /** where a run's time ends, for its duration: its end, or — going on — its latest sign of life (lastSeen) */
  async endOf(rec: ConversationRecord): Promise<number | null> {
    return rec.ended_at ?? (await this.lastSeen(rec.spec.id));
  }

  async exists(id: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.record(id))) === 1;
  }

  /**
   * The record, or null if there is none; throws if it is there but malformed. Objects in it
   * (spec, story, personas) are frozen and may be shared with other callers.
   */
  async get(id: string): Promise<ConversationRecord | null> {
    return this.recordFrom(await this.redis.hgetall(this.keys.record(id)));
  }

  /** a record from its hash (HGETALL), null for none; throws if it is there but malformed */
  recordFrom(h: Record<string, string>): ConversationRecord | null {
    if (!h.spec) return null;
    const state = RecordStateSchema.parse({
      failed_turns: num(h.failed_turns),
      cut_turns: num(h.cut_turns),
      stalled_turns: num(h.stalled_turns),
      retried_turns: num(h.retried_turns),
      ok_turns: num(h.ok_turns),
      lease_until: num(h.lease_until),
      remarks: num(h.remarks),
      history: num(h.history),
      ahead_declined: num(h.ahead_declined),
      next_choice: h.next_choice ? NextChoiceSchema.parse(JSON.parse(h.next_choice)) : null,
      manager_retry: managerRetryFrom(h.manager_retry),
      status: h.status,
      phase: h.phase || null,
      stop_reason: h.stop_reason || null,
      error: h.error || null,
      started_at: num(h.started_at),
      deadline_at: num(h.deadline_at),
      ended_at: num(h.ended_at),
      turns: num(h.turns) ?? 0,
      tokens_total: num(h.tokens_total) ?? 0,
      pending_seq: num(h.pending_seq),
    });
    return {
      spec: this.memo.spec.get(h.spec),
      ...state,
      story: h.story ? this.memo.story.get(h.story) : null,
      personas: h.personas ? this.memo.personas.get(h.personas) : null,
    };
  }

  /**
   * `rec` as it truly stands: a record that is not final but whose lease ran out is finalized as
   * abandoned first (see abandonIfExpired), and read again.
   */
  async settle(rec: ConversationRecord, noticedBy: string): Promise<ConversationRecord> {
    if (isFinal(rec.status)) return rec;
    if (!(await this.abandonIfExpired(rec.spec.id, noticedBy))) return rec;
    return (await this.get(rec.spec.id)) ?? rec;
  }

  /**
   * What a worker needs for one turn, in one round trip: the record's status (and, unless the
   * caller has them, its spec, story and personas, which never change once written), and log
   * messages up to sequence number `position`, oldest first: the latest `count`, or — `after`
   * given, for a caller that holds the log up to that sequence number — the ones after it (at
   * most `count`). `gate`: the sequence number of a turn requested ahead, whether the record
   * chose it ahead is read too (`chosen`; see turnGate).
   */
  async turnSnapshot(
    id: string,
    position: number,
    count: number,
    statics: boolean,
    after: number | null = null,
    gate: number | null = null,
  ): Promise<{ status: Status | null; chosen: boolean; spec: ConversationSpec | null; story: StoryContent | null; personas: Persona[] | null; messages: DialogMessage[] }> {
    const fields = [...(statics ? ["status", "spec", "story", "personas"] : ["status"]), ...(gate === null ? [] : ["next_seq", "next_job"])];
    const log = this.keys.log(id);
    const pipe = this.redis.pipeline();
    pipe.hmget(this.keys.record(id), ...fields);
    if (position > 0 && count > 0) {
      if (after === null) pipe.xrevrange(log, this.keys.logEntryId(position), "-", "COUNT", count);
      else if (after < position) pipe.xrange(log, `(${this.keys.logEntryId(after)}`, this.keys.logEntryId(position), "COUNT", count);
    }
    const res = (await pipe.exec()) ?? [];
    for (const [err] of res) if (err) throw err;
    const got = (res[0]?.[1] ?? []) as Array<string | null>;
    const [status, spec, story, personas] = statics ? got : [got[0], null, null, null];
    const [nextSeq, nextJob] = got.slice(statics ? 4 : 1);
    const read = (res[1]?.[1] ?? []) as Array<[string, string[]]>;
    const entries = after === null ? read.reverse() : read;
    return {
      status: status ? StatusSchema.parse(status) : null,
      chosen: gate !== null && chosenAhead(nextSeq, nextJob, gate),
      spec: spec ? this.memo.spec.get(spec) : null,
      story: story ? this.memo.story.get(story) : null,
      personas: personas ? this.memo.personas.get(personas) : null,
      messages: entries.map(([, f]) => this.memo.message.get(entryMessage(f))),
    };
  }

  /**
   * `msg` (validated) as its log entry will read, once the manager appends it: a worker's own
   * message, so following the log does not parse it again (the manager writes the JSON of the
   * same validated message, which is this string)
   */
  rememberMessage(msg: DialogMessage): void {
    this.memo.message.set(JSON.stringify(msg), msg);
  }

  /** log entries (as XRANGE and XREAD give them) as messages, oldest first */
  entryMessages(entries: ReadonlyArray<[string, string[]]>): DialogMessage[] {
    return entries.map(([, f]) => this.memo.message.get(entryMessage(f)));
  }

  /**
   * The speaker chosen for turn `choice.seq`, written before that turn is requested (with
   * pending_seq): a replacement manager reads it instead of choosing again, and the append script
   * refuses that turn from anyone else.
   */
  async setNextChoice(id: string, choice: NextChoice): Promise<void> {
    await this.setFields(id, {
      next_choice: JSON.stringify(NextChoiceSchema.parse(choice)),
      next_seq: String(choice.seq),
      next_agent: choice.agent_id,
      pending_seq: choice.seq,
      // not chosen ahead: a request sent ahead for this turn (refused) is skipped by its worker
      next_job: "",
    });
  }

  /** how many narrator's remarks wait for the next turn boundary (a small read the manager sends with its others) */
  async remarksWaiting(id: string): Promise<number> {
    return this.redis.llen(this.keys.remarks(id));
  }

  /** queues a narrator's remark: it becomes the next message at the next turn boundary */
  async addRemark(id: string, remark: Remark): Promise<void> {
    await this.redis.rpush(this.keys.remarks(id), JSON.stringify(RemarkSchema.parse(remark)));
  }

  /**
   * Records the waiting remarks as the conversation's next messages, in order (`build` makes a
   * remark into the message of sequence number `seq`). Each is recorded once, even when two
   * managers flush at once. Returns how many this call recorded.
   */
  async flushRemarks(id: string, build: (r: Remark, seq: number) => DialogMessage): Promise<number> {
    let n = 0;
    for (let guard = 0; guard < 1000; guard++) {
      const raw = await this.redis.lindex(this.keys.remarks(id), 0);
      if (raw === null) break;
      const parsed = RemarkSchema.safeParse(safeJson(raw));
      if (!parsed.success) {
        await this.redis.lrem(this.keys.remarks(id), 1, raw); // what is not a remark is dropped, never recorded
        continue;
      }
      const turns = Number(await this.redis.hget(this.keys.record(id), "turns")) || 0;
      const msg = build(parsed.data, turns + 1);
      const r = await runScript(this.redis, REMARK_LUA, 3, this.keys.log(id), this.keys.record(id), this.keys.remarks(id), ...this.appendArgs(msg).slice(2), raw);
      if (r === 1) n++;
    }
    return n;
  }

  /** the record's status alone (one small read), or null if there is no record */
  async status(id: string): Promise<Status | null> {
    const s = await this.redis.hget(this.keys.record(id), "status");
    return s === null ? null : StatusSchema.parse(s);
  }

  async setFields(id: string, fields: Record<string, string | number>): Promise<void> {
    await this.redis.hset(this.keys.record(id), fields);
  }

  async setStory(id: string, story: StoryContent): Promise<void> {
    await this.setFields(id, { story: JSON.stringify(StoryContentSchema.parse(story)) });
  }

  /** both at once (one HSET): a run whose story and personas come from one answer never has one without the other */
  async setStoryAndPersonas(id: string, story: StoryContent, personas: Persona[]): Promise<void> {
    await this.setFields(id, { story: JSON.stringify(StoryContentSchema.parse(story)), personas: JSON.stringify(z.array(PersonaSchema).parse(personas)) });
  }

  async setPersonas(id: string, personas: Persona[]): Promise<void> {
    await this.setFields(id, { personas: JSON.stringify(z.array(PersonaSchema).parse(personas)) });
  }

  /** true if the message was recorded now, false if it was already there */
  async appendMessage(msg: DialogMessage): Promise<boolean> {
    const r = await runScript(this.redis, APPEND_LUA, 2, ...this.appendArgs(msg));
    return r === 1;
  }

  /**
   * the append scripts' keys and arguments: log, record, the entry id, the message, its tokens, its
   * sequence number, its outcome. `validated`: `msg` is DialogMessageSchema's output already
   */
  private appendArgs(msg: DialogMessage, validated = false): string[] {
    const m = validated ? msg : DialogMessageSchema.parse(msg);
    const id = m.metadata.conversation_id;
    const seq = m.metadata.sequence_number;
    const raw = JSON.stringify(m);
    // what the log will give back for this entry is this very string: parsed already
    this.memo.message.set(raw, m);
    return [this.keys.log(id), this.keys.record(id), this.keys.logEntryId(seq), raw, String(m.metadata.tokens_generated), String(seq), outcomeFlags(m)];
  }

  /**
   * Records `msg` if it is the conversation's next message (or says it is already there): one
   * round trip that also checks the order. The command is sent before this returns a promise.
   */
  async appendNext(msg: DialogMessage, tail?: Tail): Promise<AppendNext> {
    const [log, record, ...args] = this.appendArgs(msg);
    const t = this.tailArgs(msg, tail);
    return appendResult(await runScript(this.redis, APPEND_NEXT_LUA, 2 + t.keys.length, log as string, record as string, ...t.keys, ...args, msg.metadata.agent_id, ...t.argv));
  }

  /** the token stream's key and the chunk's arguments for an append script (TAIL_ADD in scripts.ts): none without a tail */
  private tailArgs(msg: DialogMessage, tail: Tail | undefined): { keys: string[]; argv: string[] } {
    if (!tail || tail.maxlen <= 0) return { keys: [], argv: [] };
    const { conversation_id: id, sequence_number: seq, attempt, agent_id } = msg.metadata;
    return { keys: [this.keys.tokens(id)], argv: [String(tail.maxlen), ...tokenEntryFields({ seq, attempt, agent_id, text: tail.chunk.text, tokens: tail.chunk.tokens, t: tail.chunk.t })] };
  }

  /**
   * appendNext, then — after it, in the order Redis runs them — the record, the latest `n`
   * messages and how many narrator's remarks wait: issued together, in one write on a single
   * connection (inOneWrite). When the append had to go again after the reads (a server that lost
   * its script cache), or the reads overtook it (a cluster's connections), they are read again,
   * so what the caller gets sees the message.
   */
  async appendAndRead(msg: DialogMessage, n: number, tail?: Tail): Promise<{ appended: AppendNext; rec: ConversationRecord | null; recent: DialogMessage[]; remarks: number }> {
    const [appended, [rec, recent, remarks]] = await inOneWrite(this.redis, () => Promise.all([this.appendNext(msg, tail), this.readAfterAppend(msg.metadata.conversation_id, n)]));
    if (appended.result === "added" && (rec?.turns ?? 0) < msg.metadata.sequence_number) {
      const [rec2, recent2, remarks2] = await this.readAfterAppend(msg.metadata.conversation_id, n);
      return { appended, rec: rec2, recent: recent2, remarks: remarks2 };
    }
    return { appended, rec, recent, remarks };
  }

  /** what the manager reads after an append: the record, the latest `n` messages and how many narrator's remarks wait */
  readAfterAppend(id: string, n: number): Promise<readonly [ConversationRecord | null, DialogMessage[], number]> {
    return Promise.all([this.get(id), this.lastMessages(id, n), this.remarksWaiting(id)] as const);
  }

  /**
   * appendNext, and the next turn's choice written ahead if the record is as expected
   * (APPEND_AHEAD_LUA), then — in the same write, so Redis runs it after the script — the next
   * turn's request (`ahead.send`). Nothing is read back: when the choice holds, the record is what
   * the manager predicted.
   *
   * A server that lost its script cache refuses the script's digest (NOSCRIPT) and runs the
   * request anyway; the script then goes again with expectations nothing meets, so it only
   * records the refusal (ahead_declined) and appends: the request, skipped by its worker, is
   * never taken for a choice.
   */
  async appendAhead(msg: DialogMessage, ahead: Ahead, tail?: Tail): Promise<{ appended: AppendNext; chosen: boolean }> {
    // (a turn's response: its message was validated when the response was)
    const id = msg.metadata.conversation_id;
    const choice = JSON.stringify(NextChoiceSchema.parse({ ...ahead.choice, ahead: true }));
    const [log, record, ...args] = this.appendArgs(msg, true);
    const t = this.tailArgs(msg, tail);
    const keys = [log as string, record as string, this.keys.remarks(id), ...t.keys];
    const argv = (expect: Ahead["expect"]) => [...args, msg.metadata.agent_id, choice, String(ahead.choice.seq), ahead.choice.agent_id, String(expect.tokens_total), String(expect.remarks), ...t.argv];
    const [out] = await inOneWrite(this.redis, () =>
      Promise.all([runScriptOr(this.redis, APPEND_AHEAD_LUA, keys.length, [...keys, ...argv(ahead.expect)], [...keys, ...argv({ tokens_total: -1, remarks: -1 })]), ahead.send()]),
    );
    const r = out as [number, string, number, number];
    return { appended: appendResult(r), chosen: r[3] === 1 };
  }

  /** what a worker reads to know whether turn `seq`, requested ahead, goes on: the run's status, and whether the record chose it ahead */
  async turnGate(id: string, seq: number): Promise<{ status: Status | null; chosen: boolean }> {
    const [status, nextSeq, nextJob] = await this.redis.hmget(this.keys.record(id), "status", "next_seq", "next_job");
    return { status: status ? StatusSchema.parse(status) : null, chosen: chosenAhead(nextSeq, nextJob, seq) };
  }

  /**
   * The whole log, oldest first, one XRANGE of `pageSize` entries at a time: memory holds one
   * page, however long the conversation. Each entry comes with when it was recorded (null for
   * entries written before that was kept).
   */
  async *pages<M = DialogMessage>(id: string, pageSize = 1000, parse: (raw: string) => M = parseMessage as (raw: string) => M): AsyncGenerator<LogEntry<M>[]> {
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
      yield entries.map(([, fields]) => ({ message: parse(entryMessage(fields)), recorded_at: recordedAt(fields) }));
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

  /**
   * The last `n` messages, oldest first (frozen; the same objects may go to other callers). The
   * log is append-only, so the latest entries of a conversation read before are kept, and only
   * what was added since is read (one small XRANGE); the command is sent before this returns a
   * promise, so it runs after any command sent just before it on this connection.
   */
  async lastMessages(id: string, n: number): Promise<DialogMessage[]> {
    const key = this.keys.log(id);
    const tail = this.tails.get(id);
    if (tail && n <= tail.cap) {
      const added = await this.redis.xrange(key, `(${tail.last}`, "+", "COUNT", n + 1);
      if (added.length <= n) {
        this.tails.delete(id); // most recently used last
        this.tails.set(id, tail);
        if (added.length > 0) {
          tail.messages = [...tail.messages, ...this.entryMessages(added)].slice(-tail.cap);
          tail.last = (added[added.length - 1] as [string, string[]])[0];
        }
        return tail.messages.slice(-n);
      }
    }
    const entries = (await this.redis.xrevrange(key, "+", "-", "COUNT", n)).reverse();
    const messages = this.entryMessages(entries);
    const last = entries[entries.length - 1]?.[0];
    if (last !== undefined) {
      this.tails.delete(id);
      this.tails.set(id, { last, messages, cap: Math.max(n, tail?.cap ?? 0) });
      if (this.tails.size > MAX_TAILS) this.tails.delete(this.tails.keys().next().value as string);
    }
    return messages;
  }

  async finalize(id: string, reason: StopReason, error: string | null = null): Promise<boolean> {
    const r = await runScript(this.redis, FINALIZE_LUA,
      1,
      this.keys.record(id),
      statusFor(reason),
      reason,
      error ?? "",
    );
    if (r === 1 || r === -1) await this.redis.srem(this.keys.active(), id);
    return r === 1;
  }

  async markStopping(id: string, reason: StopReason): Promise<boolean> {
    return (await runScript(this.redis, STOPPING_LUA, 1, this.keys.record(id), reason)) === 1;
  }

  /** a run no manager has taken up yet ends stopped at once (STOP_PENDING_LUA); true if it did now */
  async stopPending(id: string, reason: StopReason): Promise<boolean> {
    const r = await runScript(this.redis, STOP_PENDING_LUA, 1, this.keys.record(id), reason);
    if (r === 1) await this.redis.srem(this.keys.active(), id);
    return r === 1;
  }

  /** the run's dialogue begins at `at`, to end by `deadline`, only if it is still pending or preparing (WHILE_PREPARING_LUA): "ok", or the status that kept it from beginning */
  async begin(id: string, at: number, deadline: number): Promise<string> {
    return this.whilePreparing(id, { status: "running", phase: "", started_at: at, deadline_at: deadline });
  }

  /** the manager writes the run's `phase` (story, personas) only if it is still pending or preparing (WHILE_PREPARING_LUA); false: stopped meanwhile */
  async prepare(id: string, phase: string): Promise<boolean> {
    return (await this.whilePreparing(id, { status: "preparing", phase })) === "ok";
  }

  private async whilePreparing(id: string, fields: Record<string, string | number>): Promise<string> {
    return String(await runScript(this.redis, WHILE_PREPARING_LUA, 1, this.keys.record(id), ...Object.entries(fields).flatMap(([k, v]) => [k, String(v)])));
  }

  async publishTokens(id: string, chunk: TokenChunk, maxlen: number): Promise<void> {
    if (maxlen <= 0) return;
    await this.redis.xadd(this.keys.tokens(id), "MAXLEN", "~", maxlen, "*", ...tokenEntryFields(chunk));
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

  /** ids of imported conversations imported in [since, until] (epoch ms), newest import first, `count` from `offset` */
  async importedBetween(since: number, until: number, offset: number, count: number): Promise<string[]> {
    const max = Number.isFinite(until) ? String(until) : "+inf";
    const min = Number.isFinite(since) ? String(since) : "-inf";
    return this.redis.zrevrangebyscore(this.keys.imported(), max, min, "LIMIT", offset, count);
  }

  /**
   * ids of conversations imported at or after `since` (epoch ms) whose own time (their index
   * score: the first row's) is before it — the ones idsBetween(since, …) does not find — newest
   * own time first
   */
  async importedSinceDatedBefore(since: number): Promise<string[]> {
    const found: Array<[string, number]> = [];
    for (let offset = 0; ; offset += 500) {
      const ids = await this.importedBetween(since, Number.POSITIVE_INFINITY, offset, 500);
      if (ids.length > 0) {
        const pipe = this.redis.pipeline();
        for (const id of ids) pipe.zscore(this.keys.index(), id);
        const scores = (await pipe.exec()) ?? [];
        ids.forEach((id, i) => {
          const [err, score] = scores[i] ?? [null, null];
          const at = err || score === null ? null : Number(score);
          if (at !== null && at < since) found.push([id, at]);
        });
      }
      if (ids.length < 500) break;
    }
    return found.sort((a, b) => b[1] - a[1]).map(([id]) => id);
  }

  async pools(): Promise<string[]> {
    return this.redis.smembers(this.keys.pools());
  }

  isFinalStatus(s: Status): boolean {
    return isFinal(s);
  }
}

/** given a record's next_seq and next_job: did it choose turn `seq` ahead (APPEND_AHEAD_LUA)? A choice, once made, stays */
export function chosenAhead(nextSeq: string | null | undefined, nextJob: string | null | undefined, seq: number): boolean {
  return nextSeq === String(seq) && nextJob === "ahead";
}

/** the next turn, chosen before the append of the turn before it is known to have gone as expected (manager/ahead.ts) */
export interface Ahead {
  choice: NextChoice;
  /** the record's tokens_total and remarks after the append, as the manager predicts them */
  expect: { tokens_total: number; remarks: number };
  /** sends the next turn's request (issued at once: behind the append, in the same write) */
  send: () => Promise<void>;
}

/** a turn's last token chunk, which came with its response, and its stream's MAXLEN: written with the message when it is appended */
export interface Tail {
  chunk: TokenTail;
  maxlen: number;
}

/** what appendNext did, and the record's status and turns before it */
export interface AppendNext {
  result: "added" | "exists" | "early" | "wrong_speaker" | "missing";
  status: Status | null;
  turns: number;
}

/** a log entry with when the manager recorded it (epoch ms; null when the entry does not say) */
export interface LogEntry<M = DialogMessage> {
  message: M;
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

function entryMessage(fields: string[]): string {
  const raw = field(fields, "m");
  if (raw === undefined) throw new Error("log entry without a message");
  return raw;
}

const parseMessage = (raw: string): DialogMessage => DialogMessageSchema.parse(JSON.parse(raw));

/** APPEND_NEXT_LUA's answer */
function appendResult(out: unknown): AppendNext {
  const [code, status, turns] = out as [number, string, number];
  const result = code === 1 ? "added" : code === 0 ? "exists" : code === -2 ? "early" : code === -3 ? "wrong_speaker" : "missing";
  return { result, status: code === -1 ? null : StatusSchema.parse(status), turns };
}

export function parseEntry(fields: string[]): DialogMessage {
  return parseMessage(entryMessage(fields));
}
