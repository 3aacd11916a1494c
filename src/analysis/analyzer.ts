/**
 * The analysis of one conversation: a fold over its messages in order, then `finish()`. Feed it
 * page by page (the store's XRANGE pages) and memory stays bounded: per message it keeps only a
 * few numbers for percentiles; text is reduced to word ids, 3-gram sets of each speaker's last
 * messages, and each window's top terms. `analyze()` does it in one go for an array.
 *
 * A narrator's remark is counted and passed over, and so is a message copied from another
 * conversation as a continued run's history; a person's skipped turn counts as the agent's turn
 * (and in turn-taking) but has no words to measure. A failed turn (every attempt failed, or the
 * reply was unusable twice) likewise: a turn the agent had, counted as failed, with its cost and
 * the time its attempts took, but not a turn it spoke — whatever could be read of an unusable
 * reply is not measured, and the streaks of the flags pass over it. The rows of an imported
 * conversation are turns with words and times (their own timestamps) but no model figures.
 */
import { personaOf, turnsTaken, type ConversationRecord } from "../protocol/record.js";
import type { DialogMessage } from "../protocol/schemas.js";
import type { AnalyzedMessage } from "./message-view.js";
import { noWorkerWait } from "../protocol/lost-attempts.js";
import { AgentAcc, type MessageFacts } from "./agent-acc.js";
import { overlapSeries, type Terms } from "./drift.js";
import {
  ECHO_THRESHOLD,
  ECHO_TURNS,
  FlagDetector,
  MONOLOGUE_RATIO,
  MONOLOGUE_TURNS,
  SHORT_TURNS,
  SHORT_WORDS,
} from "./flags.js";
import { Mattr, MATTR_WINDOW } from "./mattr.js";
import { RepetitionTracker, REPETITION_MEMORY } from "./repetition.js";
import { ANALYSIS_VERSION, type Analysis, type Window } from "./schema.js";
import { Acc, dist, mean, round } from "./stats.js";
import { questionCount, sentimentOf, shingles, Vocabulary } from "./text.js";
import { TurnTakingAcc } from "./turn-taking.js";
import { TermTally, WindowAcc } from "./window-acc.js";
import { autoWindow, windowIndex, windowLabel, type WindowSpec } from "./windows.js";

/** one log entry: the message, and when the manager recorded it (null for entries that do not say) */
export interface TranscriptEntry {
  message: AnalyzedMessage;
  recorded_at: number | null;
}

export interface AnalyzeOptions {
  /** null or absent: autoWindow(record.turns) */
  window?: WindowSpec | null;
  /** when the analysis is made (its computed_at); @defaultValue Date.now() */
  now?: number;
  /** where a run going on is timed to (Store.endOf: its latest sign of life); @defaultValue `now` */
  end?: number;
  /** the run's material: each chunk's content words (material/words.ts), to tell what the agents drew on */
  material?: ReadonlyMap<string, ReadonlySet<string>>;
}

export class Analyzer {
  private readonly vocab = new Vocabulary();
  private readonly tracker = new RepetitionTracker();
  private readonly flags: FlagDetector;
  private readonly agents = new Map<string, AgentAcc>();
  private readonly window: WindowSpec;
  private readonly t0: number | null;
  private readonly mattr = new Mattr();
  private readonly repetition = new Acc();
  private readonly echo = new Acc();
  private readonly handoffs: number[] = [];
  private readonly turnTaking: TurnTakingAcc;
  /** the latest spoken message, and the latest by another speaker than it (the monologue rule's "previous speaker") */
  private latest: { agent: string; words: number } | null = null;
  private latestOther: { agent: string; words: number } | null = null;
  private readonly windows: Window[] = [];
  private readonly terms: Terms[] = [];
  private current: WindowAcc | null = null;
  /** the open window's content-word counts (one window is open at a time) */
  private readonly tally = new TermTally();
  private prev: TranscriptEntry | null = null;
  private firstStart: number | null = null;
  private turns = 0;
  private skipped = 0;
  private failed = 0;
  private remarks = 0;
  private history = 0;
  private materialTurns = 0;
  private words = 0;
  private questions = 0;

