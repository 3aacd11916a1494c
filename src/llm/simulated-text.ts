/**
 * What the simulated provider writes, from the task rather than the prompt: a story, a persona
 * pair, or one turn of dialogue, each valid against its protocol schema. Pure and
 * deterministic: the same seed and task give the same text. The phrase banks are in
 * simulated-phrases.ts; a seeded PRNG combines them with words taken from the story, the
 * persona and the partner's last message, and no speaker repeats a sentence it already said.
 */
import type { ConversationContent, HistoryEntry, Persona, PersonaPair, StoryContent } from "../protocol/schemas.js";
import type { Scenario } from "../protocol/record.js";
import type { GenerationTask } from "./types.js";
import { Rng } from "./rng.js";
import { simulateJudge } from "./simulated-judge.js";
import {
  ACKS,
  AMBIENCE,
  ANSWER_OPENERS,
  CLAIMS,
  CLOSINGS,
  EXTRA_GOALS,
  FIRST_NAMES,
  GENERIC_TOPICS,
  GREETINGS,
  GREETINGS_BACK,
  HOOKS,
  INTENTS,
  INTERJECTIONS,
  LAST_NAMES,
  PURPOSES,
  QUESTIONS,
  STYLES,
  TIMES,
  TRAITS,
  WIND_DOWN,
} from "./simulated-phrases.js";

export type TaskRole = { id: string; role: string; goal?: string | undefined };
type TurnTask = Extract<GenerationTask, { kind: "turn" }>;

/** The JSON text a model would return for `task`. */
export function simulateText(task: GenerationTask, seed: number, endAfterTurns?: number, repeatAfterTurns?: number): string {
  switch (task.kind) {
    case "story":
      return JSON.stringify(simulateStory(task.scenario, task.roles, seed));
    case "personas":
      return JSON.stringify(simulatePersonas(task.scenario, task.story, task.roles, seed));
    case "turn":
      return JSON.stringify(simulateTurn(task, seed, endAfterTurns, repeatAfterTurns));
    case "judge":
      return JSON.stringify(simulateJudge(task, seed));
  }
}

// ---------------------------------------------------------------- story and personas

export function simulateStory(scenario: Scenario, roles: readonly TaskRole[], seed: number): StoryContent {
  const rng = new Rng(`${seed}|story|${scenario.title}|${scenario.premise}|${roles.map((r) => r.role).join("|")}`);
  const cast: TaskRole[] = roles.slice(0, 8);
  while (cast.length < 2) cast.push({ id: `extra-${cast.length}`, role: cast.length ? "bystander" : "participant" });
  const firsts = rng.sample(FIRST_NAMES, cast.length);
  const lasts = rng.sample(LAST_NAMES, cast.length);
  const characters = cast.map((r, i) => ({
    name: `${firsts[i] ?? "Alex"} ${lasts[i] ?? "Morgan"}`,
    role: clip(r.role.trim() || "participant", 120),
  }));
  const premise = asSentence(scenario.premise);
  const setting = scenario.setting?.trim() ? scenario.setting : `${premise} ${rng.pick(TIMES)} ${rng.pick(AMBIENCE)}`;
  const intros = characters.map((c, i) => {
    const goal = cast[i]?.goal?.trim();
    const vp = goal ? goalPhrase(goal) : null;
    const intent = vp ? `wants to ${vp}` : goal ? `has one thing in mind: "${stripEnd(goal)}"` : rng.pick(INTENTS);
    return `${c.name}, ${theRole(c.role)}, ${intent}.`;
  });
  return {
    title: clip(scenario.title.trim() || "Untitled", 160),
    setting: clip(setting, 1200),
    characters,
    initial_situation: clip(`${premise} ${intros.join(" ")} ${rng.pick(HOOKS)}`, 1200),
  };
}

