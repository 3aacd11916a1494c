/**
 * One simulated turn of dialogue, from the task rather than the prompt: a speaker who answers
 * the question it was just asked, takes up the points the others made, brings in the story's
 * setting, issue and goals, asks something back now and then, sums up near the end and says
 * goodbye on the last turn. Lines are whole sentences (simulated-lines.ts); no sentence is said
 * twice in the conversation (as far as the history reaches). Pure and deterministic: the seed,
 * the story, the personas, the turn and the history decide the text, never the conversation id,
 * so the same seed and configuration give the same conversation.
 *
 * Whom a turn speaks to is the most recent other speaker in the history (addresseeOf): the one it
 * greets back, answers, takes up and thanks, who has spoken. Its question goes to whoever will
 * speak next as far as the speaker can tell (askedOf): under the "addressed" turn order the
 * next_speaker it names. With three or more, a question names whom it is put to, a speaker answers
 * only a question put to it (or to no one in particular), and the first speaker greets everyone.
 * The others in the conversation come from one helper (othersOf), the one place that knows the
 * task's shape.
 */
import type { ConversationContent, HistoryEntry, Persona, StoryContent } from "../protocol/schemas.js";
import { Rng } from "./rng.js";
import * as L from "./simulated-lines.js";
import { aRole, firstName, goalOf, lastQuestion, lowerFirst, messageText, registerOf, sceneOf, sentences, swapPerson, upperFirst } from "./simulated-words.js";
import type { GenerationTask } from "./types.js";

type TurnTask = Extract<GenerationTask, { kind: "turn" }>;

/** everyone this speaker talks with */
export function othersOf(task: TurnTask): Persona[] {
  return task.others.map((o) => o.persona);
}

/** whom this turn answers: the most recent other speaker in the history, else the first of the others */
export function addresseeOf(task: TurnTask): Persona {
  const others = othersOf(task);
  const last = task.history.findLast((h) => h.speaker !== task.persona.name && !h.narrator);
  return others.find((p) => p.name === last?.speaker) ?? (others[0] as Persona);
}

/**
 * Whom this turn's question goes to: `handTo` (turn order "addressed"), else who is likely to
 * speak next: the first of the others (in the agents' order) who has not spoken, else the one who
 * spoke longest ago, as round robin goes (and random rounds mostly do). With two, the other.
 */
export function askedOf(task: TurnTask, handTo: TurnTask["others"][number] | null): Persona {
  if (handTo) return handTo.persona;
  const spoke = (o: TurnTask["others"][number]): number => task.history.findLastIndex((h) => h.agent_id === o.agent_id && !h.narrator && h.missed === undefined);
  const waited = [...task.others].sort((a, b) => spoke(a) - spoke(b))[0];
  return waited?.persona ?? addresseeOf(task);
}

/** whether a question is put to `me`: it names me, or none of the others (then it is anyone's to answer) */
export function putTo(question: string, me: Persona, task: TurnTask): boolean {
  const names = (p: Persona): boolean => new RegExp(`\\b${firstName(p.name).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`).test(question);
  return names(me) || !othersOf(task).some(names);
}

/**
 * Turn order "addressed": whom the speaker hands the word to — `address` when it names another
 * agent; with two, the other; else someone who has waited long, never the last speaker when
 * there is a choice (seeded). Null in other turn orders.
 */
export function nextOf(task: TurnTask, rng: Rng, address: string | undefined): TurnTask["others"][number] | null {
  if (task.turn_order !== "addressed") return null;
  const named = task.others.find((o) => o.agent_id === address);
  if (named) return named;
  if (task.others.length === 1) return task.others[0] ?? null;
  const last = task.history.findLast((h) => !h.narrator)?.agent_id;
  const pool = task.others.filter((o) => o.agent_id !== last);
  const spoke = (id: string): number => task.history.findLastIndex((h) => h.agent_id === id);
  const waited = Math.min(...pool.map((o) => spoke(o.agent_id)));
  const longest = pool.filter((o) => spoke(o.agent_id) === waited);
  return rng.pick(rng.chance(0.7) ? longest : pool);
}

