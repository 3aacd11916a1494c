/**
 * Text into numbers: words (lower case, apostrophes kept), a vocabulary that gives each word a
 * small integer id with its properties looked up once, word 3-gram shingles as exact integer
 * keys, and the lexicon sentiment of a message. Everything the content metrics need, computed
 * once per message.
 */
import { IntSet } from "./intset.js";
import { NEGATION_FACTOR, NEGATION_REACH, NEGATORS, SENTIMENT, SENTIMENT_ALPHA, STOPWORDS } from "./lexicon.js";

const WORD = /[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*/gu;

/** the words of a text: lower case, "’" read as "'", so "Don’t" is "don't" */
export function words(text: string): string[] {
  const lower = text.toLowerCase();
  return (lower.includes("’") ? lower.replaceAll("’", "'") : lower).match(WORD) ?? [];
}

/** question marks in a text, a run like "?!?" counting once */
export function questionCount(text: string): number {
  return text.match(/\?[?!]*/g)?.length ?? 0;
}

const STOP = 1;
const NEGATOR = 2;
/** a word that can carry a topic: not a stopword, at least 3 letters */
const CONTENT = 4;

/** word -> id (from 1; 0 is the padding of short shingles), with per-id properties */
export class Vocabulary {
  private readonly ids = new Map<string, number>();
  private props: Uint8Array = new Uint8Array(1024);
  private scores: Float64Array = new Float64Array(1024);

  id(word: string): number {
    let id = this.ids.get(word);
    if (id !== undefined) return id;
    id = this.ids.size + 1;
    this.ids.set(word, id);
    if (id >= this.props.length) {
      const props = new Uint8Array(this.props.length * 2);
      props.set(this.props);
      this.props = props;
      const scores = new Float64Array(this.scores.length * 2);
      scores.set(this.scores);
      this.scores = scores;
    }
    const stop = STOPWORDS.has(word);
    this.props[id] = (stop ? STOP : 0) | (NEGATORS.has(word) ? NEGATOR : 0) | (!stop && word.length >= 3 ? CONTENT : 0);
    this.scores[id] = SENTIMENT.get(word) ?? 0;
    return id;
  }

  /** the ids of `ws`, in order */
  encode(ws: readonly string[]): Int32Array {
    const out = new Int32Array(ws.length);
    for (let i = 0; i < ws.length; i++) out[i] = this.id(ws[i] as string);
    return out;
  }

  get size(): number {
    return this.ids.size;
  }
  isContent(id: number): boolean {
    return ((this.props[id] ?? 0) & CONTENT) !== 0;
  }
  isNegator(id: number): boolean {
    return ((this.props[id] ?? 0) & NEGATOR) !== 0;
  }
  score(id: number): number {
    return this.scores[id] ?? 0;
  }
}

/** n-gram size of the shingles that repetition and echo compare */
export const SHINGLE = 3;

/**
 * A 3-gram of word ids as a 30-bit integer (a small integer to V8, and a key for the typed-array
 * tables of intset.ts). Different 3-grams can share a key, but rarely: against a speaker's memory of a few
 * hundred 3-grams, about one message in 10^5 has one 3-gram wrongly counted as repeated.
 */
function key3(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ b, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ c, 0x27d4eb2f);
  h ^= h >>> 15;
  return h & 0x3fffffff;
}

const seen = new IntSet();

/**
 * The distinct word 3-grams of a message as integer keys. A message of one or two words is one
 * shingle (padded with id 0, which no word has), so "Yes." repeated is a repetition; no words,
 * no shingles.
 */
export function shingles(ids: Int32Array): Int32Array {
  const n = ids.length;
  if (n === 0) return new Int32Array(0);
  if (n < SHINGLE) return Int32Array.of(n === 1 ? key3(0, 0, ids[0] as number) : key3(0, ids[0] as number, ids[1] as number));
  seen.clear();
  const out = new Int32Array(n - SHINGLE + 1);
  let m = 0;
  for (let i = 0; i + SHINGLE <= n; i++) {
    const k = key3(ids[i] as number, ids[i + 1] as number, ids[i + 2] as number);
    if (seen.add(k)) out[m++] = k;
  }
  return m === out.length ? out : out.slice(0, m);
}

/** share of the keys in `a` (distinct) that `b` has (0 when `a` is empty) */
export function containment(a: Int32Array, b: { has(k: number): boolean }): number {
  if (a.length === 0) return 0;
  let shared = 0;
  for (let i = 0; i < a.length; i++) if (b.has(a[i] as number)) shared++;
  return shared / a.length;
}

/**
 * Lexicon sentiment of a message in (-1, 1): the sum of its words' scores, a word within three
 * words after a negator counting -0.5 times, normalised as s / sqrt(s² + 15). No scored words: 0.
 */
export function sentimentOf(ids: Int32Array, vocab: Vocabulary): number {
  let s = 0;
  let negatedUntil = -1;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number;
    const score = vocab.score(id);
    if (score !== 0) s += i <= negatedUntil ? score * NEGATION_FACTOR : score;
    if (vocab.isNegator(id)) negatedUntil = i + NEGATION_REACH;
  }
  return s === 0 ? 0 : s / Math.sqrt(s * s + SENTIMENT_ALPHA);
}
