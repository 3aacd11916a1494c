/**
 * The repetition detector, shared by the analysis and the manager's loop stop.
 *
 * - repetition of a message: the share of its word 3-grams (text.ts shingles) that occur in the
 *   same speaker's previous REPETITION_MEMORY messages. 1 = said before word for word; null for
 *   the speaker's first message (nothing to compare with).
 * - echo of a message: the share of its 3-grams that occur in the previous speaker's last message
 *   (the latest message by another speaker: with two, the partner's); null when nobody else has
 *   spoken yet.
 * - a loop: `loop_turns` messages in a row from one speaker, each with repetition at or above
 *   `loop_threshold` (config limits.*); it starts at the first of them.
 *
 * Memory is bounded: a count of the 3-grams of each speaker's last REPETITION_MEMORY messages.
 */
import { IntCounter, IntSet } from "./intset.js";
import { containment, shingles, Vocabulary, words } from "./text.js";

/** how many of a speaker's earlier messages a message is compared against */
export const REPETITION_MEMORY = 12;

interface SpeakerMemory {
  counts: IntCounter;
  recent: Int32Array[];
}

export interface Overlap {
  repetition: number | null;
  echo: number | null;
}

export class RepetitionTracker {
  private readonly speakers = new Map<string, SpeakerMemory>();
  /** the latest message, and the latest by another speaker than it */
  private last: { speaker: string; shingles: Int32Array } | null = null;
  private beforeLast: { speaker: string; shingles: Int32Array } | null = null;
  private readonly previousGrams = new IntSet();

  constructor(readonly memory = REPETITION_MEMORY) {}

  /** measure one message against what came before, then remember it */
  add(speaker: string, sh: Int32Array): Overlap {
    let mem = this.speakers.get(speaker);
    if (!mem) {
      mem = { counts: new IntCounter(), recent: [] };
      this.speakers.set(speaker, mem);
    }
    // the share of its 3-grams (distinct) the speaker's memory has: containment(sh, mem.counts), then
    // each counted in (further down, as before: nothing between reads the speaker's counts)
    const present = mem.counts.countThenInc(sh);
    const repetition = mem.recent.length > 0 ? (sh.length === 0 ? 0 : present / sh.length) : null;
    const previous = this.last && this.last.speaker !== speaker ? this.last : this.beforeLast;
    let echo: number | null = null;
    if (previous && previous.speaker !== speaker) {
      this.previousGrams.clear();
      for (let i = 0; i < previous.shingles.length; i++) this.previousGrams.add(previous.shingles[i] as number);
      echo = containment(sh, this.previousGrams);
    }

    mem.recent.push(sh);
    if (mem.recent.length > this.memory) {
      const old = mem.recent.shift() as Int32Array;
      for (let i = 0; i < old.length; i++) mem.counts.dec(old[i] as number);
    }
    if (this.last && this.last.speaker !== speaker) this.beforeLast = this.last;
    this.last = { speaker, shingles: sh };
    return { repetition, echo };
  }
}

export interface LoopRule {
  /** @defaultValue 0.6 */
  loop_threshold: number;
  /** @defaultValue 3 */
  loop_turns: number;
}

/** how many of the latest log entries the manager reads to decide on a loop */
export const loopLookback = (rule: LoopRule): number => 2 * (REPETITION_MEMORY + rule.loop_turns);

/**
 * For the manager: given the latest messages (oldest first, at least loopLookback of them when
 * there are that many), is `speaker` looping as of its last message?
 */
export function isLooping(messages: ReadonlyArray<{ speaker: string; text: string }>, speaker: string, rule: LoopRule): boolean {
  const vocab = new Vocabulary();
  const tracker = new RepetitionTracker();
  let streak = 0;
  for (const m of messages) {
    const { repetition } = tracker.add(m.speaker, shingles(vocab.encode(words(m.text))));
    if (m.speaker === speaker) streak = repetition !== null && repetition >= rule.loop_threshold ? streak + 1 : 0;
  }
  return streak >= rule.loop_turns;
}

/**
 * isLooping for one conversation, turn after turn (the manager's loop stop): the same answer, for
 * less work. Each message's 3-grams are computed once (kept by the message object, which the
 * manager's store shares between turns), and the latest message is measured first: a loop needs
 * its repetition at or above the threshold, so when it is below (nearly always) the answer is no
 * without going over the rest.
 */
export class LoopDetector {
  private readonly vocab = new Vocabulary();
  private readonly grams = new WeakMap<object, Int32Array>();
  private readonly seen = new IntSet();

  private gramsOf(m: LoopMessage): Int32Array {
    let g = this.grams.get(m.key);
    if (!g) {
      g = shingles(this.vocab.encode(words(m.text)));
      this.grams.set(m.key, g);
    }
    return g;
  }

  /** isLooping(messages, speaker, rule); `key` of a message: an object that stands for it (its text never changes) */
  isLooping(messages: readonly LoopMessage[], speaker: string, rule: LoopRule): boolean {
    const last = messages.at(-1);
    if (last && last.speaker === speaker) {
      // the latest message's repetition, as the tracker would measure it: against the speaker's previous REPETITION_MEMORY messages
      this.seen.clear();
      let earlier = 0;
      for (let i = messages.length - 2; i >= 0 && earlier < REPETITION_MEMORY; i--) {
        const m = messages[i] as LoopMessage;
        if (m.speaker !== speaker) continue;
        earlier++;
        const g = this.gramsOf(m);
        for (let j = 0; j < g.length; j++) this.seen.add(g[j] as number);
      }
      if (earlier === 0 || containment(this.gramsOf(last), this.seen) < rule.loop_threshold) return false;
    }
    const tracker = new RepetitionTracker();
    let streak = 0;
    for (const m of messages) {
      const { repetition } = tracker.add(m.speaker, this.gramsOf(m));
      if (m.speaker === speaker) streak = repetition !== null && repetition >= rule.loop_threshold ? streak + 1 : 0;
    }
    return streak >= rule.loop_turns;
  }
}

export interface LoopMessage {
  speaker: string;
  text: string;
  key: object;
}