/**
 * `endAfterTurns`: from that turn on the agent ends the conversation. `repeatAfterTurns`: from
 * that turn on it repeats its previous message word for word, the way a model caught in a loop
 * does (the manager's loop stop is tested with it).
 */
export function simulateTurn(task: TurnTask, seed: number, opts: { end_after_turns?: number | undefined; repeat_after_turns?: number | undefined; address?: string | undefined } = {}): ConversationContent {
  const endAfterTurns = opts.end_after_turns;
  const repeatAfterTurns = opts.repeat_after_turns;
  const { persona: me, turn } = task;
  const history: HistoryEntry[] = task.history.map((h) => ({ ...h, text: messageText(h.text) }));
  const mine = history.filter((h) => h.speaker === me.name);
  const ended = endAfterTurns !== undefined && turn.number >= endAfterTurns;
  const previous = mine.at(-1);
  if (repeatAfterTurns !== undefined && turn.number >= repeatAfterTurns && previous) {
    return { message: previous.text, sentiment: 0, references: [], end_conversation: ended };
  }
  const handTo = nextOf(task, new Rng(`${seed}|next|${task.sequence_number}|${me.name}`), opts.address);
  // whom I answer and thank (they spoke), and whom I ask (who speaks next): with two, the other
  const you = addresseeOf(task);
  const asked = askedOf(task, handTo);
  const rng = new Rng(`${seed}|turn|${task.sequence_number}|${me.name}|${you.name}|${turn.number}`);
  const t = new Turn(rng, task.story, me, you, asked, history, task.others.length > 1);
  const last = history.findLast((h) => h.speaker !== me.name);
  const lastAsked = last ? lastQuestion(last.text) : null;
  // a question put to someone else is theirs to answer
  const question = lastAsked && putTo(lastAsked, me, task) ? lastAsked : null;
  const closing = ended || turn.number >= turn.max;
  const wrapping = !closing && turn.max >= 4 && turn.number === turn.max - 1;

  if (question) t.answer(question);
  if (mine.length === 0 && !last) {
    // the very first turn: who I am, why I'm here, and a question to get going
    t.say((t.group ? L.GROUP_GREETINGS : L.GREETINGS)[t.register]);
    if (rng.chance(0.5)) t.say(L.ROLE_INTROS);
    else if (t.vars.place && rng.chance(0.7)) t.say(L.PLACE_LINES);
    t.say(L.PURPOSES);
    t.ask(["start", "matters", "issue"]);
  } else if (mine.length === 0) {
    t.out.unshift(...t.take(L.GREETINGS_BACK));
    if (closing) t.farewell();
    else {
      t.say(L.PURPOSES);
      if (t.out.length < 3 && t.vars.place && rng.chance(0.5)) t.say(L.PLACE_LINES);
      if (rng.chance(0.7)) t.ask();
    }
  } else if (closing) {
    if (!question && last && rng.chance(0.5)) t.react(last.text);
    t.farewell();
  } else if (wrapping) {
    t.say(L.WIND_DOWNS);
    // summed up to the one asked whether it is fair
    t.toward(t.askVars, () => {
      if (!t.say(L.SUMMARIES)) t.say(L.SUMMARY_FALLBACKS);
    });
    t.ask(["fair"]);
  } else if (!question && last && asked.name === you.name && !t.recognises(last.text) && rng.chance(0.2) && t.ask(["why"], true)) {
    // a short turn: asking the last speaker to explain what they said (when they are the one I ask)
  } else {
    if (!question && last) t.react(last.text);
    t.point();
    if (t.out.length < 2) t.point();
    if (rng.chance(question ? 0.5 : 0.7)) t.ask();
  }
  // everything fitting was said already: what was said longest ago, rather than nothing
  if (t.out.length === 0) t.out.push(t.stalest(L.GENERIC_POINTS));
  // the material the prompt carries: a line of its most relevant chunk, said as where it comes from
  const fact = closing ? null : materialLine(task, rng, history);
  if (fact) {
    t.out.splice(Math.min(1, t.out.length), 0, fact.text);
    t.references.push(fact.id);
  }
  return {
    message: t.out.slice(0, 4).join(" "),
    sentiment: Math.round(Math.max(-1, Math.min(1, t.sentiment)) * 100) / 100,
    references: t.references,
    end_conversation: ended,
    ...(handTo ? { next_speaker: handTo.agent_id } : {}),
  };
}

