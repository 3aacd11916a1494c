/**
 * A watchdog around one model's generations: a generation that sends no first token within
 * `first_token_ms`, or goes silent for `between_tokens_ms` once it has started, or runs past
 * MAX_REPLY_CHARS, is aborted and thrown as a ProviderError saying which (kind no_first_token,
 * stalled or reply_too_long), so the turn can retry it and record why. An abort from outside (the
 * run's deadline, a stop) is not the watchdog's: the provider returns what it has, cut, and the
 * watchdog says whether the model had gone silent by then (`stalledAtCut`).
 */
import { ProviderError } from "../errors/index.js";
import type { GenerateRequest, GenerateResult, LlmProvider } from "./types.js";
import type { StallTimeouts } from "../protocol/schemas.js";

/** a reply longer than this (characters, as streamed) is abandoned: no message can hold it */
export const MAX_REPLY_CHARS = 1_000_000;
/** a cut generation counts as stalled when it had been silent at least this long … */
export const STALL_AT_CUT_MIN_MS = 5_000;
/** … and at least this many times its mean gap between tokens */
export const STALL_AT_CUT_GAPS = 4;

export class Watchdog {
  private firstAt: number | null = null;
  private lastAt: number | null = null;
  private tokens = 0;
  private startedAt = 0;

  constructor(
    private readonly provider: LlmProvider,
    private readonly timeouts: StallTimeouts,
    /** "provider/model", for the messages */
    private readonly label: string,
  ) {}

  async generate(req: GenerateRequest): Promise<GenerateResult> {
    const ac = new AbortController();
    const outer = req.signal;
    const onOuter = (): void => ac.abort(outer?.reason);
    if (outer?.aborted) ac.abort(outer.reason);
    outer?.addEventListener("abort", onOuter, { once: true });
    let fired: ProviderError | null = null;
    let timer: NodeJS.Timeout | undefined;
    const fire = (err: ProviderError): void => {
      if (fired || ac.signal.aborted) return;
      fired = err;
      ac.abort(err);
    };
    const arm = (ms: number, err: () => ProviderError): void => {
      clearTimeout(timer);
      timer = setTimeout(() => fire(err()), ms);
    };
    this.startedAt = Date.now();
    this.firstAt = null;
    this.lastAt = null;
    this.tokens = 0;
    let chars = 0;
    arm(this.timeouts.first_token_ms, () => this.noFirstToken());
    try {
      const result = await this.provider.generate({
        ...req,
        signal: ac.signal,
        onToken: (text, n) => {
          if (fired) return;
          const now = Date.now();
          this.firstAt ??= now;
          this.lastAt = now;
          this.tokens += n;
          chars += text.length;
          if (chars > MAX_REPLY_CHARS) return fire(this.tooLong());
          arm(this.timeouts.between_tokens_ms, () => this.stalled());
          req.onToken?.(text, n);
        },
      });
      if (fired) throw fired;
      return result;
    } catch (err) {
      throw fired ?? err;
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onOuter);
    }
  }

  /** after a generation cut from outside: had the model gone silent mid-reply by then? */
  stalledAtCut(now = Date.now()): { stalled: boolean; silence_ms: number } {
    if (this.firstAt === null || this.lastAt === null) return { stalled: false, silence_ms: now - this.startedAt };
    const silence = now - this.lastAt;
    const meanGap = this.tokens > 1 ? (this.lastAt - this.firstAt) / (this.tokens - 1) : 0;
    return { stalled: silence >= Math.max(STALL_AT_CUT_MIN_MS, STALL_AT_CUT_GAPS * meanGap), silence_ms: silence };
  }

  private noFirstToken(): ProviderError {
    return new ProviderError(`${this.label} sent no first token within ${secs(this.timeouts.first_token_ms)}`, {
      kind: "no_first_token",
      retryable: true,
      hint: "the server may be loading the model, overloaded or stuck; a slow model loads within timeouts.first_token_ms (raise it for large models)",
    });
  }

  private stalled(): ProviderError {
    return new ProviderError(`${this.label} stalled: nothing for ${secs(this.timeouts.between_tokens_ms)} after ${this.tokens} token${this.tokens === 1 ? "" : "s"}`, {
      kind: "stalled",
      retryable: true,
      hint: "the server stopped streaming mid-reply; see its log (timeouts.between_tokens_ms sets how long a silence is allowed)",
    });
  }

  private tooLong(): ProviderError {
    return new ProviderError(`${this.label} sent a reply of more than ${MAX_REPLY_CHARS.toLocaleString("en-US")} characters`, {
      kind: "reply_too_long",
      retryable: true,
      hint: "set the agent's options.num_predict to bound its replies",
    });
  }
}

const secs = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`);
