/**
 * One tumbling window being filled: its messages' figures, per agent and in all, and the
 * content words that make its topic vector (drift.ts). A skipped or failed turn is one of its
 * turns (a failed one's tokens count too), with nothing said to measure.
 */
import type { AnalyzedMessage } from "./message-view.js";
import type { MessageFacts } from "./agent-acc.js";
import { topTerms, type Terms } from "./drift.js";
import { Mattr } from "./mattr.js";
import type { Window } from "./schema.js";
import { Acc, round } from "./stats.js";
import type { Vocabulary } from "./text.js";

interface WindowAgent {
  turns: number;
  tokens: number;
  words: number;
  tps: Acc;
  lexicon: Acc;
  self: Acc;
  repetition: Acc;
}

const newAgent = (): WindowAgent => ({ turns: 0, tokens: 0, words: 0, tps: new Acc(), lexicon: new Acc(), self: new Acc(), repetition: new Acc() });
const secs = (ms: number | null): number | null => (ms === null ? null : round(ms / 1000, 3));

/**
 * Counts of word ids (a window's content words) on a typed array, with the ids in the order first
 * seen; take() gives them as a map in that order (the order a map counting them would have) and
 * starts again from nothing.
 */
export class TermTally {
  private counts = new Int32Array(1024);
  private readonly order: number[] = [];

  add(id: number): void {
    if (id >= this.counts.length) {
      const grown = new Int32Array(Math.max(id + 1, this.counts.length * 2));
      grown.set(this.counts);
      this.counts = grown;
    }
    const c = this.counts[id] as number;
    if (c === 0) this.order.push(id);
    this.counts[id] = c + 1;
  }

  take(): Terms {
    const terms: Terms = new Map();
    for (const id of this.order) {
      terms.set(id, this.counts[id] as number);
      this.counts[id] = 0;
    }
    this.order.length = 0;
    return terms;
  }
}

export class WindowAcc {
  fromTurn: number | null = null;
  toTurn: number | null = null;
  firstMs: number | null = null;
  lastMs: number | null = null;
  turns = 0;
  tokens = 0;
  words = 0;
  questions = 0;
  readonly mattr = new Mattr();
  readonly repetition = new Acc();
  readonly echo = new Acc();
  private readonly agents = new Map<string, WindowAgent>();

  /** `bounds`: the window's own start and end in ms after t0 (time windows), or null */
  constructor(
    readonly index: number,
    agentIds: readonly string[],
    private readonly bounds: { start: number; end: number } | null,
    /** the content words' counts; one at a time, so the windows of a run take turns with one */
    private readonly tally: TermTally = new TermTally(),
  ) {
    for (const a of agentIds) this.agents.set(a, newAgent());
  }

  /** the turn's place (`n`: its number among the agents' turns; a narrator's remark takes none) and time, and the count of turns, its agent's too */
  private turn(m: AnalyzedMessage, t0: number, n: number): WindowAgent {
    const md = m.metadata;
    this.fromTurn ??= n;
    this.toTurn = n;
    this.firstMs ??= md.started_at - t0;
    this.lastMs = md.finished_at - t0;
    this.turns++;
    let a = this.agents.get(md.agent_id);
    if (!a) {
      a = newAgent();
      this.agents.set(md.agent_id, a);
    }
    a.turns++;
    return a;
  }

  /** a person's turn nobody answered: a turn with nothing to measure */
  addSkipped(m: AnalyzedMessage, t0: number, n: number): void {
    this.turn(m, t0, n);
  }

  /** a model's turn that failed: a turn, and the tokens it generated, with nothing said to measure */
  addFailed(m: AnalyzedMessage, t0: number, n: number): void {
    const a = this.turn(m, t0, n);
    this.tokens += m.metadata.tokens_generated;
    a.tokens += m.metadata.tokens_generated;
  }

  add(m: AnalyzedMessage, f: MessageFacts, vocab: Vocabulary, t0: number, n: number): void {
    const md = m.metadata;
    const a = this.turn(m, t0, n);
    this.tokens += md.tokens_generated;
    this.words += f.words;
    this.questions += f.questions;
    this.mattr.pushAll(f.ids);
    this.repetition.addMaybe(f.repetition);
    this.echo.addMaybe(f.echo);
    for (let i = 0; i < f.ids.length; i++) {
      const id = f.ids[i] as number;
      if (vocab.isContent(id)) this.tally.add(id);
    }
    a.tokens += md.tokens_generated;
    a.words += f.words;
    if (md.tokens_generated > 0) a.tps.add(md.tokens_per_second);
    a.lexicon.add(f.sentiment);
    if (m.content.sentiment !== undefined) a.self.add(m.content.sentiment);
    a.repetition.addMaybe(f.repetition);
  }

  /** the window without its word overlap (filled in once every window is known); its terms trimmed */
  close(): { window: Window; terms: Terms } {
    const window: Window = {
      index: this.index,
      from_turn: this.fromTurn,
      to_turn: this.toTurn,
      start_s: secs(this.bounds ? this.bounds.start : this.firstMs),
      end_s: secs(this.bounds ? this.bounds.end : this.lastMs),
      turns: this.turns,
      tokens: this.tokens,
      words: this.words,
      mattr: round(this.mattr.value(), 4),
      repetition_mean: round(this.repetition.mean(), 4),
      echo_mean: round(this.echo.mean(), 4),
      word_overlap: null,
      questions: this.questions,
      note: null,
      agents: [...this.agents.entries()].map(([agent_id, a]) => ({
        agent_id,
        turns: a.turns,
        tokens: a.tokens,
        words: a.words,
        tokens_per_second_mean: round(a.tps.mean(), 4),
        sentiment_lexicon: round(a.lexicon.mean(), 4),
        sentiment_self: round(a.self.mean(), 4),
        repetition_mean: round(a.repetition.mean(), 4),
      })),
    };
    return { window, terms: topTerms(this.tally.take()) };
  }
}
