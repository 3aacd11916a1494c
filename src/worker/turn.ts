/**
 * One turn at a worker: parse the request, fit the history into the model's context window,
 * generate with the agent's model while publishing token chunks, validate the structured reply
 * (one repair attempt; then a failed turn that keeps the raw text), and put the message on the
 * pool's response queue.
 *
 * Every attempt that fails — whatever the reason: the server's answer, a stall, a reply that
 * cannot be made into a message — is recorded with its cause (metadata.failed_attempts, and on
 * the job as it goes, so a retry after a crash knows them) and retried as retry.ts says; when the
 * agent's model is done with, its fallback model takes the turn; when that is done with too, a
 * failed turn goes to the manager. A turn never ends without a response, except for a run that
 * has already ended.
 *
 * Reads: the request job; the turn's context before it generates (turn-context.ts: the record's
 *   status, the spec, story and personas once per conversation, the log's tail — or, when the
 *   worker already holds the log up to the turn's position because it follows the conversation,
 *   only the status, read while the turn starts), and the record's status after a generation that
 *   was cut (to skip turns of runs that ended meanwhile).
 * Writes: tokens(ID) stream (all but the last chunk of a turn that answers: its response carries
 *   that, for the manager to write with the message); the job's data (failed attempts so far); one
 *   job on responses.<pool> (job id = conversation.seq, so a retried turn never produces a second response).
 * Returns: a few words on the turn (kept as the request job's return value; the message itself is
 *   in the response job and the log, so a retained request stays small).
 */
import { UnrecoverableError, type Job } from "bullmq";
import type { z } from "zod";
import { ProviderError } from "../errors/index.js";
import type { ProviderRegistry } from "../llm/index.js";
import type { GenerateResult } from "../llm/types.js";
import type { Logger } from "../logger.js";
import { DEFAULT_TIMEOUTS } from "../config/schema.js";
import {
  DialogMessageSchema,
  MAX_FAILED_ATTEMPTS,
  MAX_TEXT,
  TurnRequestSchema,
  type AttemptNotice,
  type DialogMessage,
  type FailedAttempt,
  type ModelSpec,
  type StallTimeouts,
  type TurnRequest,
} from "../protocol/schemas.js";
import type { Queues } from "../queues/index.js";
import type { Store } from "../redis/store.js";
import { generationSeed } from "../llm/seed.js";
import { fitContext } from "./context.js";
import { generateReply, replySchemaFor } from "./reply.js";
import { classify, failuresOf, nextDelay, oneLine, type RetryPolicy } from "../llm/retry.js";
import { TokenPublisher } from "./tokens.js";
import type { TurnContext, TurnContextReader } from "./turn-context.js";
import { Watchdog } from "../llm/watchdog.js";
import { clockOffsetMs, now } from "../redis/clock.js";
import { hostName } from "../redis/host.js";

export interface TurnDeps {
  store: Store;
  /** reads a turn's spec, story, personas and history (cached per conversation) */
  context: TurnContextReader;
  queues: Queues;
  providers: ProviderRegistry;
  log: Logger;
  /** registers an abort controller for a conversation; returns the unregister function */
  track(conversationId: string, ac: AbortController): () => void;
}

export function summarizeZod(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
}

/** a model's stall timeouts: its own, or (runs recorded before they were settings) the defaults */
function timeoutsOf(spec: ModelSpec): StallTimeouts {
  return spec.timeouts ?? { ...DEFAULT_TIMEOUTS };
}

const label = (m: ModelSpec): string => `${m.provider}/${m.model}`;

/** resolves after `ms`, or at once when `signal` aborts */
const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

/** what a request job keeps as its return value */
export interface TurnDone {
  message_id: string;
  sequence_number: number;
  attempt: number;
  tokens_generated: number;
  cut: boolean;
  failed: boolean;
}

export async function processTurn(deps: TurnDeps, job: Job): Promise<TurnDone | { skipped: string }> {
  const parsed = TurnRequestSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`invalid turn request: ${summarizeZod(parsed.error)}`);
  const req = parsed.data;
  try {
    return await takeTurn(deps, job, req);
  } finally {
    // however the turn ended, the follower of its conversation reads on (turn-context.ts)
    deps.context.turnDone(req);
  }
}

