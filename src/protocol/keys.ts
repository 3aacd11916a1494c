/**
 * The one place where Redis key names, queue names, channel names and job ids are spelled.
 *
 * Layout under a prefix P (default "dialogue"):
 *   P:index                       sorted set: conversation id -> created_at (ms; an imported one: its first row's time)
 *   P:imported                    sorted set: imported conversation id -> imported_at (ms): when it was imported (import/stage.ts)
 *   P:active                      set: ids of conversations not yet final (leased by live managers)
 *   P:pools                       set of pool names that have been used (managers attach to their response queues)
 *   P:conv:{ID}:record            hash: the conversation record (protocol/record.ts)
 *   P:conv:{ID}:log               stream: one entry per recorded message, entry id "<seq>-0"
 *   P:conv:{ID}:tokens            stream: token chunks while workers generate, trimmed
 *   P:conv:{ID}:analysis          hash: the stored analysis (analysis/schema.ts) and the judge's verdict
 *   P:conv:{ID}:remarks           list: narrator's remarks waiting for the next turn boundary (JSON)
 *   P:conv:{ID}:material          hash: the run's material chunks, chunk id -> JSON (material/store.ts)
 *   P:conv:{ID}:staging           sorted set: rows of an imported session until it is committed (import/stage.ts)
 *   P:abort                       pub/sub channel: AbortNotice
 *   P:presence                    hash: process id -> its heartbeat report (protocol/presence.ts)
 *   P:checks                      pub/sub channel: CheckRequest (`run --no-spawn` asks the processes that will serve)
 *   P:check:{CHECK}               hash: process id -> its CheckReply, kept a minute
 *   BullMQ queues:                control, prefix "{P}"; requests.<pool> and responses.<pool>, prefix "{P/<pool>}"
 *   {P}:control:de:say.<ID>.<seq> BullMQ's deduplication key: person's turn <seq> has a say (its job id), or
 *                                 its timeout skips it (human.<ID>.<seq>: Queues.claimControl); the first
 *                                 holds it, kept limits.human_turn_seconds plus a day (manager/say.ts)
 *   (before per-pool tags)        requests.<pool> and responses.<pool> under prefix "{P}": read for old runs
 *
 * `{ID}`, `{P}` and `{P/<pool>}` are Redis Cluster hash tags: one conversation's keys share a
 * slot, the control queue has one, and each pool's two queues share one of their own, so queue
 * traffic spreads over the cluster (BullMQ's cluster guidance: a hash-tagged prefix, a different
 * one per group of queues). No command, transaction or script touches keys of two tags.
 */

const SAFE_ID = /^[A-Za-z0-9_.-]{1,120}$/;
const SAFE_PREFIX = /^[A-Za-z0-9_.:-]{1,64}$/;

export const isSafeId = (s: string): boolean => SAFE_ID.test(s);
export const isSafePrefix = (s: string): boolean => SAFE_PREFIX.test(s);
/** the prefix of every key when none is configured (redis.prefix, --prefix, DIALOGUE_PREFIX) */
export const DEFAULT_PREFIX = "dialogue";

export class Keys {
  constructor(readonly prefix: string) {
    if (!isSafePrefix(prefix)) {
      throw new Error(`invalid key prefix "${prefix}": use letters, digits, '_', '.', '-' or ':'`);
    }
  }

  private conv(id: string, part: string): string {
    if (!isSafeId(id)) throw new Error(`invalid conversation id "${id}"`);
    return `${this.prefix}:conv:{${id}}:${part}`;
  }

