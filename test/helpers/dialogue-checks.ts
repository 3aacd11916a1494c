/**
 * What a reader checks in a simulated conversation: a reply that follows a question answers it
 * (it takes up the question's words, names aside, in its first two sentences); no sentence is
 * said twice; every person named is one of the story's characters; the story's setting shows.
 */
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