/** what fills the placeholders: null where this story has nothing to say */
type Vars = Record<"me" | "you" | "myRole" | "yourRole" | "goal" | "yourGoal" | "place" | "Place" | "daypart" | "issue", string | null>;

/** every register's interjections, in the order simulated-lines.ts lists them */
const ALL_INTERJECTIONS: readonly string[] = Object.values(L.INTERJECTIONS).flat();

/** one turn being written: the sentences so far, and what may still be said */
class Turn {
  readonly out: string[] = [];
  readonly references: string[] = [];
  readonly register: L.Register;
  /** the placeholders as they are filled now: `youVars`, or `askVars` while a question is written */
  vars: Vars;
  /** the placeholders for the one I answer ({you}: the most recent other speaker) */
  readonly youVars: Vars;
  /** the same, with {you}, {yourRole} and {yourGoal} those of the one I ask */
  readonly askVars: Vars;
  sentiment: number;
  /** the sentences of each message so far (compared as `norm` makes them), and all of their text */
  private readonly said: Array<Set<string>>;
  private readonly heard: string;

  constructor(
    private readonly rng: Rng,
    story: StoryContent,
    private readonly me: Persona,
    you: Persona,
    asked: Persona,
    private readonly history: HistoryEntry[],
    /** three or more in the conversation */
    readonly group: boolean,
  ) {
    this.register = registerOf(me.speaking_style);
    this.sentiment = rng.range(-0.05, 0.35);
    const scene = sceneOf(story);
    this.vars = this.youVars = {
      me: me.name,
      you: firstName(you.name),
      myRole: aRole(me.role),
      yourRole: aRole(you.role),
      goal: goalOf(me, "me"),
      yourGoal: goalOf(you, "you"),
      place: scene.place,
      Place: scene.place ? upperFirst(scene.place) : null,
      daypart: scene.daypart,
      issue: scene.issue,
    };
    this.askVars = { ...this.youVars, you: firstName(asked.name), yourRole: aRole(asked.role), yourGoal: goalOf(asked, "you") };
    this.names = [me, you, asked].map((p) => firstName(p.name));
    this.said = history.map((h) => new Set(sentences(h.text).map((s) => this.norm(s))));
    this.heard = history.map((h) => h.text.toLowerCase()).join("\n");
  }

  private readonly names: string[];

  /** what `norm` made of each sentence this turn (a turn compares the same sentences many times) */
  private readonly normed = new Map<string, string>();

  /** a sentence as compared for repeats: without an interjection or names, in lower case */
  private norm(s: string): string {
    const known = this.normed.get(s);
    if (known !== undefined) return known;
    let t = s;
    for (const i of ALL_INTERJECTIONS) if (t.startsWith(i)) t = t.slice(i.length);
    for (const n of this.names) t = t.replaceAll(n, "<name>");
    t = t.toLowerCase();
    this.normed.set(s, t);
    return t;
  }

  /** `fn` with the placeholders `vars` */
  toward<T>(vars: Vars, fn: () => T): T {
    const keep = this.vars;
    this.vars = vars;
    try {
      return fn();
    } finally {
      this.vars = keep;
    }
  }

  /** a template filled in, or null when a placeholder has no value here */
  fill(template: string, x?: string): string | null {
    let missing = false;
    const text = template.replace(/\{(\w+)\}/g, (_, k: string) => {
      const v = k === "x" ? x : k === "X" ? (x === undefined ? x : upperFirst(x)) : this.vars[k as keyof Vars];
      if (v === null || v === undefined) missing = true;
      return v ?? "";
    });
    return missing ? null : text;
  }

