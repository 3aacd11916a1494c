/**
 * Figures and the table. Every figure stands beside a baseline measured in the same run on the
 * same Redis, with their ratio; a target is on the ratio ("≤ 1.5× raw") or on the value itself
 * ("≤ 50 ms"), and says whether it is met.
 */

export interface Target {
  on: "ratio" | "value";
  op: "<=" | ">=";
  limit: number;
}

export interface Figure {
  /** stable key, e.g. "overhead.p50" */
  id: string;
  section: string;
  name: string;
  value: number | null;
  unit: string;
  baseline: { name: string; value: number | null; unit: string };
  /** value ÷ baseline */
  ratio: number | null;
  target: (Target & { text: string; met: boolean | null }) | null;
}

export function figure(
  section: string,
  id: string,
  name: string,
  value: number | null,
  unit: string,
  baseline: { name: string; value: number | null; unit?: string },
  target?: Target,
): Figure {
  const ratio = value !== null && baseline.value !== null && baseline.value !== 0 ? value / baseline.value : null;
  const judged = target ? (target.on === "ratio" ? ratio : value) : null;
  const met = !target || judged === null ? null : target.op === "<=" ? judged <= target.limit : judged >= target.limit;
  return {
    id,
    section,
    name,
    value,
    unit,
    baseline: { name: baseline.name, value: baseline.value, unit: baseline.unit ?? unit },
    ratio,
    target: target ? { ...target, text: targetText(target, unit), met } : null,
  };
}

function targetText(t: Target, unit: string): string {
  const op = t.op === "<=" ? "≤" : "≥";
  return t.on === "ratio" ? `${op} ${fmtNum(t.limit)}×` : `${op} ${fmtNum(t.limit)} ${unit}`;
}

export function fmtNum(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

const withUnit = (v: number | null, unit: string): string => (v === null ? "–" : `${fmtNum(v)} ${unit}`.trim());

/** the table: one row per figure, grouped by section */
export function table(figures: readonly Figure[]): string {
  const head = ["figure", "value", "baseline", "", "ratio", "target", "met"];
  const rows: string[][] = [];
  let section = "";
  for (const f of figures) {
    if (f.section !== section) {
      section = f.section;
      rows.push([`${section}`, "", "", "", "", "", ""]);
    }
    rows.push([
      `  ${f.name}`,
      withUnit(f.value, f.unit),
      withUnit(f.baseline.value, f.baseline.unit),
      f.baseline.name,
      f.ratio === null ? "–" : `${fmtNum(f.ratio)}×`,
      f.target?.text ?? "",
      f.target ? (f.target.met === null ? "?" : f.target.met ? "yes" : "NO") : "",
    ]);
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 1 || i === 2 || i === 4 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join("  ")
      .trimEnd();
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** the same table in Markdown, for docs/performance.md */
export function markdown(figures: readonly Figure[]): string {
  const out = ["| figure | value | baseline | ratio | target | met |", "| --- | ---: | --- | ---: | --- | --- |"];
  let section = "";
  for (const f of figures) {
    if (f.section !== section) {
      section = f.section;
      out.push(`| **${section}** | | | | | |`);
    }
    const met = f.target ? (f.target.met === null ? "?" : f.target.met ? "yes" : "**no**") : "";
    out.push(
      `| ${f.name} | ${withUnit(f.value, f.unit)} | ${withUnit(f.baseline.value, f.baseline.unit)} ${f.baseline.name} | ${f.ratio === null ? "–" : `${fmtNum(f.ratio)}×`} | ${f.target?.text ?? ""} | ${met} |`,
    );
  }
  return out.join("\n");
}
