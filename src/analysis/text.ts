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

/** an ASCII letter or digit (what [\p{L}\p{N}] is among ASCII characters), by its code */
const asciiWordChar = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
/** an ASCII character in lower case */
const lowerAscii = (c: number): number => (c >= 65 && c <= 90 ? c + 32 : c);
/** FNV-1a over a word's characters */
const FNV_SEED = 0x811c9dc5 | 0;
const fnv = (h: number, c: number): number => Math.imul(h ^ c, 0x01000193);
const utf8 = new TextEncoder();

/** word -> id (from 1; 0 is the padding of short shingles), with per-id properties */
export class Vocabulary {
  private readonly ids = new Map<string, number>();
  /** the word of each id */
  private readonly list: string[] = [""];
  private props: Uint8Array = new Uint8Array(1024);
  private scores: Float64Array = new Float64Array(1024);
  /** encodeText's table: per slot, a word's hash, id (0: empty) and place in `chars` (its lower-case characters) */
  private slotHash: Int32Array = new Int32Array(4096);
  private slotId: Int32Array = new Int32Array(4096);
  private slotAt: Int32Array = new Int32Array(4096);
  private slotsUsed = 0;
  private chars: Uint8Array = new Uint8Array(16384);
  private charsUsed = 0;
  /** encodeText's scratch: the text's bytes, and its ids before they are copied out */
  private bytes: Uint8Array = new Uint8Array(4096);
  private scratch: Int32Array = new Int32Array(1024);

  id(word: string): number {
    let id = this.ids.get(word);
    if (id !== undefined) return id;
    id = this.ids.size + 1;
    this.ids.set(word, id);
    this.list.push(word);
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

  /**
   * encode(words(text)), the same ids given in the same order, for less work: a text of ASCII
   * characters only (the common case) is read as bytes, and each word is found in a table by its
   * characters, so no lower-case copy, no regular expression and no string per word (only per new
   * word). A text with any other character goes the way of words(). (Bytes, not charCodeAt: once
   * a class extends String — ioredis has one — V8 reads a string's characters several times slower.)
   */
  encodeText(text: string): Int32Array {
    const n = text.length;
    if (this.bytes.length < n) this.bytes = new Uint8Array(Math.max(n, this.bytes.length * 2));
    const { read, written } = utf8.encodeInto(text, this.bytes);
    // not all of it fitted: a character outside ASCII takes more than a byte
    if (read !== n || written !== n) return this.encode(words(text));
    const b = this.bytes;
    if (this.scratch.length < n) this.scratch = new Int32Array(Math.max(n, this.scratch.length * 2));
    const out = this.scratch;
    let count = 0;
    let i = 0;
    while (i < n) {
      let c = b[i] as number;
      if (c >= 128) return this.encode(words(text));
      if (!asciiWordChar(c)) {
        i++;
        continue;
      }
      // a word: letters and digits, and more of them after each apostrophe between two of them
      const start = i;
      let h = FNV_SEED;
      for (;;) {
        while (i < n) {
          c = b[i] as number;
          if (!asciiWordChar(c)) break;
          h = fnv(h, lowerAscii(c));
          i++;
        }
        if (i < n && c >= 128) return this.encode(words(text));
        if (c === 39 && i + 1 < n) {
          const next = b[i + 1] as number;
          if (next >= 128) return this.encode(words(text));
          if (asciiWordChar(next)) {
            h = fnv(h, 39);
            i++;
            continue;
          }
        }
        break;
      }
      out[count++] = this.idOfSpan(text, start, i, h);
    }
    return out.slice(0, count);
  }

  /** the id of the word at bytes [start, end) of `text` (ASCII), by its hash `h` */
  private idOfSpan(text: string, start: number, end: number, h: number): number {
    const b = this.bytes;
    const chars = this.chars;
    const mask = this.slotId.length - 1;
    const len = end - start;
    for (let s = (Math.imul(h, 0x9e3779b1) >>> 0) & mask; ; s = (s + 1) & mask) {
      const id = this.slotId[s] as number;
      if (id === 0) break;
      if (this.slotHash[s] !== h) continue;
      const at = this.slotAt[s] as number;
      if (chars[at] !== len) continue;
      let same = true;
      for (let j = 0; j < len; j++) {
        if (chars[at + 1 + j] !== lowerAscii(b[start + j] as number)) {
          same = false;
          break;
        }
      }
      if (same) return id;
    }
    const id = this.id(text.slice(start, end).toLowerCase());
    // the word's length (a byte: longer words are never kept here) and lower-case characters
    if (len < 256) {
      if (this.charsUsed + len + 1 > this.chars.length) {
        const grown = new Uint8Array(Math.max(this.chars.length * 2, this.charsUsed + len + 1));
        grown.set(this.chars);
        this.chars = grown;
      }
      const at = this.charsUsed;
      this.chars[at] = len;
      for (let j = 0; j < len; j++) this.chars[at + 1 + j] = lowerAscii(b[start + j] as number);
      this.charsUsed += len + 1;
      this.remember(h, id, at);
    }
    return id;
  }

  private remember(h: number, id: number, at: number): void {
    if ((this.slotsUsed + 1) * 2 > this.slotId.length) {
      const hashes = this.slotHash;
      const ids = this.slotId;
      const ats = this.slotAt;
      this.slotHash = new Int32Array(hashes.length * 2);
      this.slotId = new Int32Array(ids.length * 2);
      this.slotAt = new Int32Array(ats.length * 2);
      this.slotsUsed = 0;
      for (let s = 0; s < ids.length; s++) if (ids[s] !== 0) this.remember(hashes[s] as number, ids[s] as number, ats[s] as number);
    }
    const mask = this.slotId.length - 1;
    let s = (Math.imul(h, 0x9e3779b1) >>> 0) & mask;
    while (this.slotId[s] !== 0) s = (s + 1) & mask;
    this.slotHash[s] = h;
    this.slotId[s] = id;
    this.slotAt[s] = at;
    this.slotsUsed++;
  }

  /** the word of an id */
  word(id: number): string {
    return this.list[id] as string;
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
