/**
 * What one turn needs, read from Redis rather than carried by the request: the conversation's
 * spec, story and personas (written once, so cached per conversation) and the log's latest
 * messages up to the request's log position — one round trip, together with the run's status.
 * Log entries never change once written, so the latest ones a conversation's last turn read are
 * kept too, and a turn reads only the entries after them. A conversation this worker serves turn
 * after turn is followed (follow.ts): when what is held already reaches the turn's log position,
 * the turn starts at once and the run's status is read while it does (`check`: a turn of a run
 * that has ended is then cut and skipped, its tokens never published).
 *
 * A turn requested ahead (manager/ahead.ts) goes on only if the record chose it ahead (next_seq,
 * next_job): read with the status, or seen by the follower, which reads them with each batch.
 *
 * Reads: record(ID) status, next_seq, next_job (and spec, story, personas until cached), log(ID) tail, material(ID)
 * (once per conversation, when the run has material: indexed for retrieval, material/retrieve.ts).
 */
import { personaOf, type AgentKind, type AgentSpec, type ConversationSpec, type Status } from "../protocol/record.js";

export { personaOf };
import type { DialogMessage, HistoryEntry, Persona, StoryContent, TurnRequest } from "../protocol/schemas.js";
import { chosenAhead as recordChoseAhead, type Store } from "../redis/store.js";
import type { RedisClient } from "../redis/cluster.js";
import { LogFollower, type FollowedState, type FollowOptions } from "./follow.js";
import type { Chunk } from "../material/load.js";
import { MaterialIndex, QUERY_TURNS } from "../material/retrieve.js";
import { readMaterial } from "../material/store.js";

/** conversations whose spec, story and personas a worker keeps */
const MAX_CACHED = 256;
/**
 * how long a follower waits for a turn chosen for its worker's pool to begin here: its request
 * goes with the append the follower read, so it begins within milliseconds when it is this
 * worker's; else another worker of the pool took it
 */
const PAUSE_UNTIL_BEGUN_MS = 100;
/** and once the turn has begun here, at most this long (a turn that takes longer: the follower reads on, as without waiting) */
const PAUSE_AT_MOST_MS = 10 * 60_000;

export interface Speaker {
  agent_id: string;
  kind: AgentKind;
  persona: Persona;
}

export interface TurnContext {
  req: TurnRequest;
  spec: ConversationSpec;
  agent: AgentSpec;
  story: StoryContent;
  /** the speaker's own persona */
  persona: Persona;
  /** everyone else in the conversation, in the agents' order */
  others: Speaker[];
  /** the messages the prompt may hold, oldest first (what was said: empty turns are left out) */
  history: HistoryEntry[];
  turn: { number: number; max: number };
  /** the material chunks this turn's prompt carries, most relevant first, and their budget (null: the run has none) */
  material: { chunks: Chunk[]; tokens: number; budget_tokens: number } | null;
  /**
   * null when the run's status was read with the context (and lets the turn go on); else the read
   * of the status, under way while the turn starts (see TurnCheck). Never rejects: a status that
   * cannot be read lets the turn go on.
   */
  check: Promise<TurnCheck> | null;
}

/**
 * null: the turn goes on; else why it does not: the run's status that stops it (null: the run is
 * unknown), or — `skip` — a turn requested ahead that the record did not choose (its worker
 * skips it; manager/ahead.ts)
 */
export type TurnCheck = null | { status: Status | null; skip?: string };

/** why a turn requested ahead does not go on */
export function notChosen(req: TurnRequest): string {
  return `turn ${req.sequence_number} was requested ahead and not chosen (the manager found the run otherwise than it expected)`;
}

/** a log message as the prompt sees it; null for one that said nothing */
export function historyEntry(m: DialogMessage): HistoryEntry | null {
  if (m.content.message.trim() === "") return null;
  return {
    agent_id: m.metadata.agent_id,
    speaker: m.speaker,
    text: m.content.message,
    seq: m.metadata.sequence_number,
    ...(m.metadata.source === "narrator" ? { narrator: true } : {}),
  };
}

