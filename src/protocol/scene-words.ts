/**
 * How a scene's words fit the people in it: the `{count}` placeholder of a scenario ("{Count}
 * strangers share…" reads "Two strangers share…" with two agents, "Four strangers…" with four),
 * and how a topic (`dialogue run --topic`) reads inside a sentence ("to talk about whether the
 * town should build a tram line"). Pure; shared by the command line's cast flags, the web
 * server's start, and the simulated story, so they read a scene the same way.
 */

const NUMBERS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"] as const;

/** "four" for 4 (up to twelve, then digits) */
export const countWord = (n: number): string => NUMBERS[n] ?? String(n);

/** `{count}` → "four", `{Count}` → "Four": a scenario's text for `n` people */
export function fillCount(text: string, n: number): string {
  const word = countWord(n);
  return text.replaceAll("{count}", word).replaceAll("{Count}", word[0]!.toUpperCase() + word.slice(1));
}

/**
 * A topic is what the conversation is about, as it would follow "to talk about" ("whether the
 * town should build a tram line"); a premise that ends as a sentence does (".", "!" or "?") is a
 * whole sentence, and is told as written.
 */
export const isTopic = (premise: string): boolean => !/[.!?…"”')]$/.test(premise.trim());

/** words that start a topic without making it a name: lower case inside a sentence */
const LEADS = new Set(
  "whether if how why what which when where who whose the a an should shall can could would will is are do does our their this that these those its some any".split(" "),
);

/** a topic inside a sentence: "Whether the town…" → "whether the town…"; "Brexit" and "NASA's budget" stay */
export function topicPhrase(topic: string): string {
  const t = topic.trim();
  const first = /^\p{L}+/u.exec(t)?.[0] ?? "";
  return LEADS.has(first.toLowerCase()) && /^\p{Lu}\p{Ll}*$/u.test(first) ? first.toLowerCase() + t.slice(first.length) : t;
}

/** the words a topic given as a question opens with ("whether the town…", "how to…", "should we…") */
const QUESTION_LEADS = new Set("whether if how why what which when where who whose should shall can could would will is are do does".split(" "));

/**
 * A scenario's premise that reads as a topic rather than a sentence missing its full stop: no end
 * punctuation, and either it opens as a question ("whether the town should…") or it is a few words
 * ("the night bus"). "Two old friends run into each other at a station" is a sentence, told as written.
 */
export function readsAsTopic(premise: string): boolean {
  if (!isTopic(premise)) return false;
  const words = premise.trim().split(/\s+/);
  return QUESTION_LEADS.has((words[0] ?? "").toLowerCase()) || words.length <= 4;
}
