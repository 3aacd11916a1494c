/**
 * The conversation controller: everything the manager decides. The record in Redis is the
 * state: the spec (written once) is remembered, and what a step read is kept only to predict the
 * next step, which Redis checks (ahead.ts); every write is idempotent (deterministic job ids,
 * append-once log), so a manager that dies mid-step is replaced by any other and the step is
 * simply run again.
 *
 * Reads: record(ID), log(ID). Writes: record(ID) fields, log(ID) (via Store.appendNext,
 * appendAhead and flushRemarks), a turn's last token chunk in tokens(ID) with its message,
 * remarks(ID), control / requests.<pool> jobs, the abort channel.
 *
 * Who speaks next is decided in turn-order.ts and the turn begun in next-turn.ts; what people
 * say (a person's turn, a narrator's remark) arrives as `say` control jobs and is recorded here.
 */
import { UnrecoverableError, type Job } from "bullmq";
import { LoopDetector, loopLookback } from "../analysis/repetition.js";
import type { ProviderRegistry } from "../llm/index.js";
import { withRetries, type RetryPolicy } from "../llm/retry.js";
import { generateStructured } from "../llm/structured.js";
import type { LlmProvider } from "../llm/types.js";
import { Watchdog } from "../llm/watchdog.js";
import { DEFAULT_TIMEOUTS } from "../config/schema.js";
import type { Logger } from "../logger.js";
import { isFinal, turnOf, turnsTaken, type ConversationRecord, type ConversationSpec, type ManagerRetry, type StopReason } from "../protocol/record.js";
import {
  ControlJobSchema,
  NARRATOR_ID,
  personasSchemaFor,
  StoryContentSchema,
  transcriptCastSchemaFor,
  TurnResponseSchema,
  type ControlJob,
  type DialogMessage,
  type FailedAttempt,
} from "../protocol/schemas.js";
import type { Queues } from "../queues/index.js";
import type { Store, Tail } from "../redis/store.js";
import { now } from "../redis/clock.js";
import { hostName } from "../redis/host.js";
import { summarizeZod } from "../worker/turn.js";
import { beginTurn, retryOf, type NextTurnDeps } from "./next-turn.js";
import { Ahead } from "./ahead.js";
import { humanMessage, lostMessage, narratorMessage, skippedMessage } from "./people.js";
import { sayClaimTtlMs } from "./say.js";
import { personasTask, storyTask, transcriptTask, TRANSCRIPT_SAMPLE } from "./prompts.js";
import { generationSeed } from "../llm/seed.js";

/** the manager's options for its `step`-th generation (1 story, 2 personas), attempt `n`: a seed derived from the run's when none is set */
function managerOptions(spec: ConversationSpec, step: number, n: number): ConversationSpec["manager"]["options"] {
  const o = spec.manager.options;
  return o.seed !== undefined || spec.seed === undefined ? o : { ...o, seed: generationSeed(spec.seed, -step, n) };
}

/** how long a stop or deadline waits for the turn in flight to come back cut before ending anyway */
export const STOP_GRACE_MS = 10_000;
/** how long a person's turn whose timeout (or the run's end) found a say queued for it waits before the timeout (or the end) looks again */
export const SAY_RECHECK_MS = 2_000;
/** specs a controller remembers (see specOf) */
const MAX_SPECS = 1000;

/** the run was stopped before the manager began its story or personas, or while it waited to retry them */
class StoppedWhilePreparing extends Error {
  constructor() {
    super("stopped while the manager waited to retry");
  }
}

export class Controller {
  private readonly specs = new Map<string, ConversationSpec>();
  /** conversations this manager has handled a job of: kept in the active set (so they are leased) */
  private readonly seen = new Set<string>();
  /** per conversation: the loop stop's detector (what it keeps is worked out from the log, so any manager can rebuild it) */
  private readonly loops = new Map<string, LoopDetector>();
  /** what each conversation's last step read, to request the next turn ahead (ahead.ts) */
  private readonly ahead = new Ahead();

  constructor(
    private readonly store: Store,
    private readonly queues: Queues,
    private readonly providers: ProviderRegistry,
    private readonly log: Logger,
  ) {}

