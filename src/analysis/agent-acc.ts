/**
 * Accumulates one agent's figures message by message; `result()` turns them into the agent's
 * part of the analysis. Arrays are kept only for what needs percentiles (one number a message).
 * A person's messages (source "human") carry no model figures: their tokens, speed, time to first
 * token, queue wait and load time are left out, and their time to answer is kept instead. A
 * recorded speaker's (source "imported", from `dialogue import`) carry neither.
 *
 * A turn spoken is one that is neither skipped (a person who did not answer) nor failed (a model
 * whose attempts all failed, or whose reply was unusable twice): only those are measured — words,
 * speed, first token, generation time, repetition, echo, sentiment. A failed turn is a turn the
 * agent had: it counts in `turns` and `failed_turns`, its tokens, prompt, queue wait and load time
 * count (they were spent), and its time goes to `failed_time_ms`, not to the generation time. A
 * turn of which a worker lost an attempt has no queue wait: its time until the attempt that went
 * on goes to `failed_time_ms` too.
 */
import type { AgentSpec } from "../protocol/record.js";
import { lostTimeMs, noWorkerWait } from "../protocol/lost-attempts.js";
import type { AnalyzedMessage } from "./message-view.js";
import { Mattr } from "./mattr.js";
import type { AgentMetrics } from "./schema.js";
import { Acc, mean, percentileSorted, round } from "./stats.js";

export type AgentKind = "model" | "human" | "recorded";

export interface MessageFacts {
  words: number;
  ids: Int32Array;
  questions: number;
  /** null: nothing to compare with (repetition.ts) */
  repetition: number | null;
  echo: number | null;
  sentiment: number;
  /** the prompt held material: the message's content words, and how many of them were in it (null: no material) */
  material: { content: number; found: number } | null;
}

const sorted = (xs: number[]): number[] => Array.from(Float64Array.from(xs).sort());

/**
 * The time a model's turn spent on attempts that failed (epoch ms on Redis' clock): a failed
 * turn's whole time, started to finished (every attempt, and the waits between them); a retried
 * turn's time up to the attempt that produced the message (the last failed attempt's end and the
 * wait after it), as its worker measured it. A turn of which a worker lost an attempt (a crash, a
 * kill: the queue gave the turn to a worker again) adds the time from its request to the attempt
 * that went on (protocol/lost-attempts.ts): no worker timed the lost attempt, and that time is
 * not a wait for a worker.
 */
export function failedTimeMs(m: Pick<AnalyzedMessage, "failed" | "metadata">): number {
  const md = m.metadata;
  const lost = lostTimeMs(md);
  if (m.failed) return lost + Math.max(0, md.finished_at - md.started_at);
  // only the attempts after the last lost one are this worker's (those before, and their waits, are
  // in `lost`; a lost attempt's `at` is when the worker that went on noticed it)
  const lastLost = md.failed_attempts.findLastIndex((f) => f.cause === "worker_lost");
  const last = md.failed_attempts.slice(lastLost + 1).at(-1);
  if (!last) return lost;
  const resumed = Math.min(md.finished_at, last.at + (last.wait_ms ?? 0));
  return lost + Math.max(0, resumed - md.started_at);
}

export class AgentAcc {
  turns = 0;
  skipped = 0;
  cut = 0;
  failed = 0;
  stalled = 0;
  retried = 0;
  failedAttempts = 0;
  readonly causes: Record<string, number> = {};
  tokens = 0;
  prompt = 0;
  genMs = 0;
  failedMs = 0;
  words = 0;
  questions = 0;
  loadTotal = 0;
  loadMax: number | null = null;
  readonly tps: number[] = [];
  readonly ttft: number[] = [];
  readonly queue: number[] = [];
  readonly answer: number[] = [];
  readonly mattr = new Mattr();
  readonly repetition = new Acc();
  readonly echo = new Acc();
  readonly lexicon = new Acc();
  readonly self = new Acc();
  /** turns whose prompt held material, their content words, and those found in it */
  materialTurns = 0;
  materialWords = 0;
  materialFound = 0;
  /** what the messages say, for an agent the spec does not know */
  private provider: string | null = null;
  private model: string | null = null;
  kind: AgentKind;

  constructor(
    readonly agentId: string,
    readonly spec: AgentSpec | null,
    readonly name: string | null,
  ) {
    this.kind = spec?.kind ?? "model";
  }

  private seen(m: AnalyzedMessage): void {
    const md = m.metadata;
    this.turns++;
    if (!this.spec && md.source === "human") this.kind = "human";
    if (!this.spec && md.source === "imported") this.kind = "recorded";
    this.provider ??= md.provider;
    this.model ??= md.model;
  }

  /** a person's turn nobody answered */
  addSkipped(m: AnalyzedMessage): void {
    this.seen(m);
    this.skipped++;
  }

  /** a model's turn that failed: had, not spoken; what it cost is counted, what it said is not measured */
  addFailed(m: AnalyzedMessage): void {
    this.seen(m);
    this.failed++;
    this.outcome(m);
    this.cost(m);
    this.failedMs += failedTimeMs(m);
  }

