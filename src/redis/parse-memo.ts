/**
 * Parse results kept for the raw JSON strings they came from. Some data in Redis is written once
 * and read over and over — a record's spec, story and personas on every step of every turn, each
 * log entry in the history of the next 40 turns — and parsing it (JSON, then zod) was most of
 * what a manager did per turn. The same string gives the same validated value, so a string seen
 * before is not parsed again; anything new or changed is parsed and validated as always. Values
 * are frozen: the same object goes to every caller. Bounded: the oldest entries go first.
 */
export class ParseMemo<T> {
  private readonly values = new Map<string, T>();

  constructor(
    private readonly parse: (raw: string) => T,
    /** @defaultValue 1000 */
    private readonly max = 1000,
  ) {}

  /** remembers `value` (already validated) as what `raw` parses to */
  set(raw: string, value: T): void {
    if (this.values.has(raw)) return;
    this.values.set(raw, deepFreeze(value));
    if (this.values.size > this.max) this.values.delete(this.values.keys().next().value as string);
  }

  get(raw: string): T {
    const hit = this.values.get(raw);
    if (hit !== undefined) return hit;
    const value = deepFreeze(this.parse(raw));
    this.values.set(raw, value);
    if (this.values.size > this.max) this.values.delete(this.values.keys().next().value as string);
    return value;
  }
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === "object" && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