  async onControl(job: Job): Promise<unknown> {
    const parsed = ControlJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid control job: ${summarizeZod(parsed.error)}`);
    const c = parsed.data;
    this.touch(c.conversation_id);
    switch (c.type) {
      case "start":
        return this.start(c.conversation_id);
      case "deadline":
        return this.deadline(c.conversation_id);
      case "finalize":
        return this.finalizeAfterGrace(c.conversation_id, c.reason);
      case "say":
        return this.say(c);
      case "human_timeout":
        return this.humanTimeout(c.conversation_id, c.seq);
    }
  }

  private get turnDeps(): NextTurnDeps {
    return { store: this.store, queues: this.queues, log: this.log, managerModel: (rec) => this.managerModel(rec.spec).provider };
  }

  /** a conversation this manager works on is in the active set, so live managers keep it leased */
  private touch(id: string): void {
    if (this.seen.has(id)) return;
    this.seen.add(id);
    if (this.seen.size > MAX_SPECS) this.seen.delete(this.seen.values().next().value as string);
    this.store.markActive(id).catch(() => this.seen.delete(id));
  }

  /** the manager's own generations (story, personas): watched for stalls, retried as turns are */
  private managerModel(spec: ConversationSpec): { provider: Pick<LlmProvider, "generate">; policy: RetryPolicy } {
    const m = spec.manager;
    // the run's own retry settings (managers serve each other's runs)
    const s = retryOf(spec.config, this.queues.settings);
    return {
      provider: new Watchdog(this.providers.get(m.provider), m.timeouts ?? { ...DEFAULT_TIMEOUTS }, `${m.provider}/${m.model}`),
      policy: { budget_ms: s.retry_budget_ms, max_attempts: s.attempts, backoff_ms: s.backoff_ms, backoff_max_ms: s.backoff_max_ms, deadline_at: Number.POSITIVE_INFINITY },
    };
  }

  private async load(id: string): Promise<ConversationRecord> {
    const rec = await this.store.get(id);
    if (!rec) throw new UnrecoverableError(`unknown conversation ${id}`);
    return rec;
  }

  /** story, personas, then the first turn; each step skipped if a previous manager already did it */
  async start(id: string): Promise<string> {
    let rec = await this.load(id);
    if (isFinal(rec.status)) return `already ${rec.status}`;
    const spec = rec.spec;
    const { provider, policy } = this.managerModel(spec);
    // each failed attempt is on the record (manager_retry) while it retries, for the views to show;
    // a stop meanwhile ends the wait (the run then ends stopped, with no story or personas)
    let phase = "story";
    const onFailure = async (f: FailedAttempt): Promise<void> => {
      this.log.warn({ conversation: id, cause: f.cause, err: f.error }, "the manager's model failed; retrying");
      const retry: ManagerRetry = { phase, attempt: f.attempt, cause: f.cause, error: f.error, wait_ms: f.wait_ms, at: f.at, by: { host: hostName(), pid: process.pid } };
      await this.store.setFields(id, { manager_retry: JSON.stringify(retry) }).catch(() => undefined);
    };
    const wait = async (ms: number): Promise<void> => {
      for (const end = Date.now() + ms; Date.now() < end; ) {
        await new Promise((r) => setTimeout(r, Math.min(250, end - Date.now())));
        const status = await this.store.status(id);
        if (status === "stopping" || (status !== null && isFinal(status))) throw new StoppedWhilePreparing();
      }
    };
    try {
      if (!rec.story && spec.source?.kind === "continue") {
        // a run that carries on another conversation: the story and personas are read from its transcript
        if (!(await this.store.prepare(id, "story"))) throw new StoppedWhilePreparing();
        const half = TRANSCRIPT_SAMPLE / 2;
        const sample = [...(await this.store.readLog(id, 1, undefined, half)), ...(await this.store.lastMessages(id, half))];
        const { task, messages } = transcriptTask(spec, sample);
        const schema = transcriptCastSchemaFor(spec.agents.map((a) => a.id));
        const { value } = await withRetries(policy, spec.manager, (n) =>
          generateStructured(provider, schema, { model: spec.manager.model, options: managerOptions(spec, 1, n), task, messages }), onFailure, wait);
        const byId = new Map(value.personas.map((p) => [p.agent_id, p]));
        await this.store.setStoryAndPersonas(id, value.story, spec.agents.map((a) => byId.get(a.id)!));
        await this.store.setFields(id, { manager_retry: "" });
        rec = await this.load(id);
      }
      if (!rec.story) {
        if (!(await this.store.prepare(id, "story"))) throw new StoppedWhilePreparing();
        const { task, messages } = storyTask(spec);
        const { value } = await withRetries(policy, spec.manager, (n) =>
          generateStructured(provider, StoryContentSchema, { model: spec.manager.model, options: managerOptions(spec, 1, n), task, messages }), onFailure, wait);
        await this.store.setStory(id, value);
        await this.store.setFields(id, { manager_retry: "" });
        rec = await this.load(id);
      }
      if (rec.status === "stopping") return this.end(id, rec.stop_reason ?? "user_stop");
      if (!rec.personas && rec.story) {
        if (!(await this.store.prepare(id, "personas"))) throw new StoppedWhilePreparing();
        phase = "personas";
        const { task, messages } = personasTask(spec, rec.story);
        const schema = personasSchemaFor(spec.agents.map((a) => a.id));
        const { value } = await withRetries(policy, spec.manager, (n) =>
          generateStructured(provider, schema, { model: spec.manager.model, options: managerOptions(spec, 2, n), task, messages }), onFailure, wait);
        // kept in the agents' order, each naming its agent
        const byId = new Map(value.personas.map((p) => [p.agent_id, p]));
        await this.store.setPersonas(id, spec.agents.map((a) => byId.get(a.id)!));
        await this.store.setFields(id, { manager_retry: "" });
        rec = await this.load(id);
      }
    } catch (err) {
      if (err instanceof StoppedWhilePreparing) {
        const now = await this.load(id);
        if (isFinal(now.status)) return `already ${now.status}`;
        // stopped while it was prepared; any other status: another manager took it on (it began the run)
        return now.status === "stopping" ? this.end(id, now.stop_reason ?? "user_stop") : `already ${now.status}`;
      }
      const reason = err instanceof Error ? err.message : String(err);
      // which manager: with several running (on other hosts, with other settings), the one whose model failed
      await this.store.finalize(id, "error", `the manager on ${hostName()} (pid ${process.pid}) could not write the ${rec.story ? "personas" : "story"}: ${reason}`);
      throw new UnrecoverableError(reason);
    }
    // a run stopped (and ended) while its story or personas were written stays as it is
    if (isFinal(rec.status)) return `already ${rec.status}`;
    if (rec.status === "stopping") return this.end(id, rec.stop_reason ?? "user_stop");
    if (rec.started_at === null) {
      const at = now();
      const deadline = at + Math.round(spec.limits.duration_seconds * 1000);
      // only a run still being prepared begins: a stop that came meanwhile is kept
      const begun = await this.store.begin(id, at, deadline);
      if (begun === "stopping") return this.end(id, (await this.load(id)).stop_reason ?? "user_stop");
      if (begun !== "ok") return `already ${begun}`;
      await this.queues.addControl({ type: "deadline", conversation_id: id }, this.store.keys.deadlineJobId(id), deadline - at);
      rec = await this.load(id);
    }
    // a continued run's log starts with the history it carries on (not turns of its own); a remark
    // said while the story was written comes before the first turn (none is in flight to wait for)
    if (turnsTaken(rec) === 0) {
      if ((rec.pending_seq === null || rec.pending_seq <= rec.turns) && (await this.flushRemarks(rec)) > 0) rec = await this.load(id);
      const recent = rec.turns === 0 ? [] : await this.store.lastMessages(id, this.recentCount(spec));
      const choice = await beginTurn(this.turnDeps, rec, rec.turns + 1, recent);
      this.ahead.remember({ ...rec, next_choice: choice }, recent);
    }
    return "started";
  }

  /** is turn `pending_seq` a person's, still unanswered? (a model's turn comes back cut; a person's never does) */
  private awaitingPerson(rec: ConversationRecord): boolean {
    const c = rec.next_choice;
    return c !== null && c.seq === rec.pending_seq && c.seq > rec.turns && rec.spec.agents.find((a) => a.id === c.agent_id)?.kind === "human";
  }

  private async deadline(id: string): Promise<string> {
    const rec = await this.load(id);
    if (isFinal(rec.status)) return `already ${rec.status}`;
    const inFlight = rec.pending_seq !== null && rec.pending_seq > rec.turns;
    if (!inFlight) return this.end(id, "duration");
    // a person's turn still open: recorded skipped (the run's time ran out), unless an answer is queued for it
    if (this.awaitingPerson(rec)) {
      // (a stop already under way keeps its own reason: the turn's note says what ended it)
      const why: StopReason = rec.status === "stopping" ? (rec.stop_reason ?? "duration") : "duration";
      return (await this.closePersonTurn(rec, why)) ? "stopping: the person's answer is queued" : this.end(id, why);
    }
    await this.store.markStopping(id, "duration");
    await this.abort(id, "duration");
    await this.queues.addControl(
      { type: "finalize", conversation_id: id, reason: "duration" },
      this.store.keys.finalizeJobId(id),
      STOP_GRACE_MS,
    );
    return "stopping";
  }

  async abort(id: string, reason: string): Promise<void> {
    await this.store.redis.publish(this.store.keys.abortChannel(), JSON.stringify({ conversation_id: id, reason }));
  }

  /** whether a worker ever took turn `seq`'s request up (null: its job is not found) */
  private async requestTaken(rec: ConversationRecord, seq: number): Promise<boolean | null> {
    const pool = rec.spec.agents.find((a) => a.id === rec.next_choice?.agent_id)?.pool;
    if (!pool) return null;
    const k = this.store.keys;
    for (const jobId of [k.reissuedTurnJobId(rec.spec.id, seq), k.turnJobId(rec.spec.id, seq)]) {
      const job = await this.queues.requests(pool).getJob(jobId);
      if (job) return (job.attemptsStarted ?? 0) > 0 || (await job.getState()) === "active";
    }
    return null;
  }

  /**
   * the stop's grace is over: a model's turn still in flight never came back (its worker was lost,
   * and no other of its pool took it up) — it is recorded failed, so the run does not end as if it
   * had been answered — and a person's turn still open is recorded skipped; then the run ends
   */
  private async finalizeAfterGrace(id: string, reason: StopReason): Promise<string> {
    const rec = await this.load(id);
    if (isFinal(rec.status)) return `already ${rec.status}`;
    const choice = rec.next_choice;
    const inFlight = choice !== null && rec.pending_seq === choice.seq && choice.seq > rec.turns;
    if (inFlight && this.awaitingPerson(rec)) {
      if (await this.closePersonTurn(rec, reason)) return "stopping: the person's answer is queued";
    } else if (inFlight) {
      const msg = lostMessage(rec, choice, reason, now(), await this.requestTaken(rec, choice.seq).catch(() => null));
      const appended = await this.store.appendNext(msg);
      if (appended.result === "added") this.log.warn({ conversation: id, seq: choice.seq, agent: choice.agent_id }, "a turn never came back: recorded failed");
    }
    return this.end(id, reason);
  }

  /**
   * The run ends (`reason`: its deadline, a stop) while a person's turn is open: the turn is
   * recorded skipped, saying so, once the turn's claim is the end's (Keys.runEndClaim; as
   * humanTimeout claims it), so a say after it is refused — by any manager, once: the append is
   * once per turn, and a manager that takes the job over finds the claim already its own. A say
   * (or the turn's timeout) that holds the claim already and is still to run is left to record the
   * turn: the run is marked stopping and its end looked at again shortly (a finalize job), and the
   * turn, once recorded, ends the run (afterRecorded). Returns true when the end waits for it.
   */
  private async closePersonTurn(rec: ConversationRecord, reason: StopReason): Promise<boolean> {
    const id = rec.spec.id;
    const choice = rec.next_choice;
    if (!choice) return false;
    const held = await this.queues.claimControl(this.store.keys.sayClaimId(id, choice.seq), this.store.keys.runEndClaim(id), sayClaimTtlMs(rec));
    if (held !== null) {
      // (a read that fails fails this attempt, which is tried again: a say queued must not be taken for gone)
      const holder = await this.queues.controlJob(held);
      if (holder && !holder.finishedOn) {
        await this.store.markStopping(id, reason);
        await this.queues.addControl({ type: "finalize", conversation_id: id, reason }, `${this.store.keys.finalizeJobId(id)}.${Date.now()}`, SAY_RECHECK_MS);
        return true;
      }
    }
    const appended = await this.store.appendNext(skippedMessage(rec, choice, now(), reason));
    if (appended.result === "added") this.log.info({ conversation: id, seq: choice.seq, agent: choice.agent_id, reason }, "a person's turn was open when the run ended: recorded skipped");
    return false;
  }

  private async end(id: string, reason: StopReason, error: string | null = null): Promise<string> {
    // remarks said before the end are part of the record (when no turn is in flight to take their place)
    const rec = await this.store.get(id);
    if (rec && !isFinal(rec.status) && (rec.pending_seq === null || rec.pending_seq <= rec.turns)) await this.flushRemarks(rec);
    await this.store.finalize(id, reason, error);
    this.ahead.forget(id);
    // the deadline job of a run that ended before its deadline has nothing left to do
    if (reason !== "duration") await this.queues.removeControl(this.store.keys.deadlineJobId(id)).catch(() => undefined);
    this.log.info({ conversation: id, reason }, "conversation ended");
    return `ended: ${reason}`;
  }

  /** a conversation's spec: written once when it is created, so remembered once read */
  private async specOf(id: string): Promise<ConversationSpec> {
    const hit = this.specs.get(id);
    if (hit) return hit;
    const { spec } = await this.load(id);
    this.specs.set(id, spec);
    if (this.specs.size > MAX_SPECS) this.specs.delete(this.specs.keys().next().value as string);
    return spec;
  }

  /** the latest messages the next steps need: the loop check's, the turn order's and the history's */
  private recentCount(spec: ConversationSpec): number {
    const l = spec.limits;
    return Math.max(l.history_turns, l.stop_on_loop ? loopLookback(l) : 0, 12, 2 * spec.agents.length);
  }

  async onResponse(job: Job): Promise<string> {
    const parsed = TurnResponseSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid turn response: ${summarizeZod(parsed.error)}`);
    const res = parsed.data;
    const id = res.ok ? res.message.metadata.conversation_id : res.conversation_id;
    const seq = res.ok ? res.message.metadata.sequence_number : res.sequence_number;
    const from = res.ok ? res.message.metadata.agent_id : res.agent_id;
    this.touch(id);
    const spec = this.specs.get(id) ?? (await this.specOf(id));
    if (!spec.agents.some((a) => a.id === from && a.kind === "model")) throw new UnrecoverableError(`turn ${seq} comes from "${from}", who is not a model agent of ${id}`);
    const early = (turns: number) => new UnrecoverableError(`turn ${seq} arrived before turn ${turns + 1}`);
    const wrong = () => new UnrecoverableError(`turn ${seq} was not ${from}'s to take (see the record's next_choice)`);

