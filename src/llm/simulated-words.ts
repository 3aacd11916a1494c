/**
 * How a simulated speaker reads the story and the conversation (simulated-turn.ts): the place,
 * the time of day and the issue of the story; a persona's goal said in the first or second
 * person; what the other said, turned around ("my" is "your"); the question a message ends on.
 */
import type { Persona, StoryContent } from "../protocol/schemas.js";
import { topicPhrase } from "../protocol/scene-words.js";
import type { Register } from "./simulated-lines.js";

export interface Scene {
  /** "the small cafe near the train station": the setting's first part, when it names a place */
  place: string | null;
  daypart: string | null;
  /** "whether to refinance or pay down the loan": what the conversation is to decide */
  issue: string | null;
}

const VERBS = /\b(is|are|was|were|meets?|has|have|sits?|shares?|asks?|wants?|starts?|goes|comes|debates?|interviews?|review)\b/i;

export function sceneOf(story: StoryContent): Scene {
  const first = story.setting.split(/[,.;]/)[0]?.trim() ?? "";
  const placeOk = /^(a|an|the)\s/i.test(first) && first.split(/\s+/).length <= 10 && !VERBS.test(first);
  const daypart = /\b(morning|afternoon|evening|night)\b/i.exec(`${story.setting} ${story.initial_situation}`)?.[1]?.toLowerCase() ?? null;
  // "whether …", up to where a prepositional afterthought (", in front of …") begins
  // from the premise (the situation's first sentence; the rest is about the people)
  const premise = story.initial_situation.split(/(?<=[.!?])\s+/)[0] ?? "";
  // else what they "meet to talk about" (a topic: simulated-text.ts); either way said inside a sentence
  const found = /\b(whether\b[^.;?!]*)/i.exec(premise)?.[1] ?? /\bmeet to talk about ([^.;?!]+)/i.exec(premise)?.[1];
  const issue = found?.split(/,\s+(?=(?:in|at|on|with|for|before|after|during|while|because)\b)/)[0]?.trim() ?? null;
  return { place: placeOk ? `the ${first.replace(/^(a|an|the)\s+/i, "")}` : null, daypart, issue: issue && issue.split(/\s+/).length <= 24 ? topicPhrase(issue) : null };
}

/** the persona's first goal as a verb phrase, as `who` says it ("me": first person, "you": second) */
export function goalOf(p: Persona, who: "me" | "you"): string | null {
  const g = (p.goals[0] ?? "").trim().replace(/[.!;,\s]+$/, "").replace(/^to\s+/i, "");
  if (!g || /^(i|i'm|my|we|we're|our)\b/i.test(g) || g.includes(". ") || g.split(/\s+/).length > 20) return null;
  // "risk they do not understand": the subject is the persona; "fits their situation" may be anyone's, so it stays
  const forms = who === "me" ? { they: "I", "they're": "I'm", "they are": "I am" } : { they: "you", "they're": "you're", "they are": "you are" };
  return lowerFirst(g.replace(/\b(they are|they're|they)\b/gi, (w) => forms[w.toLowerCase() as keyof typeof forms] ?? w));
}

/** what one speaker said, as the other repeats it: "my" is "your", "me" is "you", and back */
export function swapPerson(text: string): string {
  const swap: Record<string, string> = { i: "you", "i'm": "you're", "i'd": "you'd", "i've": "you've", me: "you", my: "your", mine: "yours", myself: "yourself", you: "me", your: "my", yours: "mine", yourself: "myself" };
  return text.replace(/\b(I'm|I'd|I've|I|me|my|mine|myself|you|your|yours|yourself)\b/gi, (w) => swap[w.toLowerCase()] ?? w);
}

/** the last sentence of a message when it is a question */
export function lastQuestion(text: string): string | null {
  const s = sentences(text).at(-1)?.trim() ?? "";
  return s.endsWith("?") ? s : null;
}

/** the message of a history entry, whether it holds plain text or the agent's JSON */
export function messageText(text: string): string {
  if (!text.trimStart().startsWith("{")) return text;
  try {
    const v: unknown = JSON.parse(text);
    const m = typeof v === "object" && v !== null ? (v as { message?: unknown }).message : undefined;
    return typeof m === "string" ? m : text;
  } catch {
    return text;
  }
}

export function registerOf(style: string): Register {
  if (/formal|polite|precise|measured|courteous|professional/i.test(style)) return "formal";
  if (/blunt|direct|terse|curt|short|plain/i.test(style)) return "blunt";
  if (/casual|chatty|relaxed|friendly|joke|informal|warm/i.test(style)) return "casual";
  return "neutral";
}

export const aRole = (role: string): string => {
  const r = lowerFirst(role.trim());
  return /^(a|an|the)\s/i.test(r) ? r : `${/^[aeiou]/i.test(r) ? "an" : "a"} ${r}`;
};
export const firstName = (name: string): string => name.trim().split(/\s+/)[0] || name;
export const lowerFirst = (s: string): string => (/^\p{Lu}\p{Ll}/u.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s);
export const upperFirst = (s: string): string => (s ? s[0]!.toUpperCase() + s.slice(1) : s);
export const sentences = (text: string): string[] => text.split(/(?<=[.!?])\s+/).filter(Boolean);
