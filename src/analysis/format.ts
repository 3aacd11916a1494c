/**
 * Number formatting and sparklines shared by the terminal report, Markdown and HTML, so every
 * view of an analysis shows the same figures the same way.
 */

export const DASH = "–";

/** the reasons a run ends that are not a failure: a run "failed" with one of them had no turn that succeeded */
const ENDINGS = new Set(["duration", "max_turns", "agent_ended", "token_budget", "loop"]);

/**
 * a run's status with its stop reason, as every view shows it: "completed (max_turns)", "failed
 * (error)"; a run that ended as planned but in which no turn succeeded is "failed (no turn
 * succeeded; ended by max_turns)", not "failed (max_turns)", which reads as if the limit failed it
 */
export function statusLabel(status: string, stopReason: string | null | undefined, none = "no stop reason yet"): string {
  if (status === "imported") return status;
  if (!stopReason) return `${status} (${none})`;
  if (status === "failed" && ENDINGS.has(stopReason)) return `failed (no turn succeeded; ended by ${stopReason})`;
  return `${status} (${stopReason})`;
}

/** "2 failed, 1 stalled": turns that went wrong, from a record's counters ("" when none, or not counted) */
export function troubleText(r: { failed_turns?: number | null; stalled_turns?: number | null }): string {
  return [r.failed_turns ? `${r.failed_turns} failed` : "", r.stalled_turns ? `${r.stalled_turns} stalled` : ""].filter(Boolean).join(", ");
}

/**
 * A run's status as every view says it: the status and its stop reason, and the turns that went
 * wrong — "completed (max_turns) · 2 failed" —, so a run whose turns failed is never shown as
 * plainly completed. `none`: what stands for a stop reason not recorded (by default the status alone).
 */
export function runStatusText(r: { status: string; stop_reason: string | null | undefined; failed_turns?: number | null; stalled_turns?: number | null }, none?: string): string {
  const status = r.stop_reason || none !== undefined ? statusLabel(r.status, r.stop_reason, none) : r.status;
  const trouble = troubleText(r);
  return trouble ? `${status} · ${trouble}` : status;
}

export function num(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  return v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export const int = (v: number | null | undefined): string => num(v, 0);

/** a message's tokens/s: "–" when it generated no token (a failed turn's 0 tok/s is no speed) */
export const tpsText = (md: { tokens_generated: number; tokens_per_second: number }): string => (md.tokens_generated > 0 ? num(md.tokens_per_second) : DASH);

/** "1 turn", "2 turns", "1,200 tokens": a count with its noun, singular or plural */
export function plural(n: number | null | undefined, noun: string, many = `${noun}s`): string {
  return `${int(n)} ${n === 1 ? noun : many}`;
}
export const pct = (v: number | null | undefined): string => (v === null || v === undefined ? DASH : `${num(v * 100, 0)}%`);
export const ratio = (v: number | null | undefined): string => num(v, 2);
export const signed = (v: number | null | undefined): string =>
  v === null || v === undefined ? DASH : `${v > 0 ? "+" : ""}${num(v, 2)}`;
export const ms = (v: number | null | undefined): string => (v === null || v === undefined ? DASH : `${int(v)} ms`);
/** epoch ms as "2026-11-21 14:30:19" (UTC, to the second) */
export const utcSeconds = (ms: number): string => new Date(ms).toISOString().replace("T", " ").slice(0, 19);
export const secs = (v: number | null | undefined): string => (v === null || v === undefined ? DASH : `${num(v, 1)} s`);

/**
 * a model's message's time: its generation time, or for a failed turn how long it took to fail
 * (every attempt and the waits between them; it generated nothing, so no generation time is true)
 */
export function turnTimeText(m: { failed: boolean; metadata: { generation_time_ms: number; started_at: number; finished_at: number } }, digits = 2): string {
  const md = m.metadata;
  return m.failed ? `failed after ${num(Math.max(0, md.finished_at - md.started_at) / 1000, 1)} s` : `${num(md.generation_time_ms / 1000, digits)} s`;
}

/**
 * How a model is named in every view (reports, exports, the TUI, plain text, `list`): simulated
 * output is always labelled; an embedded model is a file path, and its file name says enough
 * (never an absolute path); a person (provider "human") is "person", a recorded speaker of an
 * imported conversation (provider "imported") is "recorded"; others are `provider/model`.
 */
export function modelLabel(provider: string, model: string): string {
  if (provider === "human") return "person";
  if (provider === "imported") return "recorded";
  if (provider === "simulated") return `${model} [simulated]`;
  if (provider === "embedded") return `embedded/${model.split(/[\\/]/).at(-1) || model}`;
  return `${provider}/${model}`;
}

const BARS = "▁▂▃▄▅▆▇█";

/** one character per value, scaled between the series' min and max; null is a space */
export function sparkline(values: ReadonlyArray<number | null>, range?: { min: number; max: number }): string {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (xs.length === 0) return values.map(() => " ").join("");
  const min = range?.min ?? Math.min(...xs);
  const max = range?.max ?? Math.max(...xs);
  // a series that varies by less than 1% of its size is drawn flat, not as noise blown up
  const flat = max - min <= (range ? 0 : 0.01 * Math.max(Math.abs(max), Math.abs(min)));
  return values
    .map((v) => {
      if (v === null || !Number.isFinite(v)) return " ";
      if (flat) return BARS[3];
      const k = Math.round(((Math.min(max, Math.max(min, v)) - min) / (max - min)) * (BARS.length - 1));
      return BARS[k];
    })
    .join("");
}

/** left-aligned columns; the first column is the label */
export function table(rows: ReadonlyArray<readonly string[]>, indent = "  "): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return rows
    .map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c + " ".repeat((widths[i] ?? 0) - [...c].length))).join("  "))
    .map((l) => l.trimEnd())
    .join("\n");
}

/**
 * A table too wide for `width` columns (a terminal's), as several tables one under the other:
 * each keeps the first `keep` columns (the labels) and takes as many of the others, in order, as
 * fit — split into blocks of about the same number of columns. A table that fits, or no `width`
 * (output that is not a terminal), is one block, unchanged.
 */
export function tableBlocks(rows: ReadonlyArray<readonly string[]>, opts: { width?: number | undefined; keep?: number; indent?: string } = {}): string {
  const { width, keep = 1, indent = "  " } = opts;
  if (width === undefined) return table(rows, indent);
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  const total = indent.length + widths.reduce((n, w) => n + w + 2, -2);
  const rest = widths.length - keep;
  if (total <= width || rest <= 1) return table(rows, indent);
  const fixed = indent.length + widths.slice(0, keep).reduce((n, w) => n + w + 2, 0);
  // the fewest blocks of about equal column counts in which every block fits (one column a block at worst)
  for (let blocks = 2; blocks <= rest; blocks++) {
    const per = Math.ceil(rest / blocks);
    const groups: number[][] = [];
    for (let i = keep; i < widths.length; i += per) groups.push(Array.from({ length: Math.min(per, widths.length - i) }, (_, k) => i + k));
    const fits = groups.every((g) => fixed + g.reduce((n, i) => n + (widths[i] ?? 0) + 2, -2) <= width);
    if (fits || per === 1) {
      return groups.map((g) => table(rows.map((r) => [...r.slice(0, keep), ...g.map((i) => r[i] ?? "")]), indent)).join("\n\n");
    }
  }
  return table(rows, indent);
}
