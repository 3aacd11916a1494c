/**
 * One turn at a worker: parse the request, fit the history into the model's context window,
 * generate with the agent's model while publishing token chunks, validate the structured reply
 * (one repair attempt; then a failed turn that keeps the raw text), and put the message on the
 * pool's response queue. Provider errors are retried by the queue when retrying can help.
 *
 * Reads: the request job; the conversation record's status (to skip turns of finished
 *   conversations: read while the model starts, see processTurn).
 * Writes: tokens(ID) stream; one job on responses.<pool> (job id = conversation.seq, so a retried
 * turn never produces a second response).
 * Returns: the DialogMessage (kept as the request job's return value).
 */
import os from "node:os";
import { UnrecoverableError, type Job } from "bullmq";
import type { z } from "zod";
import { ProviderError } from "../errors/index.js";
import type { ProviderRegistry } from "../llm/index.js";
import { StructuredOutputError } from "../llm/structured.js";
import type { Logger } from "../logger.js";
import { DialogMessageSchema, TurnRequestSchema, type ContextUsage, type DialogMessage, type TurnRequest } from "../protocol/schemas.js";
import { attemptOf, type Queues } from "../queues/index.js";
import type { Store } from "../redis/store.js";
import { fitContext } from "./context.js";
import { generateReply, type Reply } from "./reply.js";
import { TokenPublisher } from "./tokens.js";

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