export class TurnContextReader {
  private readonly cache = new Map<string, { spec: ConversationSpec; story: StoryContent; personas: Persona[]; material: MaterialIndex | null }>();
  /** per conversation: the latest log messages read (at most history_turns), up to sequence number `last`, with no gap */
  private readonly tails = new Map<string, { last: number; messages: DialogMessage[] }>();
  /** per followed conversation: the record's state read with the latest messages followed (follow.ts) */
  private readonly followed = new Map<string, FollowedState>();
  private readonly follower: LogFollower | null;
  /** the conversation of the latest turn read */
  private lastServed: string | null = null;
  /** the worker's pool: the follower of a conversation waits while a turn chosen for this pool is under way */
  private readonly pool: string | null;
  private readonly untilBegunMs: number;
  /** the follower waits for turn `seq` of conversation `id`, chosen for this pool (its timer: until the turn begins here) */
  private waiting: { id: string; seq: number; resume: () => void; timer: NodeJS.Timeout | null; begun: boolean } | null = null;
  /** the worker's own message, sent after what is held of the conversation: its follower reads on after it, and checks it against the log */
  private own: { id: string; seq: number } | null = null;

  /**
   * `follow`: a connection of its own for following the log of a conversation served turn after
   * turn (none: no following), and the pool this worker serves
   */
  constructor(
    private readonly store: Store,
    follow?: { connect: () => RedisClient; pool?: string } & FollowOptions,
  ) {
    this.pool = follow?.pool ?? null;
    this.untilBegunMs = follow?.untilBegunMs ?? PAUSE_UNTIL_BEGUN_MS;
    this.follower = follow
      ? new LogFollower(
          store,
          follow.connect,
          {
            held: (id) => this.readFrom(id),
            add: (id, after, messages, state) => {
              this.extend(id, after, messages);
              this.followed.clear(); // one conversation is followed at a time
              this.followed.set(id, state);
            },
            pause: (id, state) => this.pause(id, state),
            unchecked: (id) => (this.own?.id === id && this.readFrom(id) === this.own.seq ? this.own.seq : null),
            checked: (id, seq, fields) => this.checked(id, seq, fields),
          },
          follow,
        )
      : null;
  }

  /**
   * the next turn that `state` shows chosen is for the one agent of the conversation this worker's
   * pool serves: the follower waits until this worker is done with it (at most PAUSE_AT_MOST_MS),
   * or — the turn taken by another worker of the pool, or not requested yet — until it has not
   * begun here within PAUSE_UNTIL_BEGUN_MS (FollowOptions.untilBegunMs). (A pool serving several agents of it may take the next turn too: its
   * follower reads on, as the next turn's history needs the message at once.)
   */
  private pause(id: string, state: FollowedState): Promise<void> | null {
    const held = this.heldUpTo(id);
    const spec = this.cache.get(id)?.spec;
    if (this.pool === null || !spec || held === null || state.status !== "running" || state.next_seq !== String(held + 1)) return null;
    const mine = spec.agents.filter((a) => a.kind === "model" && a.pool === this.pool);
    if (mine.length !== 1 || mine[0]?.id !== state.next_agent) return null;
    this.release();
    return new Promise<void>((resolve) => {
      const w = { id, seq: held + 1, resume: resolve, timer: null as NodeJS.Timeout | null, begun: false };
      w.timer = setTimeout(() => this.release(w), this.untilBegunMs).unref();
      this.waiting = w;
    });
  }

  /** the follower reads on (the wait `w`, or whichever there is) */
  private release(w: TurnContextReader["waiting"] = this.waiting): void {
    if (!w || this.waiting !== w) return;
    if (w.timer) clearTimeout(w.timer);
    this.waiting = null;
    w.resume();
  }

  /**
   * the worker is done with turn `req` (`sent`: the message its response carried). A follower that
   * waited for it reads on, from after that message: its append wakes nobody here. The message is
   * taken as held once the log shows it recorded so (checked, at the follower's next read).
   */
  turnDone(req: TurnRequest, sent?: DialogMessage): void {
    const id = req.conversation_id;
    const w = this.waiting;
    if (!w || w.id !== id || w.seq !== req.sequence_number) return;
    const seq = sent?.metadata.sequence_number;
    if (sent && seq === (this.heldUpTo(id) ?? 0) + 1) this.own = { id, seq };
    setImmediate(() => this.release(w));
  }

