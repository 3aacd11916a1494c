/**
 * A panel as a list of single terminal rows, so its height is known: paragraphs are wrapped to the
 * width first, and a panel taller than its room ends with "… N more rows".
 */
import { Box, Text } from "ink";
import { wrapRows } from "./text.js";

export interface Row {
  text: string;
  color?: string;
  bold?: boolean;
  dim?: boolean;
}

/** a paragraph wrapped to `width`, continuation rows indented by `indent` */
export function paragraph(text: string, width: number, indent = 0, style: Omit<Row, "text"> = {}): Row[] {
  const pad = " ".repeat(indent);
  return wrapRows(text, width - indent).map((t) => ({ ...style, text: pad + t }));
}

export function Rows({ rows, maxRows, width }: { rows: Row[]; maxRows: number; width: number }) {
  const more = (n: number): Row => ({ text: `… ${n} more row${n === 1 ? "" : "s"}`, dim: true });
  const shown = rows.length <= maxRows ? rows : [...rows.slice(0, Math.max(0, maxRows - 1)), ...(maxRows > 0 ? [more(rows.length - maxRows + 1)] : [])];
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