async function takeTurn(deps: TurnDeps, job: Job, req: TurnRequest): Promise<TurnDone | { skipped: string }> {
  // the spec, story, personas and history, with the run's status, in one round trip (or from what
  // the worker holds, the status read meanwhile): a turn of a run that has ended (stopped while
  // this request waited) or of an unknown one goes no further
  const read = await deps.context.read(req);
  if ("status" in read) {
    if (read.skip) return { skipped: read.skip };
    if (read.status === null) throw new UnrecoverableError(`unknown conversation ${req.conversation_id}`);
    return { skipped: `conversation is ${read.status}` };
  }
  const ctx = read;
  // generation starts once the turn's context is read (metadata.started_at; queue_wait_ms runs from the enqueue to here)
  const startedAt = now();
  const ac = new AbortController();
  const untrack = deps.track(req.conversation_id, ac);
  const deadlineTimer = setTimeout(() => ac.abort(new Error("deadline")), Math.max(0, req.deadline_at - startedAt));
  // a turn whose context was already at hand starts while the run's status is read (ctx.check): a
  // run that has ended (or is unknown) cuts it, its tokens held back until the status lets it go on
  const check = ctx.check?.then((c) => {
    if (c) ac.abort(new Error(c.skip ?? `conversation is ${c.status ?? "unknown"}`));
    return c;
  });
  /** with the status read meanwhile: what processTurn does instead of answering (skip), else null */
  const checked = async (): Promise<{ skipped: string } | null> => {
    const c = await check;
    if (!c) return null;
    if (c.skip) return { skipped: c.skip };
    if (c.status === null) throw new UnrecoverableError(`unknown conversation ${req.conversation_id}`);
    return { skipped: `conversation is ${c.status}` };
  };
  /** what processTurn does instead when the run ended while the turn was generated (skip it), else null */
  const ended = async (): Promise<{ skipped: string } | null> => {
    const stop = await checked();
    if (stop) return stop;
    const status = await deps.store.status(req.conversation_id);
    if (!status) throw new UnrecoverableError(`unknown conversation ${req.conversation_id}`);
    return deps.store.isFinalStatus(status) ? { skipped: `conversation is ${status}` } : null;
  };
  const publisher = (attempt: number): TokenPublisher => {
    const p = new TokenPublisher(deps.store, req.conversation_id, {
      seq: req.sequence_number,
      attempt,
      agent_id: req.agent_id,
      maxlen: ctx.spec.token_stream_maxlen,
    });
    if (check) void check.then((c) => p.release(c === null));
    else p.release(true);
    return p;
  };
  const primary = ctx.agent.model;
  const fallback = ctx.agent.fallback;
  const runSeed = ctx.spec.seed ?? null;

  const failed: FailedAttempt[] = [...req.failed_attempts];
  noteLostAttempts(job, req, ctx.agent, failed);
  let onFallback = req.use_fallback && fallback !== null;
  const policy: RetryPolicy = {
    budget_ms: req.retry_budget_ms,
    max_attempts: req.max_attempts,
    backoff_ms: req.backoff_ms,
    backoff_max_ms: req.backoff_max_ms,
    deadline_at: req.deadline_at,
  };
  const base: Base = { ctx, startedAt, queuedAt: req.requested_at, host: hostName(), messageId: deps.store.keys.messageId(req.conversation_id, req.sequence_number) };
  try {
    for (;;) {
      const spec = onFallback && fallback ? fallback : primary;
      const attempt = failed.length + 1;
      const tokens = publisher(attempt);
      const watch = new Watchdog(deps.providers.get(spec.provider), timeoutsOf(spec), label(spec));
      let message: DialogMessage;
      try {
        if (ac.signal.aborted && failed.length > 0) throw new StoppedWhileRetrying();
        const input = { ...ctx, turn_order: ctx.spec.turn_order, context: ctx.spec.context };
        const fitted = await fitContext(input, spec, deps.providers.get(spec.provider));
        const reply = await generateReply(
          watch,
          {
            model: spec.model,
            options: spec.options.seed !== undefined || runSeed === null ? spec.options : { ...spec.options, seed: generationSeed(runSeed, req.sequence_number, attempt) },
            task: {
              kind: "turn",
              conversation_id: req.conversation_id,
              sequence_number: req.sequence_number,
              story: ctx.story,
              persona: ctx.persona,
              agent_id: ctx.agent.id,
              others: ctx.others,
              history: ctx.history,
              turn: ctx.turn,
              turn_order: ctx.spec.turn_order,
              ...(ctx.material ? { material: ctx.material.chunks.map((c) => ({ id: c.id, title: c.title, text: c.text })) } : {}),
            },
            signal: ac.signal,
            onToken: (text, n) => tokens.push(text, n),
          },
          fitted.messages,
          replySchemaFor(ctx.spec.turn_order, ctx.others.map((o) => o.agent_id)),
        );
        // the reply is in (metadata.finished_at). Only a cut generation asks whether the run ended
        // (the abort channel cuts turns of runs that end; such a turn is skipped): a reply that ran
        // its course goes to the manager without a round trip, whose append knows the run's status
        const finishedAt = now();
        const stop = await checked();
        if (stop) return stop;
        if (ac.signal.aborted) {
          const instead = await ended();
          if (instead) return instead;
        }
        const cut = reply.result.done_reason === "cut";
        // a reply unusable twice (the repair too) ends the turn failed: that attempt failed, and is counted
        if (reply.failure) failed.push({ attempt, provider: spec.provider, model: spec.model, cause: "invalid_reply", error: oneLine(reply.failure.error, 2000), at: finishedAt, retry_after_ms: null, wait_ms: null });
        message = buildMessage(base, {
          spec,
          attempt,
          failed,
          content: reply.content,
          result: reply.result,
          cut,
          stalled: cut && watch.stalledAtCut().stalled,
          failure: reply.failure,
          context: fitted.usage,
          promptTurns: fitted.turns,
          material: ctx.material,
          fallbackFrom: onFallback ? label(primary) : undefined,
          finishedAt,
        });
      } catch (caught) {
        await tokens.close();
        const instead = await ended();
        if (instead) return instead;
        // the run ended during the wait before a retry: no attempt was made, so none failed; the
        // turn ends with the last attempt's cause (and says the run ended)
        const stopped = caught instanceof StoppedWhileRetrying ? failed.at(-1) : undefined;
        const f = stopped ? { cause: stopped.cause, error: stopped.error, retryAfterMs: stopped.retry_after_ms } : classify(caught);
        if (!stopped) {
          const record: FailedAttempt = { attempt, provider: spec.provider, model: spec.model, cause: f.cause, error: f.error, at: now(), retry_after_ms: f.retryAfterMs, wait_ms: null };
          failed.push(record);
          if (failed.length > MAX_FAILED_ATTEMPTS) failed.splice(0, failed.length - MAX_FAILED_ATTEMPTS);
          deps.log.warn({ conversation: req.conversation_id, seq: req.sequence_number, attempt, cause: f.cause, err: f.error }, "attempt failed");
        }
        const record = failed.at(-1) as FailedAttempt;
        const next = ac.signal.aborted ? { reason: `the run ended while it was retried (${String(ac.signal.reason?.message ?? ac.signal.reason)})` } : nextDelay(policy, failuresOf(failed, spec), now());
        if ("delay" in next) {
          record.wait_ms = next.delay;
          await Promise.all([saveProgress(job, req, failed, onFallback), notify(deps, req, ctx, record, { cause: f.cause, error: f.error, wait_ms: next.delay })]);
          await sleep(next.delay, ac.signal);
          continue;
        }
        if (fallback && !onFallback && !ac.signal.aborted) {
          onFallback = true;
          deps.log.warn({ conversation: req.conversation_id, seq: req.sequence_number, err: f.error }, `switching to the fallback ${label(fallback)}`);
          await Promise.all([saveProgress(job, req, failed, onFallback), notify(deps, req, ctx, record, { cause: f.cause, error: f.error, wait_ms: null, fallback: label(fallback) })]);
          continue;
        }
        const error = oneLine(`${f.error}; ${next.reason}`, 2000);
        // the job keeps every attempt, the last one too (show --failed counts them)
        await saveProgress(job, req, failed, onFallback);
        const failedTurn = buildMessage(base, { spec, attempt: stopped ? stopped.attempt : attempt, failed, failedFor: error, cut: ac.signal.aborted, fallbackFrom: onFallback ? label(primary) : undefined });
        await deps.queues.addResponse(req.pool, { ok: false, conversation_id: req.conversation_id, sequence_number: req.sequence_number, agent_id: req.agent_id, error, message: failedTurn });
        throw new UnrecoverableError(error);
      }
      // the last chunk goes with the response, and the manager writes it with the message (in the
      // append's script: an observer never sees the message before its last tokens); the chunks
      // written before it are done first (on a cluster the stream and the queue are on two nodes).
      // A manager that does not say it does (req.tail) gets it written here, ahead of the response.
      // (a tail longer than a chunk may be — a reply given in one piece — is written here)
      const tail = req.tail ? tokens.rest(MAX_TEXT) : null;
      if (req.tail) {
        await tokens.settled();
        await deps.queues.addResponse(req.pool, { ok: true, message, ...(tail ? { tail } : {}) });
      } else await Promise.all([deps.queues.addResponse(req.pool, { ok: true, message }), tokens.close()]);
      // its log entry, when this worker follows the log, is read without parsing it again
      if (deps.context.follows(req.conversation_id)) deps.store.rememberMessage(message);
      // a follower that waited for this turn reads on after it
      deps.context.turnDone(req, message);
      if (message.failed) deps.log.warn({ conversation: req.conversation_id, seq: req.sequence_number, error: message.error }, "failed turn recorded");
      deps.log.debug({ conversation: req.conversation_id, seq: req.sequence_number, attempt, cut: message.cut }, "turn done");
      return {
        message_id: message.message_id,
        sequence_number: message.metadata.sequence_number,
        attempt: message.metadata.attempt,
        tokens_generated: message.metadata.tokens_generated,
        cut: message.cut,
        failed: message.failed,
      };
    }
  } catch (err) {
    // what escaped the attempts (Redis trouble, a bug): the queue retries the job; on its last
    // attempt the manager is told, so the run does not wait for a turn that never comes
    const last = err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (last && !(err instanceof UnrecoverableError)) await respondFailure(deps, req, err);
    throw err;
  } finally {
    clearTimeout(deadlineTimer);
    untrack();
  }
}

