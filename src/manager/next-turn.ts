/**
 * Starting the next turn: choose its speaker (turn-order.ts), write the choice to the record,
 * then either request the turn from the speaker's pool or — for a person — wait for them, with a
 * delayed job that skips the turn if they do not answer in time.
 *
 * Reads: record(ID) (given), log(ID) latest (given). Writes: record(ID) next_choice, next_seq,
 * next_agent, pending_seq, next_job; a job on requests.<pool>, or a human_timeout job on control.
 * (The next turn requested ahead, with the append of the turn before: ahead.ts.)
 */
import { z } from "zod";
import { now } from "../redis/clock.js";
import { generateStructured } from "../llm/structured.js";
import type { LlmProvider } from "../llm/types.js";
import type { Logger } from "../logger.js";
import { turnOf, type ConversationRecord, type NextChoice } from "../protocol/record.js";
import { moderatorSchemaFor, TurnRequestSchema, type DialogMessage, type HistoryEntry, type TurnRequest } from "../protocol/schemas.js";
import type { Queues } from "../queues/index.js";
import type { Store } from "../redis/store.js";
import { historyEntry } from "../worker/turn-context.js";
import { moderatorTask } from "./prompts.js";
import { choose, chooseNext, type Choice, type Moderate } from "./turn-order.js";
import { inOneWrite } from "../redis/cluster.js";

/** the latest turns a moderator reads */
const MODERATOR_TRANSCRIPT = 12;

export interface NextTurnDeps {
  store: Store;
  queues: Queues;
  log: Logger;
  /** the manager's model (watched for stalls) */
  managerModel: (rec: ConversationRecord) => Pick<LlmProvider, "generate">;
}

/** the speaker of turn `seq`: the one on the record when a manager already chose (fresh: false), else a new choice */
export async function choiceFor(deps: NextTurnDeps, rec: ConversationRecord, seq: number, recent: readonly DialogMessage[]): Promise<{ choice: NextChoice; fresh: boolean }> {
  if (rec.next_choice && rec.next_choice.seq === seq) return { choice: rec.next_choice, fresh: false };
  const moderate: Moderate = async (candidates) => {
    const m = rec.spec.manager;
    const story = rec.story;
    if (!story) throw new Error("no story yet");
    const transcript = recent.slice(-MODERATOR_TRANSCRIPT).map(moderatorEntry).filter((h) => h !== null);
    const { task, messages } = moderatorTask(story, candidates, transcript, seq);
    const { value } = await generateStructured(deps.managerModel(rec), moderatorSchemaFor(candidates.map((c) => c.agent_id)), {
      model: m.model,
      options: m.options,
      task,
      messages,
    });
    return { ...value, by: `manager (${m.provider}/${m.model})` };
  };
  const c = await chooseNext({ spec: rec.spec, personas: rec.personas ?? [], seq, recent }, moderate);
  return { choice: nextChoice(seq, c), fresh: true };
}

/**
 * a message as the moderator reads it: as a speaker's prompt has it (historyEntry), and a turn
 * skipped or failed as missed (a speaker's prompt leaves it out, having no text), so the moderator
 * knows who did not answer
 */
export function moderatorEntry(m: DialogMessage): HistoryEntry | null {
  const missed = m.skipped ? "skipped" : m.failed ? "failed" : null;
  if (missed === null) return historyEntry(m);
  return { agent_id: m.metadata.agent_id, speaker: m.speaker, text: "", seq: m.metadata.sequence_number, missed };
}

/** a new choice of the speaker of turn `seq` when no model is needed to make it (see choose), else null */
export function choiceWithoutModel(rec: ConversationRecord, seq: number, recent: readonly DialogMessage[]): NextChoice | null {
  const c = choose({ spec: rec.spec, personas: rec.personas ?? [], seq, recent });
  return c ? nextChoice(seq, c) : null;
}

function nextChoice(seq: number, c: Choice): NextChoice {
  return { seq, agent_id: c.agent_id, how: c.how, by: c.by, reason: c.reason, ...(c.round === undefined ? {} : { round: c.round }), at: now() };
}

/**
 * turn `seq` begins: requested from its pool, or offered to its person. Returns its choice. A
 * choice written ahead (by the append of the turn before, its request sent with it: ahead.ts) is
 * requested again as it was, the same job; a turn whose request sent ahead was refused is
 * requested under another job id (that job is done: its worker skipped it).
 */
