/**
 * What a reader checks in a simulated conversation: a reply that follows a question answers it
 * (it takes up the question's words, names aside, in its first two sentences); no sentence is
 * said twice; every person named is one of the story's characters; the story's setting shows.
 * With three or more: nobody answers a question put to someone else, and nobody is greeted or
 * thanked by name before they have spoken.
 */
import { QUESTIONS } from "../../src/llm/simulated-lines.js";
import { FIRST_NAMES, LAST_NAMES } from "../../src/llm/simulated-phrases.js";
import type { StoryContent } from "../../src/protocol/schemas.js";

export interface Said {
  speaker: string;
  text: string;
}

const STOP = new Set(
  ("the and but for with from are was were its this that these those you your me my our what which who how why when where " +
    "does did have has had would could should will can not any there here about just all out also one").split(" "),
);
const stem = (w: string): string => w.replace(/'s$/, "").replace(/(ing|ed|es|s)$/, "");
export const sentencesOf = (text: string): string[] => text.split(/(?<=[.!?])\s+/).filter(Boolean);

/** content words, stemmed, without the given names */
export function contentWords(text: string, names: readonly string[] = []): Set<string> {
  const drop = new Set(names.map((n) => n.toLowerCase()));
  return new Set(
    (text.toLowerCase().match(/[a-z][a-z'-]*/g) ?? [])
      .filter((w) => !drop.has(w))
      .map(stem)
      .filter((w) => w.length >= 3 && !STOP.has(w)),
  );
}

/** each reply that follows a question, and whether it answers it */
export function answersToQuestions(run: readonly Said[], names: readonly string[]): Array<{ question: string; reply: string; answered: boolean }> {
  const out: Array<{ question: string; reply: string; answered: boolean }> = [];
  for (let i = 1; i < run.length; i++) {
    const question = sentencesOf(run[i - 1]!.text).at(-1) ?? "";
    if (!question.endsWith("?")) continue;
    const reply = run[i]!.text;
    const asked = contentWords(question, names);
    const start = contentWords(sentencesOf(reply).slice(0, 2).join(" "), names);
    out.push({ question, reply, answered: [...asked].some((w) => start.has(w)) });
  }
  return out;
}

/** sentences said more than once in the run */
export function repeatedSentences(run: readonly Said[]): string[] {
  const seen = new Map<string, number>();
  for (const m of run) for (const s of sentencesOf(m.text)) seen.set(s, (seen.get(s) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([s]) => s);
}

/** names (of the simulator's name banks) used in the run that belong to no character of the story */
export function strangers(run: readonly Said[], story: StoryContent): string[] {
  const cast = new Set(story.characters.flatMap((c) => c.name.split(/\s+/)));
  const names = new Set<string>([...FIRST_NAMES, ...LAST_NAMES]);
  return [...new Set(run.flatMap((m) => m.text.match(/\p{Lu}\p{Ll}+/gu) ?? []))].filter((w) => names.has(w) && !cast.has(w));
}

/** the time of day the story's setting names ("afternoon"), if it names one */
export const daypartOf = (story: StoryContent): string | null => /\b(morning|afternoon|evening|night)\b/i.exec(story.setting)?.[1]?.toLowerCase() ?? null;

const firstNameOf = (name: string): string => name.trim().split(/\s+/)[0] ?? name;
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** a template of simulated-lines.ts as a pattern: every placeholder is some text */
const templatePattern = (tpl: string): RegExp => new RegExp(`^${tpl.split(/\{\w+\}/).map(escape).join(".+")}$`, "i");

/**
 * In a conversation of three or more: each question that names one of the others (by first name)
 * and the reply that follows it, when the one who replies is not the one asked and answers it all
 * the same (a sentence of the reply is one of the answers to that kind of question).
 */
export function answeredForOthers(run: readonly Said[], people: readonly string[]): Array<{ question: string; asked: string; by: string; reply: string }> {
  const out: Array<{ question: string; asked: string; by: string; reply: string }> = [];
  for (let i = 1; i < run.length; i++) {
    const question = sentencesOf(run[i - 1]!.text).at(-1) ?? "";
    if (!question.endsWith("?")) continue;
    const asked = people.find((p) => p !== run[i - 1]!.speaker && new RegExp(`\\b${escape(firstNameOf(p))}\\b`).test(question));
    const by = run[i]!.speaker;
    if (!asked || asked === by) continue;
    const kind = QUESTIONS.find((k) => k.match.test(question));
    const answers = (kind?.answers ?? []).map(templatePattern);
    const reply = run[i]!.text;
    if (sentencesOf(reply).some((s) => answers.some((a) => a.test(s)))) out.push({ question, asked, by, reply });
  }
  return out;
}

/** each greeting or thanks by name ("Hello Maya", "Thank you, Maya") to someone who had not spoken yet */
export function greetedUnheard(run: readonly Said[]): Array<{ turn: number; name: string; text: string }> {
  const out: Array<{ turn: number; name: string; text: string }> = [];
  const heard = new Set<string>();
  run.forEach((m, i) => {
    for (const g of m.text.matchAll(/\b(?:Hello|Hi|Hey|meet you(?: too)?,|Thanks,|Thank you,|good to talk,) (\p{Lu}\p{Ll}+)/gu)) {
      if (!heard.has(g[1]!)) out.push({ turn: i + 1, name: g[1]!, text: m.text });
    }
    heard.add(firstNameOf(m.speaker));
  });
  return out;
}