  constructor(
    private readonly record: ConversationRecord,
    private readonly opts: AnalyzeOptions = {},
  ) {
    // record.turns counts every message in the log, a narrator's remarks too
    this.window = opts.window ?? autoWindow(turnsTaken(record));
    this.flags = new FlagDetector(record.spec.limits);
    this.t0 = record.started_at;
    const spec = record.spec;
    for (const a of spec.agents) this.agents.set(a.id, new AgentAcc(a.id, a, personaOf(spec, record.personas ?? [], a.id)?.name ?? null));
    this.turnTaking = new TurnTakingAcc(spec.turn_order, new Set(spec.agents.map((a) => a.id)));
  }

  private get agentIds(): string[] {
    return [...this.agents.keys()];
  }

  add(entry: TranscriptEntry): void {
    const m = entry.message;
    const md = m.metadata;
    if (md.source === "narrator") {
      this.remarks++;
      return;
    }
    if (md.copied_from) {
      // another conversation's message, the history this run carries on from
      this.history++;
      return;
    }
    this.firstStart ??= md.requested_at;
    this.turns++;
    this.turnTaking.add(m);
    // flags name turns as every view does: a narrator's remarks and a copied history are not turns
    this.flags.outcome(this.turns, md.agent_id, { failed: m.failed, stalled: m.stalled, retried: md.failed_attempts.length > 0 && !m.failed });
    // a handoff is the system's (queues, manager, worker): a recorded conversation has none; nor
    // has a turn of which a worker lost an attempt (when that attempt began is not known: its
    // started_at is the attempt that went on, after the queue gave the turn out again), nor one the
    // manager recorded because no worker returned it (no generation started)
    if (this.prev && md.source !== "imported" && this.prev.message.metadata.source !== "imported" && !noWorkerWait(md)) {
      const p = this.prev;
      this.handoffs.push(md.started_at - (p.recorded_at ?? p.message.queue_timestamp));
    }
    this.prev = entry;
    let agent = this.agents.get(md.agent_id);
    if (!agent) {
      agent = new AgentAcc(md.agent_id, null, m.speaker);
      this.agents.set(md.agent_id, agent);
    }
    const window = this.windowFor(this.turns, md.finished_at);
    if (m.skipped) {
      // nobody spoke: the turn is counted, its (empty) text is not measured
      this.skipped++;
      agent.addSkipped(m);
      window.addSkipped(m, this.origin(), this.turns);
      return;
    }
    if (m.failed) {
      // the agent had the turn and did not speak: counted, its cost and time kept, no text measured
      this.failed++;
      agent.addFailed(m);
      window.addFailed(m, this.origin(), this.turns);
      return;
    }

    // the message's words as vocabulary ids (encodeText: encode(words(text)) for less work)
    const ids = this.vocab.encodeText(m.content.message);
    const nWords = ids.length;
    const { repetition, echo } = this.tracker.add(md.agent_id, shingles(ids));
    const facts: MessageFacts = { words: nWords, ids, questions: questionCount(m.content.message), repetition, echo, sentiment: sentimentOf(ids, this.vocab), material: this.materialFacts(m, ids) };

    // the message this one answers: the latest by another speaker
    const previous = this.latest && this.latest.agent !== md.agent_id ? this.latest : this.latestOther;
    const previousWords = previous && previous.agent !== md.agent_id ? previous.words : null;
    this.flags.add({ turn: this.turns, agent_id: md.agent_id, words: nWords, previous_words: previousWords, repetition: repetition ?? 0, echo: echo ?? 0 });
    if (this.latest && this.latest.agent !== md.agent_id) this.latestOther = this.latest;
    this.latest = { agent: md.agent_id, words: nWords };

    agent.add(m, facts);
    this.words += nWords;
    this.questions += facts.questions;
    this.mattr.pushAll(ids);
    this.repetition.addMaybe(repetition);
    this.echo.addMaybe(echo);
    window.add(m, facts, this.vocab, this.origin(), this.turns);
  }

