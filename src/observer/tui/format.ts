/**
 * Small text helpers for the TUI: clock times, the progress bar, the sparkline, numbers.
 */

/** 83_000 -> "01:23", 3_723_000 -> "1:02:03" */
export function clock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(2, "0");
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** a bar `width` cells wide, filled to `fraction` (0..1) */
export function bar(fraction: number, width: number): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const full = Math.round(f * width);
  return "█".repeat(full) + "░".repeat(Math.max(0, width - full));
}

const SPARKS = "▁▂▃▄▅▆▇█";

/**
 * The last `width` values as a sparkline, from zero to the highest: a steady rate is a flat line at
 * the top, and a small wobble stays small (min-to-max scaling would blow 24.8 vs 25.0 up to full height).
 */
export function sparkline(values: readonly number[], width: number): string {
  const xs = values.slice(-width);
  const hi = Math.max(0, ...xs);
  return xs.map((x) => SPARKS[hi === 0 ? 0 : Math.round((Math.max(0, x) / hi) * (SPARKS.length - 1))]).join("");
}

/** a number, or "–" when there is none */
export function num(n: number | null | undefined, digits = 1): string {
  return n === null || n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(digits);
}

export function ms(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "–";
  // from ten seconds up (a turn that waited for a restarted worker), seconds read better
  return Math.abs(n) >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`;
}
