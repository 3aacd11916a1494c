/**
 * Inline SVG charts for the HTML export: no scripts, no external files. A line chart draws one
 * or more series over the windows (a gap where a value is null); a bar chart compares agents.
 */

export const esc = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

/** one colour per agent (by its index in the spec) and per chart series; enough for 8 agents */
export const PALETTE = ["#2563eb", "#db2777", "#16a34a", "#ea580c", "#7c3aed", "#0891b2", "#b45309", "#475569"];

export interface LineSeries {
  label: string;
  values: ReadonlyArray<number | null>;
  /** its colour; @defaultValue the palette's, by the series' place in the chart */
  color?: string;
}

const W = 640;
/** the plot's height (its grid, top to bottom), under the title and the legend */
const PLOT_H = 164;
const PAD = { left: 48, right: 12, bottom: 28 };
/** the title's baseline; the legend's rows follow, LEGEND_ROW apart */
const TITLE_Y = 16;
const LEGEND_ROW = 15;
/**
 * a legend item's width at font-size 11, erring wide: SVG text does not wrap and its width is not
 * known here, so the legend is laid out on an estimate that no glyph of sans-serif exceeds on average
 */
const itemWidth = (label: string): number => (label.length + 2) * 6.5 + 14;

/**
 * the legend in rows under the title (never beside it: a long title and a long legend would
 * overlap), each item its own text, wrapped to a new row before it would pass the right edge;
 * returns the items and the baseline of the last row
 */
function legendRows(series: readonly LineSeries[]): { svg: string; bottom: number } {
  let x = PAD.left;
  let row = 0;
  const items = series.map((s, k) => {
    const w = itemWidth(s.label);
    if (x > PAD.left && x + w > W - PAD.right) {
      row += 1;
      x = PAD.left;
    }
    const item = `<text class="legend" x="${x}" y="${TITLE_Y + LEGEND_ROW * (row + 1)}"><tspan fill="${s.color ?? PALETTE[k % PALETTE.length]}">■</tspan> ${esc(s.label)}</text>`;
    x += w;
    return item;
  });
  const rows = series.length === 0 ? 0 : row + 1;
  return { svg: items.join(""), bottom: TITLE_Y + LEGEND_ROW * rows };
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}

export function lineChart(id: string, title: string, series: readonly LineSeries[], range?: { min: number; max: number }): string {
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const n = Math.max(0, ...series.map((s) => s.values.length));
  let min = range?.min ?? Math.min(0, ...all);
  let max = range?.max ?? Math.max(...all, 0);
  if (max === min) max = min + 1;
  if (!Number.isFinite(min)) min = 0;
  const legend = legendRows(series);
  // the top grid line's label stands 7 px above it: clear of the legend's last row
  const top = legend.bottom + 14;
  const H = top + PLOT_H + PAD.bottom;
  const x = (i: number): number => PAD.left + (n <= 1 ? (W - PAD.left - PAD.right) / 2 : (i * (W - PAD.left - PAD.right)) / (n - 1));
  const y = (v: number): number => top + (1 - (v - min) / (max - min)) * (H - top - PAD.bottom);
  const paths = series.map((s, k) => {
    const color = s.color ?? (PALETTE[k % PALETTE.length] as string);
    let d = "";
    let pen = false;
    const dots: string[] = [];
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) {
        pen = false;
        return;
      }
      d += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
      if (n <= 60) dots.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5" fill="${color}"><title>${esc(s.label)} · window ${i + 1}: ${fmt(v)}</title></circle>`);
    });
    return `<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>${dots.join("")}`;
  });
  const grid = [min, (min + max) / 2, max]
    .map((v) => `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/><text x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`)
    .join("");
  return (
    `<svg class="chart" data-chart="${esc(id)}" role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11">` +
    `<title>${esc(title)}</title><text class="title" x="${PAD.left}" y="${TITLE_Y}" font-size="13" font-weight="bold">${esc(title)}</text>` +
    `${legend.svg}${grid}${paths.join("")}` +
    `<text x="${(W + PAD.left) / 2}" y="${H - 8}" text-anchor="middle">window (1-${n})</text></svg>`
  );
}

export function barChart(id: string, title: string, bars: ReadonlyArray<{ label: string; value: number | null }>): string {
  const h = 40 + bars.length * 28;
  const max = Math.max(1e-9, ...bars.map((b) => b.value ?? 0));
  const rows = bars.map((b, i) => {
    const v = b.value ?? 0;
    const w = (v / max) * (W - 220);
    const yy = 30 + i * 28;
    return (
      `<text x="150" y="${yy + 14}" text-anchor="end">${esc(b.label)}</text>` +
      `<rect x="158" y="${yy}" width="${w.toFixed(1)}" height="18" fill="${PALETTE[i % PALETTE.length]}"><title>${esc(b.label)}: ${b.value === null ? "–" : fmt(v)}</title></rect>` +
      `<text x="${(164 + w).toFixed(1)}" y="${yy + 14}">${b.value === null ? "–" : fmt(v)}</text>`
    );
  });
  return (
    `<svg class="chart" data-chart="${esc(id)}" role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11">` +
    `<title>${esc(title)}</title><text class="title" x="12" y="${TITLE_Y}" font-size="13" font-weight="bold">${esc(title)}</text>${rows.join("")}</svg>`
  );
}