  /** where the follower of conversation `id` reads from: after what is held, or after the worker's own message sent since */
  private readFrom(id: string): number | null {
    const own = this.own;
    return own?.id === id && own.seq === (this.heldUpTo(id) ?? 0) + 1 ? own.seq : this.heldUpTo(id);
  }

  /**
   * the log entry of the worker's own message `seq` (null: not recorded yet): held from now on as
   * the log has it — the message sent, or another attempt's that was recorded first
   */
  private checked(id: string, seq: number, fields: string[] | null): void {
    const own = this.own;
    if (!own || own.id !== id || own.seq !== seq || fields === null) return;
    this.own = null;
    const [logged] = this.store.entryMessages([[this.store.keys.logEntryId(seq), fields]]);
    if (logged) this.extend(id, seq - 1, [logged]);
  }

  /** the sequence number of the latest message of conversation `id` this reader holds, null if none */
  heldUpTo(id: string): number | null {
    return this.tails.get(id)?.last ?? null;
  }

  /** is conversation `id` followed (served turn after turn by this worker)? */
  follows(id: string): boolean {
    return this.follower !== null && this.lastServed === id;
  }

  /** stops following */
  close(): void {
    this.follower?.close();
    this.release();
  }

  /** keeps `messages` (read after sequence number `after`) as the latest of conversation `id`, when they leave no gap */
  private extend(id: string, after: number, messages: readonly DialogMessage[]): void {
    const held = this.tails.get(id);
    const cap = this.cache.get(id)?.spec.limits.history_turns;
    if (!held || cap === undefined || held.last < after) return;
    const fresh = messages.filter((m) => m.metadata.sequence_number > held.last);
    if (fresh.length === 0 || fresh[0]?.metadata.sequence_number !== held.last + 1) return;
    if (fresh.some((m, i) => m.metadata.sequence_number !== held.last + 1 + i)) return;
    this.hold(id, [...held.messages, ...fresh].slice(-cap));
  }

  /** keeps `messages`, the latest of the log up to `upTo` (an empty log up to 0: nothing said yet) */
  private hold(id: string, messages: DialogMessage[], upTo?: number): void {
    const last = messages.at(-1)?.metadata.sequence_number ?? (upTo === 0 ? 0 : undefined);
    if (last === undefined) return;
    this.tails.delete(id); // most recently used last
    this.tails.set(id, { last, messages });
    if (this.tails.size > MAX_CACHED) this.tails.delete(this.tails.keys().next().value as string);
  }

  /** did the follower see turn `seq` of a running conversation `id` chosen ahead? (a choice, once made, stays) */
  private chosenAhead(id: string, seq: number): boolean {
    const f = this.followed.get(id);
    return f !== undefined && f.status === "running" && recordChoseAhead(f.next_seq, f.next_job, seq);
  }

  /** is the log up to `position` held, with the `cap` messages before it (or all there are)? */
  private holds(id: string, position: number, cap: number): DialogMessage[] | null {
    const held = this.tails.get(id);
    if (!held || held.last < position) return null;
    const first = held.messages[0]?.metadata.sequence_number;
    if (first === undefined || first > Math.max(1, position - cap + 1)) return null;
    return held.messages;
  }