/** the run ended while the turn waited to retry: the next attempt is not made */
class StoppedWhileRetrying extends Error {
  constructor() {
    super("stopped while retrying");
  }
}

interface Base {
  ctx: TurnContext;
  /** the worker started generating (after reading the turn's context) */
  startedAt: number;
  queuedAt: number;
  host: string;
  messageId: string;
}

interface Outcome {
  spec: ModelSpec;
  attempt: number;
  failed: FailedAttempt[];
  fallbackFrom: string | undefined;
  cut: boolean;
  content?: DialogMessage["content"];
  result?: GenerateResult;
  stalled?: boolean;
  /** the reply was unusable twice */
  failure?: { error: string; raw: string } | undefined;
  /** every attempt failed: why */
  failedFor?: string;
  /** when the reply was in (default: now) */
  finishedAt?: number;
  context?: DialogMessage["metadata"]["context"];
  promptTurns?: { first: number | null; last: number | null; count: number };
  material?: TurnContext["material"];
}

/** the message of a turn, validated; a reply that cannot be made into one throws (invalid_reply) */
function buildMessage(b: Base, o: Outcome): DialogMessage {
  const { ctx } = b;
  const req = ctx.req;
  const maxChars = ctx.spec.limits.max_message_chars;
  const r = o.result;
  let content = o.content ?? { message: "", references: [], end_conversation: false };
  const truncated = content.message.length > maxChars;
  if (truncated) content = { ...content, message: content.message.slice(0, maxChars) };
  const failure = o.failure ?? (o.failedFor !== undefined ? { error: o.failedFor } : undefined);
  const raw = o.failure?.raw;
  const candidate = {
    message_id: b.messageId,
    queue_timestamp: now(),
    role: ctx.persona.role,
    speaker: ctx.persona.name,
    content,
    cut: o.cut,
    stalled: o.stalled ?? false,
    failed: failure !== undefined,
    ...(failure ? { error: failure.error.slice(0, 10_000) } : {}),
    ...(raw !== undefined ? { raw: raw.slice(0, 1_000_000) } : {}),
    metadata: {
      conversation_id: req.conversation_id,
      sequence_number: req.sequence_number,
      agent_id: req.agent_id,
      provider: o.spec.provider,
      model: o.spec.model,
      tokens_generated: r?.tokens_generated ?? 0,
      prompt_tokens: r ? r.prompt_tokens : null,
      generation_time_ms: r?.generation_time_ms ?? 0,
      time_to_first_token_ms: r ? r.time_to_first_token_ms : null,
      tokens_per_second: r?.tokens_per_second ?? 0,
      load_time_ms: r?.load_time_ms ?? 0,
      done_reason: r?.done_reason ?? (o.cut ? "cut" : "error"),
      worker: { host: b.host, pid: process.pid },
      attempt: o.attempt,
      queue_wait_ms: Math.max(0, b.startedAt - b.queuedAt),
      clock_offset_ms: clockOffsetMs(),
      requested_at: req.requested_at,
      started_at: b.startedAt,
      finished_at: o.finishedAt ?? now(),
      truncated,
      ...(o.context ? { context: o.context } : {}),
      ...(o.fallbackFrom ? { fallback_from: o.fallbackFrom } : {}),
      failed_attempts: o.failed,
      source: "model",
      turn_choice: req.turn_choice,
      ...(o.promptTurns ? { prompt_turns: o.promptTurns } : {}),
      ...(o.material ? { material: { chunks: o.material.chunks.map((c) => c.id), tokens: o.material.tokens, budget_tokens: o.material.budget_tokens } } : {}),
    },
  };
  const parsed = DialogMessageSchema.safeParse(candidate);
  if (parsed.success) return parsed.data;
  throw new ProviderError(`${label(o.spec)} sent a reply that cannot be recorded: ${summarizeZod(parsed.error)}`, {
    kind: "invalid_reply",
    retryable: true,
    hint: "the server's reply breaks its API; see the server's version and log",
  });
}