export async function beginTurn(deps: NextTurnDeps, rec: ConversationRecord, seq: number, recent: readonly DialogMessage[]): Promise<NextChoice> {
  const { spec } = rec;
  if (!rec.story || !rec.personas) throw new Error("cannot start turns before the story and personas exist");
  const { choice, fresh } = await choiceFor(deps, rec, seq, recent);
  const agent = spec.agents.find((a) => a.id === choice.agent_id);
  if (!agent) throw new Error(`turn ${seq} chose "${choice.agent_id}", who is not an agent`);
  // the choice is written first, then the turn goes out: both sent at once on one connection,
  // which Redis runs in this order (a replacement manager finds the choice, whatever it finds)
  const record = () => (fresh ? deps.store.setNextChoice(spec.id, choice) : Promise.resolve());
  if (agent.kind === "human") {
    const wait = Math.round(spec.limits.human_turn_seconds * 1000);
    await Promise.all([record(), deps.queues.addControl({ type: "human_timeout", conversation_id: spec.id, seq }, deps.store.keys.humanTimeoutJobId(spec.id, seq), wait)]);
    deps.log.info({ conversation: spec.id, seq, agent: agent.id }, "waiting for a person");
    return choice;
  }
  const ahead = !fresh && choice.ahead === true;
  const req = requestFor(deps, rec, choice, agent.pool, ahead);
  const jobId = !ahead && rec.ahead_declined === seq ? deps.store.keys.reissuedTurnJobId(spec.id, seq) : undefined;
  await inOneWrite(deps.store.redis, () => Promise.all([record(), deps.queues.addRequest(req, jobId)]));
  return choice;
}

/** the retry settings a run was started with, as its recorded configuration has them (each may be missing) */
const RunRetrySchema = z.object({
  retry_budget_ms: z.number().int().nonnegative().optional().catch(undefined),
  attempts: z.number().int().positive().optional().catch(undefined),
  backoff_ms: z.number().int().nonnegative().optional().catch(undefined),
  backoff_max_ms: z.number().int().nonnegative().optional().catch(undefined),
});

const runRetry = new WeakMap<object, z.infer<typeof RunRetrySchema>>();

/**
 * a turn's retry policy: the run's own (its recorded configuration: `--set queues.retry_budget_ms`
 * of the run that asked for it), else this manager's — managers serve each other's runs
 */
export function retryOf(runConfig: Record<string, unknown>, mine: Queues["settings"]): Pick<Queues["settings"], "retry_budget_ms" | "attempts" | "backoff_ms" | "backoff_max_ms"> {
  // a run's recorded configuration never changes: read once per spec the manager holds (every turn asks)
  let r = runRetry.get(runConfig);
  if (!r) {
    const run = RunRetrySchema.safeParse(runConfig.queues ?? {});
    r = run.success ? run.data : {};
    runRetry.set(runConfig, r);
  }
  return {
    retry_budget_ms: r.retry_budget_ms ?? mine.retry_budget_ms,
    attempts: r.attempts ?? mine.attempts,
    backoff_ms: r.backoff_ms ?? mine.backoff_ms,
    backoff_max_ms: r.backoff_max_ms ?? mine.backoff_max_ms,
  };
}

/** the request of turn `choice.seq`, for its speaker's pool; `ahead`: sent with the append of the turn before (ahead.ts) */
export function requestFor(deps: Pick<NextTurnDeps, "queues">, rec: ConversationRecord, choice: NextChoice, pool: string, ahead: boolean): TurnRequest {
  const s = retryOf(rec.spec.config, deps.queues.settings);
  return TurnRequestSchema.parse({
    conversation_id: rec.spec.id,
    sequence_number: choice.seq,
    agent_id: choice.agent_id,
    pool,
    log_position: choice.seq - 1,
    turn: Math.max(1, turnOf(choice.seq, rec)),
    turn_choice: { how: choice.how, by: choice.by, reason: choice.reason, ...(choice.round === undefined ? {} : { round: choice.round }) },
    ...(ahead ? { ahead: true } : {}),
    // this manager writes the turn's last token chunk with its message (Store.appendNext, appendAhead)
    tail: true,
    retry_budget_ms: s.retry_budget_ms,
    max_attempts: s.attempts,
    backoff_ms: s.backoff_ms,
    backoff_max_ms: s.backoff_max_ms,
    deadline_at: rec.deadline_at ?? now() + rec.spec.limits.duration_seconds * 1000,
    requested_at: now(),
  });
}