  /** a message whose prompt held material: its content words, and how many were in those chunks */
  private materialFacts(m: AnalyzedMessage, ids: Int32Array): MessageFacts["material"] {
    const held = m.metadata.material?.chunks;
    const chunks = this.opts.material;
    if (!held || held.length === 0 || !chunks) return null;
    this.materialTurns++;
    const sets = held.map((c) => chunks.get(c)).filter((s): s is ReadonlySet<string> => s !== undefined);
    let content = 0;
    let found = 0;
    for (let i = 0; i < ids.length; i++) {
      if (!this.vocab.isContent(ids[i] as number)) continue;
      content++;
      const w = this.vocab.word(ids[i] as number);
      if (sets.some((s) => s.has(w))) found++;
    }
    return { content, found };
  }

  /** the dialogue's start: the record's, else the first message's request */
  private origin(): number {
    return this.t0 ?? this.firstStart ?? 0;
  }

  /** `turn`: the turn's number among the agents' turns (a narrator's remark takes none) */
  private windowFor(turn: number, finishedAt: number): WindowAcc {
    const k = windowIndex(this.window, turn, finishedAt, this.origin());
    while (!this.current || this.current.index < k) this.openNext();
    return this.current;
  }

  private openNext(): void {
    const index = this.current ? this.current.index + 1 : 0;
    this.closeCurrent();
    const w = this.window;
    const bounds = w.kind === "time" ? { start: index * w.size_ms, end: (index + 1) * w.size_ms } : null;
    this.current = new WindowAcc(index, this.agentIds, bounds, this.tally);
  }

  private closeCurrent(): void {
    if (!this.current) return;
    const { window, terms } = this.current.close();
    this.windows.push(window);
    this.terms.push(terms);
    this.current = null;
  }