  /** a turn spoken */
  add(m: AnalyzedMessage, f: MessageFacts): void {
    const md = m.metadata;
    this.seen(m);
    this.words += f.words;
    this.questions += f.questions;
    this.mattr.pushAll(f.ids);
    this.repetition.addMaybe(f.repetition);
    this.echo.addMaybe(f.echo);
    this.lexicon.add(f.sentiment);
    if (m.content.sentiment !== undefined) this.self.add(m.content.sentiment);
    if (f.material) {
      this.materialTurns++;
      this.materialWords += f.material.content;
      this.materialFound += f.material.found;
    }
    if (md.source === "human") {
      this.answer.push(md.finished_at - md.started_at);
      return;
    }
    // a row of a recorded conversation: nothing was generated here, so there is nothing to time
    if (md.source === "imported") return;
    this.outcome(m);
    if (md.failed_attempts.length > 0) this.retried++;
    this.cost(m);
    this.genMs += md.generation_time_ms;
    this.failedMs += failedTimeMs(m);
    if (md.tokens_generated > 0) this.tps.push(md.tokens_per_second);
    if (md.time_to_first_token_ms !== null) this.ttft.push(md.time_to_first_token_ms);
  }

  /** a model's turn: cut, stalled, and its failed attempts by cause */
  private outcome(m: AnalyzedMessage): void {
    if (m.cut) this.cut++;
    if (m.stalled) this.stalled++;
    for (const f of m.metadata.failed_attempts) {
      this.failedAttempts++;
      this.causes[f.cause] = (this.causes[f.cause] ?? 0) + 1;
    }
  }

  /**
   * what a model's turn spent, spoken or not: tokens, prompt, the wait for a worker, loading the
   * model (the queue wait of a turn with a lost attempt is mostly that attempt: failedTimeMs counts
   * it; a turn the manager recorded, no worker having returned it, waited for none)
   */
  private cost(m: AnalyzedMessage): void {
    const md = m.metadata;
    this.tokens += md.tokens_generated;
    this.prompt += md.prompt_tokens ?? 0;
    if (!noWorkerWait(md)) this.queue.push(md.queue_wait_ms);
    this.loadTotal += md.load_time_ms;
    this.loadMax = Math.max(this.loadMax ?? 0, md.load_time_ms);
  }

  /**
   * `totalWords`, `spokenTurns`: all the agents' words and turns spoken (skipped and failed ones left out);
   * `material`: the run had material (each agent then gets its figure)
   */
  result(totalWords: number, spokenTurns: number, material = false): AgentMetrics {
    const tps = sorted(this.tps);
    const ttft = sorted(this.ttft);
    const queue = sorted(this.queue);
    const answer = sorted(this.answer);
    const person = this.kind === "human";
    const recorded = this.kind === "recorded";
    const provider = person ? "human" : recorded ? "imported" : (this.spec?.model.provider ?? this.provider ?? "unknown");
    const spoken = this.turns - this.skipped - this.failed;
    return {
      agent_id: this.agentId,
      name: this.name,
      role: this.spec?.role ?? "unknown",
      kind: this.kind,
      provider,
      model: person ? "person" : recorded ? "recorded" : (this.spec?.model.model ?? this.model ?? "unknown"),
      simulated: provider === "simulated",
      turns: this.turns,
      skipped_turns: this.skipped,
      cut_turns: this.cut,
      failed_turns: this.failed,
      stalled_turns: this.stalled,
      retried_turns: this.retried,
      failed_attempts: this.failedAttempts,
      failure_causes: { ...this.causes },
      tokens_generated: this.tokens,
      prompt_tokens: this.prompt,
      generation_time_ms: round(this.genMs, 3) ?? 0,
      failed_time_ms: round(this.failedMs, 3) ?? 0,
      tokens_per_second: {
        mean: round(mean(tps), 4),
        p50: round(percentileSorted(tps, 50), 4),
        p95: round(percentileSorted(tps, 95), 4),
      },
      time_to_first_token_ms: {
        mean: round(mean(ttft), 4),
        p50: round(percentileSorted(ttft, 50), 4),
        p95: round(percentileSorted(ttft, 95), 4),
      },
      load_time_ms: { total: round(this.loadTotal, 3) ?? 0, max: this.loadMax },
      queue_wait_ms: {
        mean: round(mean(queue), 4),
        p50: round(percentileSorted(queue, 50), 4),
        p95: round(percentileSorted(queue, 95), 4),
      },
      answer_time_ms: {
        mean: round(mean(answer), 4),
        p50: round(percentileSorted(answer, 50), 4),
        p95: round(percentileSorted(answer, 95), 4),
      },
      words: this.words,
      words_per_turn: spoken === 0 ? null : round(this.words / spoken, 4),
      share_of_talk: totalWords === 0 ? null : round(this.words / totalWords, 4),
      share_of_turns: spokenTurns === 0 ? null : round(spoken / spokenTurns, 4),
      mattr: round(this.mattr.value(), 4),
      repetition: { mean: round(this.repetition.mean(), 4), max: round(this.repetition.maxOrNull(), 4) },
      echo: { mean: round(this.echo.mean(), 4), max: round(this.echo.maxOrNull(), 4) },
      questions: this.questions,
      sentiment: {
        lexicon_mean: round(this.lexicon.mean(), 4),
        self_reported_mean: round(this.self.mean(), 4),
        self_reported_n: this.self.n,
      },
      material: material
        ? {
            turns: this.materialTurns,
            content_words: this.materialWords,
            from_material: this.materialFound,
            share: this.materialWords === 0 ? null : round(this.materialFound / this.materialWords, 4),
          }
        : null,
    };
  }
}