  /**
   * the turn's context, or why the turn should not go on (the run ended, or is unknown: status
   * null; a turn requested ahead that was not chosen: skip); `ended: true` reads it even from a
   * run that has ended, whatever was chosen (a benchmark replaying its turns)
   */
  async read(req: TurnRequest, opts: { ended?: boolean } = {}): Promise<TurnContext | NonNullable<TurnCheck>> {
    const stops = (s: Status | null): boolean => !s || (!opts.ended && this.store.isFinalStatus(s));
    /** what stops the turn, given the run's status and (for a turn requested ahead) whether the record chose it */
    const ahead = req.ahead === true && !opts.ended;
    const gate = (s: Status | null, chosen: boolean): TurnCheck => (stops(s) ? { status: s } : ahead && !chosen ? { status: s, skip: notChosen(req) } : null);
    const id = req.conversation_id;
    // the turn the follower waits for has begun here: it waits until the turn is done (turnDone),
    // at most PAUSE_AT_MOST_MS (then it reads on, as it would have without waiting)
    const w = this.waiting;
    if (w?.id === id && w.seq === req.sequence_number && !w.begun) {
      w.begun = true;
      if (w.timer) clearTimeout(w.timer);
      w.timer = setTimeout(() => this.release(w), PAUSE_AT_MOST_MS).unref();
    }
    let fixed = this.cache.get(id);
    if (!fixed) {
      // the first turn of a conversation this worker serves: what never changes, once
      const first = await this.store.turnSnapshot(id, 0, 0, true);
      if (stops(first.status)) return { status: first.status };
      if (!first.spec || !first.story || !first.personas) throw new Error(`conversation ${id} has no story or personas yet`);
      const material = first.spec.materials ? new MaterialIndex(await readMaterial(this.store, id)) : null;
      fixed = { spec: first.spec, story: first.story, personas: first.personas, material };
      this.cache.set(id, fixed);
      if (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
    }
    const cap = fixed.spec.limits.history_turns;
    const position = req.log_position;
    // the log up to the turn's position, already held (followed since this worker's last turn of
    // it): the turn starts now, and the status is read meanwhile
    let latest = position > 0 && cap > 0 ? this.holds(id, position, cap) : null;
    let check: Promise<TurnCheck> | null = null;
    if (latest && ahead && this.chosenAhead(id, req.sequence_number)) {
      // requested ahead, and the follower read the record right after the append that chose it:
      // the turn goes on with no read (a choice, once made, stays; a stop since then reaches the
      // turn as it reaches every turn in flight, on the abort channel)
    } else if (latest) {
      // a status that cannot be read lets the turn go on: the manager's append knows the run's status
      // (a turn requested ahead: also whether the record chose it, which the turn waits for)
      const read = ahead ? this.store.turnGate(id, req.sequence_number) : this.store.status(id).then((status) => ({ status, chosen: true }));
      check = read.then(
        (g): TurnCheck => gate(g.status, g.chosen),
        // (a turn requested ahead goes on too: were it refused, the append takes one message per turn)
        (): TurnCheck => null,
      );
    } else {
      // what this worker read of the log before, when the request's position is past it by no more than the history holds
      const held = this.tails.get(id);
      const tail = held && held.last <= position && position - held.last <= cap ? held : null;
      const snap = await this.store.turnSnapshot(id, position, cap, false, tail ? tail.last : null, ahead ? req.sequence_number : null);
      const stop = gate(snap.status, snap.chosen);
      if (stop) return stop;
      latest = tail ? [...tail.messages, ...snap.messages].slice(-cap) : snap.messages;
      this.hold(id, latest, position);
    }
    // followed while this worker serves it turn after turn (its turns of many conversations: none)
    if (this.lastServed === id) this.follower?.follow(id);
    else this.follower?.stop();
    this.lastServed = id;
    const { spec, story, personas, material: index } = fixed;
    const agent = spec.agents.find((a) => a.id === req.agent_id);
    const persona = personaOf(spec, personas, req.agent_id);
    if (!agent || !persona) throw new Error(`conversation ${id} has no agent "${req.agent_id}"`);
    const others: Speaker[] = [];
    for (const a of spec.agents) {
      const p = a.id === agent.id ? undefined : personaOf(spec, personas, a.id);
      if (p) others.push({ agent_id: a.id, kind: a.kind, persona: p });
    }
    const history = latest
      .filter((m) => m.metadata.sequence_number <= position && m.metadata.sequence_number < req.sequence_number)
      .slice(-spec.limits.history_turns)
      .map(historyEntry)
      .filter((h): h is HistoryEntry => h !== null);
    // a continued run's turns are counted after the history it carries on
    const before = spec.source?.kind === "continue" ? spec.source.history : 0;
    let material: TurnContext["material"] = null;
    if (index && spec.materials) {
      // what the conversation is about now: the latest turns; before anyone spoke, the situation and the speaker's goals
      const latest = history.slice(-QUERY_TURNS).map((h) => h.text);
      const query = latest.length ? latest.join("\n") : [story.initial_situation, ...persona.goals].join("\n");
      material = { ...index.select(query, spec.materials.budget_tokens), budget_tokens: spec.materials.budget_tokens };
    }
    return { req, spec, agent, story, persona, others, history, turn: { number: req.turn ?? Math.max(1, req.sequence_number - before), max: spec.limits.max_turns }, material, check };
  }
}