/**
 * attempts whose worker went away (crash, SIGKILL), or lost its lock on the turn (not renewed in
 * time: Redis, or the node of a cluster holding the pool's queues, away that long), are recorded as
 * such: the queue started the job again
 */
function noteLostAttempts(job: Job, req: TurnRequest, agent: TurnContext["agent"], failed: FailedAttempt[]): void {
  const started = (job as Job & { attemptsStarted?: number }).attemptsStarted ?? job.attemptsMade + 1;
  const lost = started - 1 - job.attemptsMade - failed.filter((f) => f.cause === "worker_lost").length;
  const spec = req.use_fallback && agent.fallback ? agent.fallback : agent.model;
  for (let i = 0; i < lost; i++) {
    failed.push({
      attempt: failed.length + 1,
      provider: spec.provider,
      model: spec.model,
      cause: "worker_lost",
      error:
        "the attempt's worker stopped (a crash or a kill), or could not renew its lock on the turn (Redis away), before the attempt finished; the queue gave the turn to a worker again",
      at: now(),
      retry_after_ms: null,
      wait_ms: null,
    });
  }
}

/**
 * says in the token stream that an attempt failed and the turn goes on (a chunk with no text), so
 * a view shows it while the worker waits; best effort, like the token chunks
 */
async function notify(deps: Pick<TurnDeps, "store" | "log">, req: TurnRequest, ctx: TurnContext, f: FailedAttempt, notice: AttemptNotice): Promise<void> {
  try {
    const chunk = { seq: req.sequence_number, attempt: f.attempt, agent_id: req.agent_id, text: "", tokens: 0, t: f.at, failed: { ...notice, error: oneLine(notice.error, 2000) } };
    await deps.store.publishTokens(req.conversation_id, chunk, ctx.spec.token_stream_maxlen);
  } catch (err) {
    deps.log.debug({ conversation: req.conversation_id, seq: req.sequence_number, err: String(err) }, "could not say that an attempt failed");
  }
}

/** the failed attempts so far, kept on the job (a worker that crashes mid-retry leaves them for the next) */
async function saveProgress(job: Job, req: TurnRequest, failed: FailedAttempt[], useFallback: boolean): Promise<void> {
  try {
    await job.updateData({ ...req, failed_attempts: failed, use_fallback: useFallback });
  } catch {
    // best effort: the attempts are also in the message or failure that ends the turn
  }
}

/** tells the manager that a turn failed for good, for a failure that escaped the attempt loop */
export async function respondFailure(deps: Pick<TurnDeps, "queues" | "log">, req: TurnRequest, err: unknown): Promise<void> {
  try {
    await deps.queues.addResponse(req.pool, {
      ok: false,
      conversation_id: req.conversation_id,
      sequence_number: req.sequence_number,
      agent_id: req.agent_id,
      error: oneLine(err instanceof Error ? err.message : String(err), 2000),
    });
  } catch (e) {
    deps.log.error({ err: e }, "could not report a failed turn");
  }
}
