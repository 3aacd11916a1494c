/** Types for tiny-gguf.mjs (plain JavaScript, so scripts/make-tiny-gguf.mjs needs no build). */
export interface TinyVocab {
  tokens: string[];
  types: number[];
  merges: string[];
  special: { endoftext: number; im_start: number; im_end: number };
  printable: boolean[];
}
export function tinyVocab(): TinyVocab;
export function buildTinyGguf(): Buffer;
export function writeTinyGguf(file: string): string;
export function tinyGgufPath(): string;
