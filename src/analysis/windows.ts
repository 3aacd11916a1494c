/**
 * Tumbling windows over a conversation, by turns ("5t": messages 1-5, 6-10, …) or by time
 * ("30s": 0-30 s, 30-60 s, … after the dialogue started, by when each message finished;
 * empty windows are kept so a time axis stays true). "auto" picks windows of turns so that a run
 * has about 24 of them, each with both speakers.
 */
import { UsageError } from "../errors/index.js";

export type WindowSpec = { kind: "turns"; size: number } | { kind: "time"; size_ms: number };

/** windows a single analysis may have */
export const MAX_WINDOWS = 10_000;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "5t", "30s", "2m", "1h", "500ms" or "auto" (null) */
export function parseWindow(raw: string): WindowSpec | null {
  const s = raw.toLowerCase();
  if (s === "auto") return null;
  // a plain decimal number right before its unit: no spaces, signs, exponents or leading zeros
  const m = /^((?:0|[1-9]\d*)(?:\.\d+)?)(t|turns?|ms|s|m|h)$/.exec(s);
  const n = m ? Number(m[1]) : Number.NaN;
  const unit = m?.[2] ?? "";
  if (!m || !(n > 0)) {
    throw new UsageError(`--window "${raw}" is not a window size`, 'use a number of turns like 5t, a time like 30s, 2m or 1h (digits right before the unit), or "auto"');
  }
  if (unit.startsWith("t")) {
    if (!Number.isInteger(n)) throw new UsageError(`--window "${raw}": a number of turns must be whole`, "e.g. --window 5t");
    return { kind: "turns", size: n };
  }
  return { kind: "time", size_ms: n * (UNITS[unit] as number) };
}

export function autoWindow(turns: number): WindowSpec {
  return { kind: "turns", size: 2 * Math.max(1, Math.ceil(turns / 48)) };
}

export function windowLabel(w: WindowSpec): string {
  if (w.kind === "turns") return `${w.size}t`;
  const ms = w.size_ms;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** how many windows a run of `turns` messages over `spanMs` gets; throws past MAX_WINDOWS */
export function checkWindowCount(w: WindowSpec, turns: number, spanMs: number): number {
  const n = w.kind === "turns" ? Math.ceil(turns / w.size) : Math.floor(Math.max(0, spanMs) / w.size_ms) + 1;
  if (n > MAX_WINDOWS) {
    throw new UsageError(
      `--window ${windowLabel(w)} would cut this run into ${n} windows (at most ${MAX_WINDOWS})`,
      "use a larger window, or leave --window out for about 24",
    );
  }
  return n;
}

/** the 0-based window of a message: by its turn number, or by when it finished after `t0` */
export function windowIndex(w: WindowSpec, turn: number, finishedAt: number, t0: number): number {
  if (w.kind === "turns") return Math.floor((turn - 1) / w.size);
  return Math.max(0, Math.floor((finishedAt - t0) / w.size_ms));
}