  /** not said in the last `within` messages (all of them by default) nor in this one; its filler never said */
  private fresh(text: string | null, filler?: string, within = Infinity): boolean {
    if (text === null) return false;
    const norm = this.norm(text);
    if (this.said.slice(-within).some((set) => set.has(norm)) || this.out.some((s) => this.norm(s) === norm)) return false;
    return filler === undefined || !this.heard.includes(filler.toLowerCase());
  }

  /** of `lines`, the one said longest ago (or never) */
  stalest(lines: readonly string[]): string {
    const lastSaid = (l: string): number => this.said.findLastIndex((set) => set.has(this.norm(l)));
    return [...lines].sort((a, b) => lastSaid(a) - lastSaid(b))[0] ?? "";
  }

  /**
   * One fresh sentence from the templates, picked by the rng (none when all were said). A filler
   * is said at most once in the conversation, unless it is `quoted` (what the last speaker said).
   */
  take(templates: readonly string[], fillers?: readonly string[], quoted = false): string[] {
    const options: string[] = [];
    for (const tpl of templates) {
      for (const x of fillers ?? [undefined]) {
        const text = this.fill(tpl, x);
        if (this.fresh(text, quoted ? undefined : x)) options.push(text as string);
      }
    }
    return options.length === 0 ? [] : [this.rng.pick(options)];
  }

