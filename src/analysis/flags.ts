/**
 * Flags: patterns that say a conversation went wrong, each with the turn where it starts.
 *
 *   looping    one speaker: `loop_turns` messages in a row with repetition >= `loop_threshold`
 *   echoing    ECHO_TURNS messages in a row (any speakers) with echo >= ECHO_THRESHOLD
 *   monologue  one speaker: MONOLOGUE_TURNS of its messages in a row at least MONOLOGUE_RATIO
 *              times as long (in words) as the previous speaker's message before it (the latest
 *              message by another agent; with two agents, the partner's)
 *   short_replies  SHORT_TURNS messages in a row (any speakers) of fewer than SHORT_WORDS words
 *   failed_turn    a turn that failed (every attempt failed, or the reply was unusable twice)
 *   stalled_turn   a turn cut while its model had gone silent mid-reply
 *   retried_turn   a turn that succeeded after failed attempts (their causes are in the message's metadata)
 *
 * An episode starts at the first message of the streak, is detected at the message that
 * completes it, and lasts while the condition holds. The streaks run over the messages spoken: a
 * narrator's remark, a person's skipped turn and a failed turn are passed over (a failed turn is
 * its own flag, not a short reply).
 */
import type { FlagType } from "./schema.js";

export const ECHO_THRESHOLD = 0.5;
export const ECHO_TURNS = 2;
export const MONOLOGUE_RATIO = 4;
export const MONOLOGUE_TURNS = 2;
export const SHORT_WORDS = 4;
export const SHORT_TURNS = 3;
/** episodes kept per analysis; more are counted, not listed */
export const MAX_EPISODES = 200;

export interface Episode {
  type: FlagType;
  agent_id: string | null;
  /** the turn where it starts (its number: a narrator's remarks and a copied history are not turns) */
  turn: number;
  /** the turn where the streak became long enough to count */
  detected_turn: number;
  /** the last turn where the condition still held */
  until_turn: number;
}

/** a streak of turns where a condition holds, per key (an agent, or one key for the conversation) */
class Streak {
  private start = 0;
  private length = 0;
  private open: Episode | null = null;

  constructor(
    private readonly type: FlagType,
    private readonly agent: string | null,
    private readonly need: number,
    private readonly emit: (e: Episode) => void,
  ) {}

  step(turn: number, holds: boolean): void {
    if (!holds) {
      this.length = 0;
      this.open = null;
      return;
    }
    if (this.length === 0) this.start = turn;
    this.length++;
    if (this.open) this.open.until_turn = turn;
    else if (this.length >= this.need) {
      this.open = { type: this.type, agent_id: this.agent, turn: this.start, detected_turn: turn, until_turn: turn };
      this.emit(this.open);
    }
  }
}

export interface FlagInput {
  turn: number;
  agent_id: string;
  words: number;
  /** words of the previous speaker's message (the latest by another agent); null when nobody else spoke yet */
  previous_words: number | null;
  repetition: number;
  echo: number;
}

export class FlagDetector {
  readonly episodes: Episode[] = [];
  readonly counts: Record<FlagType, number> = { looping: 0, echoing: 0, monologue: 0, short_replies: 0, failed_turn: 0, stalled_turn: 0, retried_turn: 0 };
  private readonly looping = new Map<string, Streak>();
  private readonly monologue = new Map<string, Streak>();
  private readonly echoing: Streak;
  private readonly short: Streak;

  constructor(private readonly rule: { loop_threshold: number; loop_turns: number }) {
    this.echoing = new Streak("echoing", null, ECHO_TURNS, this.record);
    this.short = new Streak("short_replies", null, SHORT_TURNS, this.record);
  }

  private readonly record = (e: Episode): void => {
    this.counts[e.type]++;
    if (this.episodes.length < MAX_EPISODES) this.episodes.push(e);
  };

  private per(map: Map<string, Streak>, type: FlagType, agent: string, need: number): Streak {
    let s = map.get(agent);
    if (!s) {
      s = new Streak(type, agent, need, this.record);
      map.set(agent, s);
    }
    return s;
  }

  add(m: FlagInput): void {
    this.per(this.looping, "looping", m.agent_id, this.rule.loop_turns).step(m.turn, m.repetition >= this.rule.loop_threshold);
    const long = m.previous_words !== null && m.words >= MONOLOGUE_RATIO * Math.max(1, m.previous_words);
    this.per(this.monologue, "monologue", m.agent_id, MONOLOGUE_TURNS).step(m.turn, long);
    this.echoing.step(m.turn, m.echo >= ECHO_THRESHOLD);
    this.short.step(m.turn, m.words < SHORT_WORDS);
  }

  /** a turn's outcome: each of failed, stalled and retried is an episode of its own turn */
  outcome(turn: number, agent: string, o: { failed: boolean; stalled: boolean; retried: boolean }): void {
    const one = (type: FlagType): void => this.record({ type, agent_id: agent, turn, detected_turn: turn, until_turn: turn });
    if (o.failed) one("failed_turn");
    if (o.stalled) one("stalled_turn");
    if (o.retried) one("retried_turn");
  }
}