export function simulatePersonas(
  scenario: Scenario,
  story: StoryContent,
  roles: readonly TaskRole[],
  seed: number,
): PersonaPair {
  const rng = new Rng(`${seed}|personas|${scenario.title}|${story.characters.map((c) => c.name).join("|")}`);
  const used = new Set<string>();
  const personas = [0, 1].map((i): Persona => {
    const r = roles[i] ?? { id: String(i), role: story.characters[i]?.role ?? "participant" };
    const other = roles[1 - i]?.role ?? story.characters[1 - i]?.role ?? "the other person";
    const ch =
      story.characters.find((c) => c.role === r.role && !used.has(c.name)) ??
      story.characters.find((c, j) => j === i && !used.has(c.name));
    const name = ch?.name ?? `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
    used.add(name);
    const goals = r.goal?.trim() ? [clip(r.goal.trim(), 240)] : [];
    const extra = rng.sample(EXTRA_GOALS, 1 + rng.int(3) - goals.length);
    goals.push(...extra.map((g) => clip(g.replace("{other}", theRole(other)), 240)));
    return {
      name: clip(name, 80),
      role: clip(r.role.trim() || "participant", 120),
      traits: rng.sample(TRAITS, 2 + rng.int(3)),
      goals,
      speaking_style: rng.pick(STYLES),
    };
  });
  return { personas: personas as [Persona, Persona] };
}

// ---------------------------------------------------------------- one turn

type Register = "formal" | "casual" | "blunt" | "neutral";

/**
 * One turn. `endAfterTurns`: from that turn on the agent ends the conversation.
 * `repeatAfterTurns`: from that turn on the agent repeats its previous message word for word,
 * the way a model caught in a loop does (the manager's loop stop is tested with it).
 */
export function simulateTurn(task: TurnTask, seed: number, endAfterTurns?: number, repeatAfterTurns?: number): ConversationContent {
  const { persona: me, partner, turn } = task;
  const rng = new Rng(`${seed}|turn|${task.sequence_number}|${me.name}|${turn.number}`);
  const history: HistoryEntry[] = task.history.map((h) => ({ ...h, text: messageText(h.text) }));
  const mine = history.filter((h) => h.speaker === me.name);
  const last = history.findLast((h) => h.speaker !== me.name);
  const ended = endAfterTurns !== undefined && turn.number >= endAfterTurns;
  const previous = mine.at(-1);
  if (repeatAfterTurns !== undefined && turn.number >= repeatAfterTurns && previous) {
    return { message: previous.text, sentiment: 0, references: [], end_conversation: ended };
  }
  const closing = ended || turn.number >= turn.max;
  const windingDown = !closing && turn.max > 4 && turn.number >= turn.max - 2;

  const register = registerOf(me.speaking_style);
  const partnerFirst = firstName(partner.name);
  const said = new Set(mine.flatMap((h) => splitSentences(h.text)));
  /** sentences of the last few messages, both sides: a new sentence must not echo their wording */
  const recent = history.slice(-4).flatMap((h) => splitSentences(h.text).map(wordSet));
  const goals = me.goals.map((g) => g.trim()).filter(Boolean);
  const roleish = new Set(task.story.characters.concat(me, partner).map((c) => theRole(c.role).toLowerCase()));
  const storyTopics = unique([
    ...goals.flatMap(nounPhrases),
    ...nounPhrases(storyText(task.story.initial_situation)),
    ...nounPhrases(storyText(task.story.setting)),
    ...nounPhrases(task.story.title),
  ]).filter((t) => ![...roleish].some((r) => t.toLowerCase().endsWith(r.slice(4))) && !t.includes(partnerFirst));
  const topic = (): string =>
    storyTopics.length > 0 && rng.chance(0.55) ? rng.pick(storyTopics) : rng.pick(GENERIC_TOPICS);
  const known = [...storyTopics, ...GENERIC_TOPICS];
  const keyword = last ? pickKeyword(rng, last.text, known, mine.slice(-1).map((h) => h.text), roleish) : null;
  const asked = last ? last.text.trim().endsWith("?") : false;

  const fill = (template: string, kw?: string): string => {
    const goal = rng.pick(goals.length ? goals : ["get somewhere useful today"]);
    let t1 = kw ?? topic();
    for (let i = 0; i < 3 && !kw && template.includes("{goal}") && goal.includes(t1.slice(4)); i++) t1 = topic();
    let t2 = topic();
    for (let i = 0; i < 3 && t2 === t1; i++) t2 = topic();
    return template
      .replaceAll("{partner}", partnerFirst)
      .replaceAll("{me}", me.name)
      .replaceAll("{myRole}", theRole(me.role))
      .replaceAll("{partnerRole}", theRole(partner.role))
      .replaceAll("{goal}", goalPhrase(goal) ?? "get what I came for")
      .replaceAll("{kw}", t1)
      .replaceAll("{topic}", t1)
      .replaceAll("{topic2}", t2);
  };
  const out: string[] = [];
  const usedTemplates = new Set<string>();
  /** a template not used yet in this message */
  const fresh = <T>(bank: readonly T[]): T => {
    let t = rng.pick(bank);
    for (let i = 0; i < 4 && usedTemplates.has(String(t)); i++) t = rng.pick(bank);
    usedTemplates.add(String(t));
    return t;
  };
  let sentiment = rng.range(-0.1, 0.45);
  /** adds one sentence not said before by this speaker (a few tries), returns whether it did */
  const add = (make: () => string): boolean => {
    for (let i = 0; i < 6; i++) {
      const s = finish(make());
      const words = wordSet(s);
      const echoes = [...recent, ...out.map(wordSet)].some((w) => overlap(words, w) >= 0.6);
      if (!said.has(s) && !echoes) {
        out.push(s);
        return true;
      }
    }
    return false;
  };
  const claim = (kw?: string) =>
    add(() => {
      const template = fresh(kw ? CLAIMS_ON_TOPIC : CLAIMS);
      const prefix = rng.chance(0.3) && !/^(give|let|in my|for me|the way)\b/.test(template) ? rng.pick(INTERJECTIONS[register]) : "";
      return prefix + fill(template, kw);
    });
  const question = () => add(() => fill(fresh(QUESTIONS), keyword && rng.chance(0.3) ? keyword : undefined));
  const purpose = () => {
    const goal = goals[0] ?? "get somewhere useful today";
    const vp = goalPhrase(goal);
    add(() => (vp ? rng.pick(PURPOSES).replace("{goal}", vp) : goal));
  };
  const react = () => {
    if (!last) return;
    if (asked) {
      if (rng.chance(0.65)) add(() => fill(rng.pick(ANSWER_OPENERS)));
      claim(keyword ?? undefined);
    } else if (keyword && rng.chance(0.85)) {
      const [polarity, template] = rng.pick(ACKS);
      if (add(() => fill(template, keyword))) sentiment += polarity * 0.3;
    }
  };

  if (mine.length === 0) {
    const greeting = rng.pick(last ? GREETINGS_BACK : GREETINGS[register]);
    add(() => fill(greeting) + (rng.chance(0.8) ? `, ${theRole(me.role)}` : ""));
    react();
    purpose();
    if (!last || rng.chance(0.5)) question();
  } else if (closing) {
    if (rng.chance(0.5)) react();
    add(() => fill(fresh(CLOSINGS)));
    if (rng.chance(0.4)) add(() => fill(fresh(CLOSINGS)));
    sentiment += 0.3;
  } else if (windingDown) {
    react();
    add(() => fill(rng.pick(WIND_DOWN)));
    if (rng.chance(0.4)) claim();
  } else {
    react();
    const claims = rng.int(2) + (out.length === 0 ? 1 : 0);
    for (let i = 0; i < claims; i++) claim();
    if (rng.chance(asked ? 0.35 : 0.55)) question();
  }
  // everything was said before: repeat rather than fall silent
  if (out.length === 0) out.push(finish(fill(rng.pick(CLAIMS))));
  const sentences = out.slice(0, 4);
  if (!sentences.some((s) => s.includes(partnerFirst)) && rng.chance(0.2)) {
    const i = rng.int(sentences.length);
    const s = sentences[i] ?? "";
    sentences[i] = `${s.slice(0, -1)}, ${partnerFirst}${s.slice(-1)}`;
  }
  return {
    message: sentences.join(" "),
    sentiment: Math.round(Math.max(-1, Math.min(1, sentiment)) * 100) / 100,
    references: keyword && last ? [keyword] : [],
    end_conversation: ended,
  };
}

// ---------------------------------------------------------------- text helpers

/** claims about a topic the partner raised (no {goal}: the topic may be part of the goal) */
const CLAIMS_ON_TOPIC = CLAIMS.filter((t) => t.includes("{topic}") && !t.includes("{goal}"));
const DETERMINERS = new Set(["the", "a", "an", "your", "my", "our", "their"]);
const STOPWORDS = new Set(
  ("a an the and or but if then so of to in on at by for with from as is are was were be been being it its this " +
    "that these those there here he she they them we us you your i me my our their his her what which who whom " +
    "how why when where not no nor do does did done have has had can could would should will shall may might must " +
    "just very really also too than into over under about after before again more most some any each all both " +
    "only own same other such up down out off once while because until against between through during above below")
    .split(" "),
);

/** words of our own dialogue phrases: never picked up from a message, or speakers would echo templates */
const BANK_VOCAB = new Set(
  [CLAIMS, QUESTIONS, ANSWER_OPENERS, WIND_DOWN, CLOSINGS, PURPOSES, GREETINGS_BACK]
    .flatMap((bank): readonly string[] => bank)
    .concat(ACKS.map(([, t]) => t), Object.values(INTERJECTIONS).flat(), Object.values(GREETINGS).flat())
    .flatMap((t) => t.toLowerCase().split(/[^a-z']+/))
    .filter((w) => w.length >= 3),
);
/** what the story writer adds on its own: not a source of topics */
const BOILERPLATE: ReadonlySet<string> = new Set([...TIMES, ...AMBIENCE, ...HOOKS]);
const storyText = (text: string): string =>
  INTENTS.reduce(
    (t, intent) => t.replaceAll(intent, ""),
    splitSentences(text)
      .filter((s) => !BOILERPLATE.has(s))
      .join(" "),
  );

/** noun-ish phrases: up to three content words after a determiner, written with "the" */
export function nounPhrases(text: string): string[] {
  const out: string[] = [];
  for (const clause of text.split(/[.,;:!?()"“”]+/)) {
    const words = clause.split(/[^\p{L}\p{N}'’-]+/u).filter(Boolean);
    for (let i = 0; i < words.length; i++) {
      if (!DETERMINERS.has((words[i] ?? "").toLowerCase())) continue;
      const np: string[] = [];
      for (let j = i + 1; j < words.length && np.length < 3; j++) {
        const w = words[j] ?? "";
        if (STOPWORDS.has(w.toLowerCase()) || w.length < 3 || /(ed|ly)$/i.test(w)) break;
        np.push(w);
        if (/ing$/i.test(w)) break;
      }
      if (np.length > 0) out.push(`the ${np.join(" ")}`);
    }
  }
  return out;
}

const fromBanks = (np: string): boolean => np.split(" ").slice(1).some((w) => BANK_VOCAB.has(w.toLowerCase()));

/**
 * What to pick up from the partner's message: a topic both sides know if it names one, else a
 * phrase of its own; preferably not one this speaker just used (or the two would echo forever).
 */
function pickKeyword(
  rng: Rng,
  text: string,
  known: readonly string[],
  avoid: readonly string[],
  exclude: ReadonlySet<string>,
): string | null {
  const lower = text.toLowerCase();
  const named = known.filter((t) => lower.includes(t.toLowerCase()));
  const own = unique(nounPhrases(text)).filter((np) => !fromBanks(np) && !named.some((t) => t.includes(np)));
  let options = unique([...named, ...own]).filter(
    (o) => !exclude.has(o.toLowerCase()),
  );
  if (options.length === 0) {
    options = text
      .split(/[^\p{L}\p{N}'’-]+/u)
      .filter((w) => w.length >= 5 && !STOPWORDS.has(w.toLowerCase()) && !BANK_VOCAB.has(w.toLowerCase()))
      .map((w) => w.toLowerCase());
  }
  const fresh = options.filter((o) => !avoid.some((a) => a.toLowerCase().includes(o.toLowerCase())));
  const pool = fresh.length > 0 ? fresh : options;
  return pool.length > 0 ? rng.pick(pool) : null;
}

/** the message of a history entry, whether it holds plain text or the agent's JSON */
function messageText(text: string): string {
  if (!text.trimStart().startsWith("{")) return text;
  try {
    const v: unknown = JSON.parse(text);
    const m = typeof v === "object" && v !== null ? (v as { message?: unknown }).message : undefined;
    return typeof m === "string" ? m : text;
  } catch {
    return text;
  }
}

/** a goal as a verb phrase ("find common ground"), or null when it reads as a sentence */
function goalPhrase(goal: string): string | null {
  const g = stripEnd(goal).replace(/^to\s+/i, "");
  if (/^(i|i'm|i’m|my|we|we're|our)\b/i.test(g) || g.includes(". ")) return null;
  return lowerFirst(g);
}

function registerOf(style: string): Register {
  if (/formal|polite|precise|measured|courteous|professional/i.test(style)) return "formal";
  if (/blunt|direct|terse|curt|short|plain/i.test(style)) return "blunt";
  if (/casual|chatty|relaxed|friendly|joke|informal|warm/i.test(style)) return "casual";
  return "neutral";
}

const theRole = (role: string): string => (/^(the|a|an)\s/i.test(role) ? lowerFirst(role) : `the ${lowerFirst(role)}`);
const firstName = (name: string): string => name.trim().split(/\s+/)[0] || name;
const lowerFirst = (s: string): string => (/^\p{Lu}\p{Ll}/u.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s);
const upperFirst = (s: string): string => (s ? s[0]!.toUpperCase() + s.slice(1) : s);
const stripEnd = (s: string): string => s.trim().replace(/[.!;,\s]+$/, "");
const asSentence = (s: string): string => upperFirst(/[.!?]$/.test(s.trim()) ? s.trim() : `${s.trim()}.`);
const finish = (s: string): string => asSentence(s);
const wordSet = (s: string): Set<string> => new Set(s.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? []);
/** Jaccard similarity of two word sets */
const overlap = (a: Set<string>, b: Set<string>): number => {
  const shared = [...a].filter((w) => b.has(w)).length;
  return shared === 0 ? 0 : shared / (a.size + b.size - shared);
};
const unique = <T>(xs: T[]): T[] => [...new Set(xs)];
const splitSentences = (text: string): string[] => text.split(/(?<=[.!?])\s+/).filter(Boolean);
const clip = (s: string, max: number): string => (s.length <= max ? s : s.slice(0, max - 1).trimEnd() + "…");