    if (!res.ok) {
      // the failed turn is recorded like any other (so every view counts it), then the run ends:
      // its model (and fallback) kept failing for as long as the retry policy allows
      const appended = res.message ? await this.store.appendNext(res.message) : null;
      const rec = await this.load(id);
      if (appended?.result === "wrong_speaker") throw wrong();
      if (appended?.result === "early" || seq > rec.turns + 1) throw early(rec.turns);
      if (isFinal(rec.status)) return `ignored: conversation is ${rec.status}`;
      if (rec.status === "stopping") return this.end(id, rec.stop_reason ?? "user_stop");
      return this.end(id, "error", `turn ${seq} (${from}) failed: ${res.error}`);
    }
    // The message is recorded if it is the next one and its speaker's (a turn that finishes after
    // the run ended is still kept: it is what the model produced). When the manager can tell what
    // the append will find, the next turn is chosen now and its request goes in the same write,
    // behind the append (ahead.ts): the append's script writes that choice if the record is as
    // predicted, and then nothing needs reading.
    const n = this.recentCount(spec);
    // the turn's last token chunk, which came with the response: written with the message, when it is appended
    const tail = res.tail ? { chunk: res.tail, maxlen: spec.token_stream_maxlen } : undefined;
    const plan = this.ahead.plan(this.turnDeps, res.message, n, (r, m, recent) => this.stopReason(r, m, this.looping(r, m, recent)) !== null);
    if (plan) {
      const { appended, chosen } = await this.store.appendAhead(res.message, { choice: plan.choice, expect: plan.expect, send: () => this.queues.addRequest(plan.request) }, tail);
      if (appended.result === "wrong_speaker") throw wrong();
      if (appended.result === "early") throw early(appended.turns);
      const done = appended.result === "added" ? "recorded" : "already recorded";
      if (chosen && appended.status === "running") {
        this.ahead.remember(plan.after, plan.latest);
        return `${done}; turn ${seq + 1} requested ahead`;
      }
      // not as predicted: read, and carry on as without it
      const [rec, recent, remarks] = await this.store.readAfterAppend(id, n);
      if (!rec) throw new UnrecoverableError(`unknown conversation ${id}`);
      this.ahead.remember(rec, recent);
      if (appended.status && isFinal(appended.status)) return `recorded after the end (${appended.status})`;
      await this.afterRecorded(rec, res.message, recent, remarks);
      return done;
    }
    // Otherwise the record as it is now, the latest messages (for the loop check, the turn order
    // and the next turn) and how many narrator's remarks wait are read behind the append: four
    // commands in one write, which Redis runs in this order.
    const { appended, rec, recent, remarks } = await this.appendAndRead(res.message, spec, tail);
    if (appended.result === "wrong_speaker") throw wrong();
    if (appended.result === "early") throw early(appended.turns);
    this.ahead.remember(rec, recent);
    if (appended.status && isFinal(appended.status)) return `recorded after the end (${appended.status})`;
    await this.afterRecorded(rec, res.message, recent, remarks);
    return appended.result === "added" ? "recorded" : "already recorded";
  }

  /**
   * Records `msg` if it is the next message, and reads the record, the latest messages and how
   * many remarks wait, as they are after it: one round trip (Store.appendAndRead).
   */
  private async appendAndRead(msg: DialogMessage, spec: ConversationSpec, tail?: Tail) {
    const { appended, rec, recent, remarks } = await this.store.appendAndRead(msg, this.recentCount(spec), tail);
    if (!rec) throw new UnrecoverableError(`unknown conversation ${spec.id}`);
    return { appended, rec, recent, remarks };
  }

  /**
   * What follows a recorded turn (a model's, a person's, a skipped one): the run ends if a limit
   * says so; otherwise the waiting remarks are recorded, and the next turn begins — once, by
   * whichever manager recorded the turn that came last. `remarks`: how many were waiting, read
   * with the record (when none were, no round trip goes to look again; one said since then is
   * recorded at the next boundary).
   */
  private async afterRecorded(rec: ConversationRecord, msg: DialogMessage, recent: readonly DialogMessage[], remarks: number): Promise<string> {
    const id = rec.spec.id;
    const seq = msg.metadata.sequence_number;
    const reason = this.stopReason(rec, msg, this.looping(rec, msg, recent));
    if (reason) return this.end(id, reason);
    if (seq !== rec.turns) return "recorded (not the latest)";
    const flushed = remarks > 0 ? await this.flushRemarks(rec) : 0;
    const current = flushed > 0 ? await this.load(id) : rec;
    const latest = flushed > 0 ? await this.store.lastMessages(id, this.recentCount(rec.spec)) : recent;
    const choice = await beginTurn(this.turnDeps, current, current.turns + 1, latest);
    this.ahead.remember({ ...current, next_choice: choice }, latest);
    return "next turn begun";
  }

  /** the narrator's remarks waiting in the list become the next messages (each once) */
  private async flushRemarks(rec: ConversationRecord): Promise<number> {
    return this.store.flushRemarks(rec.spec.id, (r, seq) => narratorMessage(rec, seq, { text: r.text, said_at: r.said_at, via: r.via }));
  }

  /** what a person said: their turn, when it is theirs; a narrator's remark, at the next turn boundary */
  private async say(c: Extract<ControlJob, { type: "say" }>): Promise<string> {
    const id = c.conversation_id;
    const rec = await this.load(id);
    if (isFinal(rec.status)) return `ignored: conversation is ${rec.status}`;
    if (c.as === NARRATOR_ID) {
      // recorded at the next turn boundary (afterRecorded), so it never takes the place of a turn in flight
      await this.store.addRemark(id, { nonce: `${c.said_at}-${Math.random().toString(36).slice(2, 10)}`, text: c.text, said_at: c.said_at, via: c.via });
      return "remark queued";
    }
    const choice = rec.next_choice;
    // a say for a turn that is no longer waiting is not taken for a later turn of the same person
    if (c.seq !== undefined && choice?.seq !== c.seq) {
      throw new UnrecoverableError(`${c.as}'s turn ${turnOf(c.seq, rec)} in ${id} is no longer waiting (answered or skipped)`);
    }
    if (!choice || !this.awaitingPerson(rec) || choice.agent_id !== c.as) {
      throw new UnrecoverableError(`it is not ${c.as}'s turn in ${id}${choice ? ` (turn ${turnOf(choice.seq, rec)} is ${choice.agent_id}'s)` : ""}`);
    }
    const msg = humanMessage(rec, choice, { text: c.text, said_at: c.said_at });
    const { appended, rec: after, recent, remarks } = await this.appendAndRead(msg, rec.spec);
    if (appended.result !== "added") return `not recorded (${appended.result})`;
    await this.queues.removeControl(this.store.keys.humanTimeoutJobId(id, choice.seq)).catch(() => undefined);
    return this.afterRecorded(after, msg, recent, remarks);
  }

  /**
   * a person's turn still unanswered: skipped, with the reason, and the conversation goes on —
   * once the turn's claim is this timeout's (a say that claimed it first is left to be recorded)
   */
  private async humanTimeout(id: string, seq: number): Promise<string> {
    const rec = await this.load(id);
    if (isFinal(rec.status)) return `already ${rec.status}`;
    const choice = rec.next_choice;
    if (!choice || choice.seq !== seq || rec.turns >= seq) return "answered in time";
    // the turn is claimed as a say claims it (manager/say.ts): a say that holds it already is
    // recorded, so the turn is left to it; once claimed here, a later say is refused
    const held = await this.queues.claimControl(this.store.keys.sayClaimId(id, seq), this.store.keys.humanTimeoutJobId(id, seq), sayClaimTtlMs(rec));
    // the run's end claimed it: the end records the turn skipped, saying why (closePersonTurn) — done
    // here too, so a run whose end job failed for good after its claim still ends (the append is once per turn)
    if (held === this.store.keys.runEndClaim(id)) return this.finalizeAfterGrace(id, rec.status === "stopping" ? (rec.stop_reason ?? "duration") : "duration");
    if (held !== null) {
      // (a read that fails fails this attempt, which is tried again: a say queued must not be taken for gone)
      const said = await this.queues.controlJob(held);
      // a say that is gone, or that ended without being recorded, leaves the turn unanswered: it is skipped all the same
      if (said && !said.finishedOn) {
        // looked at again shortly: a say that then fails for good (or goes) leaves the turn to be
        // skipped, rather than waiting with it until the run's limits end the run
        await this.queues.addControl({ type: "human_timeout", conversation_id: id, seq }, `${this.store.keys.humanTimeoutJobId(id, seq)}.${Date.now()}`, SAY_RECHECK_MS);
        return "answered in time (its answer is queued; looked at again)";
      }
    }
    const msg = skippedMessage(rec, choice, now());
    const { appended, rec: after, recent, remarks } = await this.appendAndRead(msg, rec.spec);
    if (appended.result !== "added") return "answered in time";
    this.log.info({ conversation: id, seq, agent: choice.agent_id }, "a person's turn was skipped");
    return this.afterRecorded(after, msg, recent, remarks);
  }

  /**
   * with stop_on_loop: is the speaker of `msg` repeating itself (the analysis' repetition
   * detector)? `latest`: the log's latest messages, at least loopLookback of them when there are
   */
  private looping(rec: ConversationRecord, msg: DialogMessage, latest: readonly DialogMessage[]): boolean {
    const limits = rec.spec.limits;
    if (!limits.stop_on_loop || msg.cut || msg.metadata.source !== "model" || rec.status === "stopping") return false;
    const recent = latest
      .slice(-loopLookback(limits))
      .filter((m) => m.metadata.sequence_number <= msg.metadata.sequence_number && m.metadata.source !== "narrator")
      .map((m) => ({ speaker: m.metadata.agent_id, text: m.content.message, key: m }));
    const id = rec.spec.id;
    let detector = this.loops.get(id);
    if (!detector) {
      this.loops.set(id, (detector = new LoopDetector()));
      if (this.loops.size > MAX_SPECS) this.loops.delete(this.loops.keys().next().value as string);
    }
    return detector.isLooping(recent, msg.metadata.agent_id, limits);
  }

  private stopReason(rec: ConversationRecord, msg: DialogMessage, looping: boolean): StopReason | null {
    const limits = rec.spec.limits;
    if (rec.status === "stopping") return rec.stop_reason ?? "user_stop";
    if (msg.cut) return rec.stop_reason ?? "duration";
    if (msg.content.end_conversation) return "agent_ended";
    if (looping) return "loop";
    // a narrator's remarks and a continued run's history are messages, not turns
    if (turnsTaken(rec) >= limits.max_turns) return "max_turns";
    if (limits.max_total_tokens !== null && rec.tokens_total >= limits.max_total_tokens) return "token_budget";
    if (rec.deadline_at !== null && now() >= rec.deadline_at) return "duration";
    return null;
  }
}
