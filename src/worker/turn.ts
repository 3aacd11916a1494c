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
 * Reads: the request job; the conversation record's status (to skip turns of finished
 *   conversations: read while the model starts).
 * Writes: tokens(ID) stream; the job's data (failed attempts so far); one job on
 *   responses.<pool> (job id = conversation.seq, so a retried turn never produces a second response).
 * Returns: the DialogMessage (kept as the request job's return value).
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
  TurnRequestSchema,
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
import { generateReply } from "./reply.js";
import { classify, failuresOf, nextDelay, oneLine, type RetryPolicy } from "../llm/retry.js";
import { TokenPublisher } from "./tokens.js";
import { Watchdog } from "../llm/watchdog.js";
import { clockOffsetMs, now } from "../redis/clock.js";
import { hostName } from "../redis/host.js";

export interface TurnDeps {
  store: Store;
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

/** a model's stall timeouts: its own, or (requests made before they were settings) the old idle timeout */
function timeoutsOf(spec: ModelSpec, req: TurnRequest): StallTimeouts {
  if (spec.timeouts) return spec.timeouts;
  const idle = req.idle_timeout_ms;
  return idle === undefined ? { ...DEFAULT_TIMEOUTS } : { first_token_ms: idle, between_tokens_ms: idle };
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

export async function processTurn(deps: TurnDeps, job: Job): Promise<DialogMessage | { skipped: string }> {
  const parsed = TurnRequestSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`invalid turn request: ${summarizeZod(parsed.error)}`);
  const req = parsed.data;
  // every time here is Redis' clock (redis/clock.ts): the deadline and requested_at come from the manager's host
  const startedAt = now();
  const ac = new AbortController();
  const untrack = deps.track(req.conversation_id, ac);
  const deadlineTimer = setTimeout(() => ac.abort(new Error("deadline")), Math.max(0, req.deadline_at - startedAt));
  const publishers: TokenPublisher[] = [];
  // The run's status is read while the model already starts (a round trip less before every
  // turn). A turn of a run that has ended (stopped while this request waited) or of an unknown
  // one is aborted as soon as that is known, and nothing of it leaves this worker: its tokens are
  // held until the status says the run goes on, and it sends no response.
  let goes: boolean | null = null;
  const check = deps.store.status(req.conversation_id).then(
    (status) => {
      goes = status !== null && !deps.store.isFinalStatus(status);
      for (const p of publishers) p.release(goes);
      if (!goes) ac.abort(new Error(status ? `conversation is ${status}` : "unknown conversation"));
      return status;
    },
    (err: unknown) => {
      goes = false;
      for (const p of publishers) p.release(false);
      ac.abort(err);
      throw err;
    },
  );
  check.catch(() => undefined); // handled where it is awaited
  /** null when the turn goes on; else what processTurn does instead (skip it, or fail for good) */
  const ended = async (): Promise<{ skipped: string } | null> => {
    const status = await check;
    if (!status) throw new UnrecoverableError(`unknown conversation ${req.conversation_id}`);
    return deps.store.isFinalStatus(status) ? { skipped: `conversation is ${status}` } : null;
  };
  const publisher = (attempt: number): TokenPublisher => {
    const p = new TokenPublisher(deps.store, req.conversation_id, {
      seq: req.sequence_number,
      attempt,
      agent_id: req.agent_id,
      maxlen: req.token_stream_maxlen,
    });
    publishers.push(p);
    if (goes !== null) p.release(goes);
    return p;
  };

  const failed: FailedAttempt[] = [...req.failed_attempts];
  noteLostAttempts(job, req, failed);
  let onFallback = req.use_fallback && req.fallback !== null;
  const policy: RetryPolicy = {
    budget_ms: req.retry_budget_ms,
    max_attempts: req.max_attempts,
    backoff_ms: req.backoff_ms,
    backoff_max_ms: req.backoff_max_ms,
    deadline_at: req.deadline_at,
  };
  const base = { req, startedAt, queuedAt: req.requested_at, host: hostName(), messageId: deps.store.keys.messageId(req.conversation_id, req.sequence_number) };
  try {
    for (;;) {
      const spec = onFallback && req.fallback ? req.fallback : req.model;
      const attempt = failed.length + 1;
      const tokens = publisher(attempt);
      const watch = new Watchdog(deps.providers.get(spec.provider), timeoutsOf(spec, req), label(spec));
      let message: DialogMessage;
      try {
        if (ac.signal.aborted && failed.length > 0) throw new Error("stopped while retrying");
        const fitted = await fitContext({ ...req, model: spec }, deps.providers.get(spec.provider));
        const reply = await generateReply(
          watch,
          {
            model: spec.model,
            options: spec.options.seed !== undefined || req.seed === null ? spec.options : { ...spec.options, seed: generationSeed(req.seed, req.sequence_number, attempt) },
            task: {
              kind: "turn",
              conversation_id: req.conversation_id,
              sequence_number: req.sequence_number,
              story: req.story,
              persona: req.persona,
              partner: req.partner,
              history: req.history,
              turn: req.turn,
            },
            signal: ac.signal,
            onToken: (text, n) => tokens.push(text, n),
          },
          fitted.messages,
        );
        const instead = await ended();
        if (instead) return instead;
        const cut = reply.result.done_reason === "cut";
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
          fallbackFrom: onFallback ? label(req.model) : undefined,
        });
      } catch (caught) {
        await tokens.close();
        const instead = await ended();
        if (instead) return instead;
        const f = classify(caught);
        const record: FailedAttempt = { attempt, provider: spec.provider, model: spec.model, cause: f.cause, error: f.error, at: now(), retry_after_ms: f.retryAfterMs, wait_ms: null };
        failed.push(record);
        if (failed.length > MAX_FAILED_ATTEMPTS) failed.splice(0, failed.length - MAX_FAILED_ATTEMPTS);
        deps.log.warn({ conversation: req.conversation_id, seq: req.sequence_number, attempt, cause: f.cause, err: f.error }, "attempt failed");
        const next = ac.signal.aborted ? { reason: `the run ended while it was retried (${String(ac.signal.reason?.message ?? ac.signal.reason)})` } : nextDelay(policy, failuresOf(failed, spec), now());
        if ("delay" in next) {
          record.wait_ms = next.delay;
          await saveProgress(job, req, failed, onFallback);
          await sleep(next.delay, ac.signal);
          continue;
        }
        if (req.fallback && !onFallback && !ac.signal.aborted) {
          onFallback = true;
          deps.log.warn({ conversation: req.conversation_id, seq: req.sequence_number, err: f.error }, `switching to the fallback ${label(req.fallback)}`);
          await saveProgress(job, req, failed, onFallback);
          continue;
        }
        const error = oneLine(`${f.error}; ${next.reason}`, 2000);
        const failedTurn = buildMessage(base, { spec, attempt, failed, failedFor: error, cut: ac.signal.aborted, fallbackFrom: onFallback ? label(req.model) : undefined });
        await deps.queues.addResponse(req.pool, { ok: false, conversation_id: req.conversation_id, sequence_number: req.sequence_number, agent_id: req.agent_id, error, message: failedTurn });
        throw new UnrecoverableError(error);
      }
      // the last chunk is sent now, ahead of the response on the same connection (Redis keeps the
      // order: an observer never sees the message before its last tokens)
      await Promise.all([deps.queues.addResponse(req.pool, { ok: true, message }), tokens.close()]);
      if (message.failed) deps.log.warn({ conversation: req.conversation_id, seq: req.sequence_number, error: message.error }, "failed turn recorded");
      deps.log.debug({ conversation: req.conversation_id, seq: req.sequence_number, attempt, cut: message.cut }, "turn done");
      return message;
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

interface Base {
  req: TurnRequest;
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
  context?: DialogMessage["metadata"]["context"];
}

/** the message of a turn, validated; a reply that cannot be made into one throws (invalid_reply) */
function buildMessage(b: Base, o: Outcome): DialogMessage {
  const { req } = b;
  const r = o.result;
  let content = o.content ?? { message: "", references: [], end_conversation: false };
  const truncated = content.message.length > req.max_message_chars;
  if (truncated) content = { ...content, message: content.message.slice(0, req.max_message_chars) };
  const failure = o.failure ?? (o.failedFor !== undefined ? { error: o.failedFor } : undefined);
  const raw = o.failure?.raw;
  const candidate = {
    message_id: b.messageId,
    queue_timestamp: now(),
    role: req.persona.role,
    speaker: req.persona.name,
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
      finished_at: now(),
      truncated,
      ...(o.context ? { context: o.context } : {}),
      ...(o.fallbackFrom ? { fallback_from: o.fallbackFrom } : {}),
      failed_attempts: o.failed,
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

/** attempts whose worker went away (crash, SIGKILL: the queue started the job again) are recorded as such */
function noteLostAttempts(job: Job, req: TurnRequest, failed: FailedAttempt[]): void {
  const started = (job as Job & { attemptsStarted?: number }).attemptsStarted ?? job.attemptsMade + 1;
  const lost = started - 1 - job.attemptsMade - failed.filter((f) => f.cause === "worker_lost").length;
  const spec = req.use_fallback && req.fallback ? req.fallback : req.model;
  for (let i = 0; i < lost; i++) {
    failed.push({
      attempt: failed.length + 1,
      provider: spec.provider,
      model: spec.model,
      cause: "worker_lost",
      error: "the worker running this attempt stopped before it finished (a crash or a kill); the queue gave the turn to a worker again",
      at: now(),
      retry_after_ms: null,
      wait_ms: null,
    });
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