export async function processTurn(deps: TurnDeps, job: Job): Promise<DialogMessage | { skipped: string }> {
  const parsed = TurnRequestSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`invalid turn request: ${summarizeZod(parsed.error)}`);
  const req = parsed.data;

  const attempt = attemptOf(job);
  const startedAt = Date.now();
  const ac = new AbortController();
  const untrack = deps.track(req.conversation_id, ac);
  const untilDeadline = req.deadline_at - startedAt;
  const deadlineTimer = setTimeout(() => ac.abort(new Error("deadline")), Math.max(0, untilDeadline));
  const tokens = new TokenPublisher(deps.store, req.conversation_id, {
    seq: req.sequence_number,
    attempt,
    agent_id: req.agent_id,
    maxlen: req.token_stream_maxlen,
  });
  // The run's status is read while the model already starts (a round trip less before every
  // turn). A turn of a run that has ended (stopped while this request waited) or of an unknown
  // one is aborted as soon as that is known, and nothing of it leaves this worker: its tokens are
  // held until the status says the run goes on, and it sends no response.
  const check = deps.store.status(req.conversation_id).then(
    (status) => {
      const goes = status !== null && !deps.store.isFinalStatus(status);
      tokens.release(goes);
      if (!goes) ac.abort(new Error(status ? `conversation is ${status}` : "unknown conversation"));
      return status;
    },
    (err: unknown) => {
      tokens.release(false);
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

  // the agent's own model, or its fallback once this turn has switched to it
  const onFallback = req.use_fallback && req.fallback !== null;
  const spec = onFallback && req.fallback ? req.fallback : req.model;
  // a generation that sends nothing for idle_timeout_ms is abandoned (a hung server) and retried
  let idle = false;
  let idleTimer: NodeJS.Timeout | undefined;
  const stillAlive = (): void => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      idle = true;
      ac.abort(new Error("idle"));
    }, req.idle_timeout_ms);
  };
  stillAlive();

  let reply: Reply;
  let context: ContextUsage;
  try {
    const provider = deps.providers.get(spec.provider);
    const fitted = await fitContext({ ...req, model: spec }, provider);
    context = fitted.usage;
    const task = {
      kind: "turn" as const,
      conversation_id: req.conversation_id,
      sequence_number: req.sequence_number,
      story: req.story,
      persona: req.persona,
      partner: req.partner,
      history: req.history,
      turn: req.turn,
    };
    reply = await generateReply(
      provider,
      {
        model: spec.model,
        options: spec.options,
        task,
        signal: ac.signal,
        onToken: (text, n) => {
          stillAlive();
          tokens.push(text, n);
        },
      },
      fitted.messages,
    );
    if (idle) {
      throw new ProviderError(`${spec.provider}/${spec.model} sent nothing for ${Math.round(req.idle_timeout_ms / 1000)} s`, {
        retryable: true,
        hint: "the server may be overloaded or stuck; raise queues.idle_timeout_ms for very slow models",
      });
    }
  } catch (caught) {
    const instead = await ended();
    if (instead) return instead;
    await tokens.close();
    const cannotServe = caught instanceof ProviderError && !caught.retryable;
    // switch to the fallback when this model cannot serve, or has had all its attempts
    if (req.fallback && !onFallback && (cannotServe || attempt >= req.primary_attempts)) {
      const why = caught instanceof Error ? caught.message : String(caught);
      await job.updateData({ ...req, use_fallback: true });
      deps.log.warn({ conversation: req.conversation_id, seq: req.sequence_number, err: why }, "switching to the fallback model");
      throw new Error(`${req.model.provider}/${req.model.model} failed (${why}); the next attempt uses the fallback ${req.fallback.provider}/${req.fallback.model}`);
    }
    const err = cannotServe ? new UnrecoverableError(oneLine(caught)) : caught;
    const last = attempt >= (job.opts.attempts ?? 1) || err instanceof UnrecoverableError;
    if (last) await respondFailure(deps, req, err);
    throw err;
  } finally {
    clearTimeout(deadlineTimer);
    clearTimeout(idleTimer);
    untrack();
  }
  const instead = await ended();
  if (instead) return instead;
  // the last chunk is sent now, ahead of the response on the same connection (Redis keeps the
  // order: an observer never sees the message before its last tokens); the two are awaited together
  const flushed = tokens.close();
  const finishedAt = Date.now();
  const { result, failure } = reply;
  let content = reply.content;
  const cut = result.done_reason === "cut";
  const truncated = content.message.length > req.max_message_chars;
  if (truncated) content = { ...content, message: content.message.slice(0, req.max_message_chars) };
  const message: DialogMessage = DialogMessageSchema.parse({
    message_id: deps.store.keys.messageId(req.conversation_id, req.sequence_number),
    queue_timestamp: Date.now(),
    role: req.persona.role,
    speaker: req.persona.name,
    content,
    cut,
    failed: failure !== undefined,
    ...(failure ? { error: failure.error, raw: failure.raw } : {}),
    metadata: {
      conversation_id: req.conversation_id,
      sequence_number: req.sequence_number,
      agent_id: req.agent_id,
      provider: spec.provider,
      model: spec.model,
      tokens_generated: result.tokens_generated,
      prompt_tokens: result.prompt_tokens,
      generation_time_ms: result.generation_time_ms,
      time_to_first_token_ms: result.time_to_first_token_ms,
      tokens_per_second: result.tokens_per_second,
      load_time_ms: result.load_time_ms,
      done_reason: result.done_reason,
      worker: { host: os.hostname(), pid: process.pid },
      attempt,
      queue_wait_ms: Math.max(0, startedAt - job.timestamp),
      requested_at: req.requested_at,
      started_at: startedAt,
      finished_at: finishedAt,
      truncated,
      context,
      ...(onFallback ? { fallback_from: `${req.model.provider}/${req.model.model}` } : {}),
    },
  });
  await Promise.all([deps.queues.addResponse(req.pool, { ok: true, message }), flushed]);
  if (failure) deps.log.warn({ conversation: req.conversation_id, seq: req.sequence_number, error: failure.error }, "failed turn recorded");
  deps.log.debug({ conversation: req.conversation_id, seq: req.sequence_number, attempt, cut }, "turn done");
  return message;
}

const oneLine = (e: ProviderError): string => (e.hint ? `${e.message} (${e.hint})` : e.message);

async function respondFailure(deps: TurnDeps, req: TurnRequest, err: unknown): Promise<void> {
  const raw = err instanceof StructuredOutputError ? err.raw : undefined;
  try {
    await deps.queues.addResponse(req.pool, {
      ok: false,
      conversation_id: req.conversation_id,
      sequence_number: req.sequence_number,
      agent_id: req.agent_id,
      error: err instanceof ProviderError ? oneLine(err) : err instanceof Error ? err.message : String(err),
      ...(raw === undefined ? {} : { raw }),
    });
  } catch (e) {
    deps.log.error({ err: e }, "could not report a failed turn");
  }
}