  /** adds one fresh sentence from `templates`; false when none is left */
  say(templates: readonly string[], fillers?: readonly string[], opts: { interject?: boolean; quoted?: boolean } = {}): boolean {
    const [text] = this.take(templates, fillers, opts.quoted);
    const interject = opts.interject ?? false;
    if (!text) return false;
    const lead = interject && this.rng.chance(0.25) && /^(I'd|It|The|Most|Some|Part|There|We)\b/.test(text) ? this.rng.pick(L.INTERJECTIONS[this.register]) : "";
    this.out.push(lead ? lead + lowerFirst(text) : text);
    return true;
  }

  /** the answer to the question the last speaker asked */
  answer(question: string): void {
    const kind = L.QUESTIONS.find((q) => q.match.test(question));
    if (kind && this.say(kind.answers, kind.fillers)) {
      this.sentiment += 0.1;
      return;
    }
    // a question of another kind (or a real model's): taken up, then answered with a point
    this.say(["That's a good question, {you}.", "Good question; let me answer it honestly.", "Let me answer that as well as I can."]);
    this.point();
  }

  /** whether the message makes a point `react` can take up */
  recognises(text: string): boolean {
    return L.POINTS.some((p) => p.find.test(text));
  }

  /** takes up a point the last speaker made, or reacts to it */
  react(text: string): void {
    for (const s of sentences(text).reverse()) {
      for (const p of L.POINTS) {
        const m = p.find.exec(s);
        if (!m?.[1]) continue;
        const x = p.heard ? p.heard(swapPerson(m[1])) : swapPerson(m[1]);
        if (this.say(p.replies, [x], { quoted: true })) {
          this.references.push(x);
          return;
        }
      }
    }
    // short reactions may come back once two dozen messages have passed
    const options = L.ACKS.filter(([, tpl]) => this.fresh(this.fill(tpl), undefined, 24));
    if (options.length === 0) return;
    const [nudge, tpl] = this.rng.pick(options);
    this.out.push(this.fill(tpl) as string);
    this.sentiment += nudge * 0.25;
  }

  /** one of my own points: the story's issue, the goals, my role, my traits, or a general one */
  point(): void {
    const traits = this.me.traits.map((tr) => L.TRAIT_POINTS[tr.toLowerCase()]).filter((l): l is string => l !== undefined);
    // the role and the goals are long: each at most once in a few of my turns
    const mentioned = (v: string | null, turns: number): boolean => v !== null && this.recent(turns).some((s) => s.includes(v));
    const groups: Array<[number, () => boolean]> = [
      [2, () => !mentioned(this.vars.issue, 2) && this.say(L.ISSUE_POINTS)],
      [1, () => !mentioned(this.vars.goal, 4) && this.say(L.GOAL_POINTS)],
      [1, () => !mentioned(this.vars.yourGoal, 4) && this.say(L.YOUR_GOAL_POINTS)],
      [2, () => !mentioned(this.vars.myRole, 2) && this.say(L.ROLE_POINTS, L.ROLE_INSIGHTS)],
      [2, () => this.say(traits)],
      [3, () => this.say(L.GENERIC_POINTS, undefined, { interject: true })],
    ];
    while (groups.length > 0) {
      const total = groups.reduce((n, [w]) => n + w, 0);
      let r = this.rng.next() * total;
      const i = Math.max(0, groups.findIndex(([w]) => (r -= w) < 0));
      const [[, tryIt]] = groups.splice(i, 1) as [[number, () => boolean]];
      if (tryIt()) return;
    }
    // a long conversation has used them all: the one said longest ago, if not lately
    const old = this.stalest([...L.GENERIC_POINTS, ...traits]);
    if (this.fresh(old, undefined, 16)) this.out.push(old);
  }

  /** this turn's sentences and my last `turns` messages */
  private recent(turns: number): string[] {
    return [...this.out, ...this.history.filter((h) => h.speaker === this.me.name).slice(-turns).map((h) => h.text)];
  }

  /**
   * A question (of the `only` kinds, when given): a kind asked least so far, at most twice in
   * the conversation, and only while an answer to it can still be new.
   */
  ask(only?: readonly string[], anyway = false): boolean {
    return this.toward(this.askVars, () => this.askNow(only, anyway));
  }

  /** with three or more, the forms of a question that name whom it is put to (or it is put to them by name) */
  private named(asks: readonly string[]): readonly string[] {
    if (!this.group) return asks;
    const naming = asks.filter((a) => a.includes("{you}"));
    return naming.length > 0 ? naming : asks.map((a) => `{you}, ${lowerFirst(a)}`);
  }

  private askNow(only: readonly string[] | undefined, anyway: boolean): boolean {
    const times = (k: L.QuestionKind): number => this.history.filter((h) => sentences(h.text).some((s) => s.endsWith("?") && k.match.test(s))).length;
    const answerable = (k: L.QuestionKind): boolean => !k.fillers || k.fillers.some((x) => !this.heard.includes(x.toLowerCase()));
    const open = (only ? L.QUESTIONS.filter((k) => only.includes(k.id)) : L.QUESTIONS.filter((k) => k.id !== "fair" && k.id !== "why"))
      .filter((k) => times(k) < 2 && answerable(k))
      .map((k) => ({ k, n: times(k), r: this.rng.next() }))
      .sort((a, b) => a.n - b.n || a.r - b.r);
    if (anyway && open.length === 0) return false;
    for (const { k } of open) if (this.say(this.named(k.asks))) return true;
    return false;
  }

  /** thanks and goodbye, with the time of day when the story has one */
  farewell(): void {
    this.say(L.THANKS);
    if (!this.say(L.FAREWELLS)) this.say(L.FAREWELLS_PLAIN);
    this.sentiment += 0.3;
  }
}

/** a line of the most relevant chunk not yet said in the conversation, as a sentence naming its source */
function materialLine(task: TurnTask, rng: Rng, history: readonly HistoryEntry[]): { id: string; text: string } | null {
  const top = task.material?.[0];
  if (!top) return null;
  const heard = history.map((h) => h.text).join("\n");
  const lines = top.text
    .split(/\n+|(?<=[.!?])\s+/)
    .map((l) => l.trim().replace(/^[-*]\s*/, ""))
    .filter((l) => l.length >= 12 && l.length <= 300 && !heard.includes(l));
  if (lines.length === 0) return null;
  const line = rng.pick(lines).replace(/[.;:,]+$/, "");
  return { id: top.id, text: `${top.title.replace(/[.:]+$/, "")} has it: ${line}.` };
}
