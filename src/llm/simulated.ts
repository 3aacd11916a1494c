/**
 * The `simulated` provider: offline and deterministic. It writes plausible, schema-valid text
 * from the task (simulated-text.ts), ignoring the prompt, and streams it token by token with
 * realistic timing: a delay before the first token, then a steady rate, scheduled against the
 * start time so it does not drift. Aborting stops within one timer tick and returns the text so
 * far with done_reason "cut".
 */
import type { GenerateRequest, GenerateResult, LlmProvider } from "./types.js";
import { simulateText } from "./simulated-text.js";

export interface SimulatedOptions {
  /** base seed; per-request `options.seed` overrides it. @defaultValue 7 */
  seed?: number;
  /** generation speed; 0 = as fast as possible. @defaultValue 25 */
  tokens_per_second?: number;
  /** delay before the first token. @defaultValue 250 */
  time_to_first_token_ms?: number;
}

/** never more than this many timers a second, however high the rate */
const MIN_TICK_MS = 10;
/** at full speed, yield to the event loop after this many tokens */
const YIELD_EVERY = 200;
const MAX_PIECE = 6;

/**
 * The simulated tokenizer: words with their leading whitespace, long words split into pieces of
 * at most 6 characters, punctuation in runs of at most 2. Joining the pieces gives `text` back.
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\s*[\p{L}\p{N}]+|\s*[^\s\p{L}\p{N}]{1,2}|\s+/gu)) {
    const piece = m[0];
    const lead = /^\s*/.exec(piece)?.[0] ?? "";
    const body = Array.from(piece.slice(lead.length)); // code points, not UTF-16 units
    if (body.length <= MAX_PIECE) {
      out.push(piece);
      continue;
    }
    for (let i = 0; i < body.length; i += MAX_PIECE) {
      out.push((i === 0 ? lead : "") + body.slice(i, i + MAX_PIECE).join(""));
    }
  }
  return out;
}

/** resolves after `ms`, or at once when `signal` aborts */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener("abort", done, { once: true });
  });
}

const nextTick = (): Promise<void> => new Promise((r) => setImmediate(r));

export class SimulatedProvider implements LlmProvider {
  readonly name = "simulated";
  private readonly seed: number;
  private readonly tokensPerSecond: number;
  private readonly ttftMs: number;

  constructor(opts: SimulatedOptions = {}) {
    this.seed = opts.seed ?? 7;
    this.tokensPerSecond = opts.tokens_per_second ?? 25;
    this.ttftMs = opts.time_to_first_token_ms ?? 250;
  }

  async generate(req: GenerateRequest): Promise<GenerateResult> {
    const start = performance.now();
    const elapsed = () => performance.now() - start;
    const { options, signal } = req;
    const tps = options.tokens_per_second ?? this.tokensPerSecond;
    const ttft = options.time_to_first_token_ms ?? this.ttftMs;
    const full = simulateText(req.task, options.seed ?? this.seed, options);
    const all = tokenize(full);
    const limit = options.num_predict;
    const tokens = limit !== undefined && limit < all.length ? all.slice(0, limit) : all;
    const promptChars = req.messages.reduce((n, m) => n + m.content.length, 0);

    const emitted: string[] = [];
    let firstAt: number | null = null;
    let lastAt = 0;
    const emit = (piece: string) => {
      const now = elapsed();
      if (firstAt === null) firstAt = now;
      lastAt = now;
      emitted.push(piece);
      req.onToken?.(piece, 1);
    };

    const interval = tps > 0 ? 1000 / tps : 0;
    /** when token i is due, in ms from the start */
    const dueAt = (i: number) => ttft + i * interval;
    let i = 0;
    while (i < tokens.length && !signal?.aborted) {
      const wait = dueAt(i) - elapsed();
      if (wait > 0) {
        await sleep(wait, signal);
        if (signal?.aborted) break;
      }
      if (interval === 0) {
        const stop = Math.min(tokens.length, i + YIELD_EVERY);
        while (i < stop) emit(tokens[i++] as string);
        if (i < tokens.length) await nextTick();
        continue;
      }
      // everything due by now (at least the one we waited for), then sleep until the next one,
      // never sooner than one tick away
      const now = elapsed();
      do emit(tokens[i++] as string);
      while (i < tokens.length && dueAt(i) <= now);
      if (i < tokens.length) {
        const untilNext = dueAt(i) - elapsed();
        if (untilNext > 0 && untilNext < MIN_TICK_MS) await sleep(MIN_TICK_MS, signal);
      }
    }

    const cut = emitted.length < tokens.length;
    const n = emitted.length;
    const generationMs = n > 0 ? lastAt : elapsed();
    const afterFirstMs = firstAt === null ? 0 : lastAt - firstAt;
    let rate = 0;
    if (n >= 2 && afterFirstMs > 0) rate = (n - 1) / (afterFirstMs / 1000);
    else if (n > 0 && generationMs > 0) rate = n / (generationMs / 1000);
    return {
      text: emitted.join(""),
      tokens_generated: n,
      prompt_tokens: Math.ceil(promptChars / 4),
      generation_time_ms: generationMs,
      time_to_first_token_ms: firstAt,
      tokens_per_second: rate,
      load_time_ms: 0,
      done_reason: cut ? "cut" : tokens.length < all.length ? "length" : "stop",
    };
  }
}