  finish(): Analysis {
    const rec = this.record;
    const end = rec.ended_at ?? this.opts.end ?? this.opts.now ?? Date.now();
    if (this.window.kind === "time" && rec.started_at !== null) {
      // empty windows up to the end keep the time axis true
      const last = windowIndex(this.window, 0, end, this.origin());
      while (!this.current || this.current.index < last) this.openNext();
    }
    this.closeCurrent();
    const overlap = overlapSeries(this.terms);
    this.windows.forEach((w, i) => (w.word_overlap = round(overlap[i] ?? null, 4)));
    const overlapValues = overlap.filter((d): d is number => d !== null);

    const hasMaterial = rec.spec.materials !== undefined;
    const agents = [...this.agents.values()].map((a) => a.result(this.words, this.turns - this.skipped - this.failed, hasMaterial));
    const shares = agents.map((a) => a.share_of_talk).filter((s): s is number => s !== null);
    const spec = rec.spec;
    const models = [
      ...spec.agents.map((a) =>
        a.kind === "human"
          ? { role: a.id, provider: "human", model: "person", simulated: false }
          : a.kind === "recorded"
            ? { role: a.id, provider: "imported", model: "recorded", simulated: false }
            : { role: a.id, provider: a.model.provider, model: a.model.model, simulated: a.model.provider === "simulated" },
      ),
      // an imported conversation had no manager
      ...(spec.manager.provider === "imported" ? [] : [{ role: "manager", provider: spec.manager.provider, model: spec.manager.model, simulated: spec.manager.provider === "simulated" }]),
    ];
    const src = spec.source;
    const auto = !this.opts.window;
    return {
      schema: "dialogue-llm/analysis",
      version: ANALYSIS_VERSION,
      conversation_id: spec.id,
      computed_at: this.opts.now ?? Date.now(),
      window: {
        kind: this.window.kind,
        size: this.window.kind === "turns" ? this.window.size : this.window.size_ms,
        label: windowLabel(this.window),
        auto,
      },
      rules: {
        loop_threshold: spec.limits.loop_threshold,
        loop_turns: spec.limits.loop_turns,
        repetition_memory: REPETITION_MEMORY,
        mattr_window: MATTR_WINDOW,
        echo_threshold: ECHO_THRESHOLD,
        echo_turns: ECHO_TURNS,
        monologue_ratio: MONOLOGUE_RATIO,
        monologue_turns: MONOLOGUE_TURNS,
        short_words: SHORT_WORDS,
        short_turns: SHORT_TURNS,
      },
      run: {
        scenario: spec.scenario.title,
        status: rec.status,
        stop_reason: rec.stop_reason,
        created_at: spec.created_at,
        started_at: rec.started_at,
        ended_at: rec.ended_at,
        // a run with no turn has no duration, whatever ended it (as list and show say it)
        duration_s: rec.started_at === null || this.turns === 0 ? null : round((end - rec.started_at) / 1000, 3),
        turns: this.turns,
        remarks: this.remarks,
        skipped_turns: this.skipped,
        cut_turns: agents.reduce((n, a) => n + a.cut_turns, 0),
        failed_turns: agents.reduce((n, a) => n + a.failed_turns, 0),
        stalled_turns: agents.reduce((n, a) => n + a.stalled_turns, 0),
        retried_turns: agents.reduce((n, a) => n + a.retried_turns, 0),
        failed_attempts: agents.reduce((n, a) => n + a.failed_attempts, 0),
        failure_causes: sumCauses(agents.map((a) => a.failure_causes)),
        tokens_generated: agents.reduce((n, a) => n + a.tokens_generated, 0),
        prompt_tokens: agents.reduce((n, a) => n + a.prompt_tokens, 0),
        providers: [...new Set(models.filter((m) => m.provider !== "human" && m.provider !== "imported").map((m) => m.provider))],
        models,
        history: this.history,
        source: src
          ? src.kind === "import"
            ? { kind: "import", file: src.file, session_id: src.session_id, conversation_id: null }
            : { kind: "continue", file: null, session_id: null, conversation_id: src.conversation_id }
          : null,
      },
      agents,
      orchestration: { handoff_ms: dist(this.handoffs, 3) },
      content: {
        words: this.words,
        mattr: round(this.mattr.value(), 4),
        repetition_mean: round(this.repetition.mean(), 4),
        echo_mean: round(this.echo.mean(), 4),
        word_overlap_mean: round(mean(overlapValues), 4),
        questions: this.questions,
        turn_balance: shares.length < 2 ? null : round(1 - (Math.max(...shares) - Math.min(...shares)), 4),
      },
      turn_taking: this.turnTaking.result(agents.map((a) => a.agent_id)),
      flags: this.flags.episodes.map((e) => ({ ...e })),
      flag_counts: { ...this.flags.counts },
      windows: this.windows,
      notes: null,
      material: spec.materials
        ? { files: spec.materials.files.map((f) => ({ name: f.name, kind: f.kind, chunks: f.chunks })), budget_tokens: spec.materials.budget_tokens, turns_with_material: this.materialTurns }
        : null,
      judge: null,
    };
  }
}

function sumCauses(all: Array<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of all) for (const [k, n] of Object.entries(c)) out[k] = (out[k] ?? 0) + n;
  return out;
}

/** the analysis of a conversation whose messages are all in memory */
export function analyze(record: ConversationRecord, entries: ReadonlyArray<TranscriptEntry | DialogMessage | AnalyzedMessage>, opts: AnalyzeOptions = {}): Analysis {
  const a = new Analyzer(record, opts);
  for (const e of entries) a.add("metadata" in e ? { message: e, recorded_at: null } : e);
  return a.finish();
}