  index(): string {
    return `${this.prefix}:index`;
  }
  imported(): string {
    return `${this.prefix}:imported`;
  }
  pools(): string {
    return `${this.prefix}:pools`;
  }
  active(): string {
    return `${this.prefix}:active`;
  }
  record(id: string): string {
    return this.conv(id, "record");
  }
  log(id: string): string {
    return this.conv(id, "log");
  }
  tokens(id: string): string {
    return this.conv(id, "tokens");
  }
  analysis(id: string): string {
    return this.conv(id, "analysis");
  }
  remarks(id: string): string {
    return this.conv(id, "remarks");
  }
  material(id: string): string {
    return this.conv(id, "material");
  }
  staging(id: string): string {
    return this.conv(id, "staging");
  }
  /** every key that belongs to one conversation (for purge and storage accounting) */
  conversationKeys(id: string): string[] {
    return [this.record(id), this.log(id), this.tokens(id), this.analysis(id), this.remarks(id), this.material(id), this.staging(id)];
  }
  abortChannel(): string {
    return `${this.prefix}:abort`;
  }
  presence(): string {
    return `${this.prefix}:presence`;
  }
  checksChannel(): string {
    return `${this.prefix}:checks`;
  }
  checkReplies(checkId: string): string {
    if (!isSafeId(checkId)) throw new Error(`invalid check id "${checkId}"`);
    return `${this.prefix}:check:{${checkId}}`;
  }

  /** BullMQ `prefix` option of the control queue */
  controlPrefix(): string {
    return `{${this.prefix}}`;
  }
  /** BullMQ `prefix` option of one pool's request and response queues: a hash tag of the pool's own */
  poolPrefix(pool: string): string {
    if (!isSafeId(pool)) throw new Error(`invalid pool name "${pool}"`);
    return `{${this.prefix}/${pool}}`;
  }
  /** where every queue was before each pool had its own tag: runs recorded then keep their jobs there */
  legacyQueuePrefix(): string {
    return `{${this.prefix}}`;
  }
  /** the BullMQ prefix of a queue, by its name */
  prefixOf(queue: string): string {
    const pool = /^(?:requests|responses)\.(.+)$/.exec(queue)?.[1];
    return pool === undefined ? this.controlPrefix() : this.poolPrefix(pool);
  }
  controlQueue(): string {
    return "control";
  }
  requestQueue(pool: string): string {
    if (!isSafeId(pool)) throw new Error(`invalid pool name "${pool}"`);
    return `requests.${pool}`;
  }
  responseQueue(pool: string): string {
    if (!isSafeId(pool)) throw new Error(`invalid pool name "${pool}"`);
    return `responses.${pool}`;
  }

  /** deterministic job ids: a retried or repeated add is a no-op */
  turnJobId(id: string, seq: number): string {
    return `${id}.${seq}`;
  }
  /** turn `seq` requested again after a request sent ahead for it was refused (that job keeps turnJobId; manager/ahead.ts) */
  reissuedTurnJobId(id: string, seq: number): string {
    return `${id}.${seq}.r`;
  }
  startJobId(id: string): string {
    return `start.${id}`;
  }
  deadlineJobId(id: string): string {
    return `deadline.${id}`;
  }
  finalizeJobId(id: string): string {
    return `finalize.${id}`;
  }
  /** a person's unanswered turn `seq` is skipped by this delayed job */
  humanTimeoutJobId(id: string, seq: number): string {
    return `human.${id}.${seq}`;
  }
  /**
   * the BullMQ deduplication id a person's say for turn `seq` claims: the first say added holds it,
   * and any later one for that turn is not added (manager/say.ts); the turn's timeout claims it too,
   * under its own job id, before it skips the turn (manager/controller.ts humanTimeout)
   */
  sayClaimId(id: string, seq: number): string {
    return `say.${id}.${seq}`;
  }
  /**
   * who holds a person's turn claim (sayClaimId) taken by the run's end — its deadline, a stop —
   * before it records the turn skipped (manager/controller.ts closePersonTurn): a say after it is
   * refused, and the turn's timeout leaves the turn to it. A holder, not a job.
   */
  runEndClaim(id: string): string {
    return `end.${id}`;
  }
  /** stream entry id of message `seq` in the log: XADD with an explicit id makes a repeated write fail */
  logEntryId(seq: number): string {
    return `${seq}-0`;
  }
  messageId(id: string, seq: number): string {
    return `${id}.${seq}`;
  }
}
