/**
 * A panel as a list of single terminal rows, so its height is known: paragraphs are wrapped to the
 * width first, and a panel taller than its room ends with "… N more rows" (scrolled down by
 * `offset` rows, it starts with "… N rows above").
 */
import { Box, Text } from "ink";
import { wrapRows } from "./text.js";

export interface Row {
  text: string;
  color?: string;
  bold?: boolean;
  dim?: boolean;
}

/** where a panel of `total` rows in `room` rows starts when scrolled down `offset` rows (no further than its end shows) */
export function scrolledTo(offset: number, total: number, room: number): number {
  // the last page: its first row under "… N rows above", the rest to the end
  const last = Math.max(0, total - (room - 1));
  return Math.max(0, Math.min(offset, last));
}

/** a paragraph wrapped to `width`, continuation rows indented by `indent` */
export function paragraph(text: string, width: number, indent = 0, style: Omit<Row, "text"> = {}): Row[] {
  const pad = " ".repeat(indent);
  return wrapRows(text, width - indent).map((t) => ({ ...style, text: pad + t }));
}

export function Rows({ rows, maxRows, width, offset = 0, scroll }: { rows: Row[]; maxRows: number; width: number; offset?: number; scroll?: string }) {
  const tip = scroll ? ` (${scroll})` : "";
  const more = (n: number): Row => ({ text: `… ${n} more row${n === 1 ? "" : "s"}${tip}`, dim: true });
  const above = (n: number): Row => ({ text: `… ${n} row${n === 1 ? "" : "s"} above`, dim: true });
  let shown = rows;
  if (rows.length > maxRows && maxRows > 0) {
    const start = scrolledTo(offset, rows.length, maxRows);
    const head = start > 0 && maxRows >= 3 ? [above(start)] : [];
    const room = maxRows - head.length;
    const rest = rows.length - start;
    shown = rest <= room ? [...head, ...rows.slice(start, start + room)] : [...head, ...rows.slice(start, start + room - 1), more(rest - room + 1)];
  } else if (maxRows <= 0) shown = [];
  return (
    <Box flexDirection="column" width={width}>
      {shown.map((r, i) => (
        <Text key={i} wrap="truncate-end" color={r.color} bold={r.bold} dimColor={r.dim}>
          {r.text}
        </Text>
      ))}
    </Box>
  );
}
