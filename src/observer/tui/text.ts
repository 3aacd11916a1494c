/**
 * Text that is safe and measurable in the terminal: what models write is cleaned of control
 * characters (an escape sequence in a reply must not move the cursor), and wrapped exactly as Ink
 * wraps (wrap-ansi, hard, no trim) so the live area's height is known before Ink lays it out.
 */
import wrapAnsi from "wrap-ansi";

/** tabs to spaces, CRLF to LF, every other control character (ESC included) dropped */
export function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\r\n?/g, "\n").replace(/\t/g, "  ").replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, "");
}

/**
 * `text` wrapped to `width` columns, one string per terminal row. Like Ink's own wrapping (hard,
 * indentation kept) except that a row made by wrapping does not start with the space it broke at.
 */
export function wrapRows(text: string, width: number): string[] {
  return clean(text)
    .split("\n")
    .flatMap((line) =>
      line === ""
        ? [""]
        : wrapAnsi(line, Math.max(1, width), { hard: true, trim: false })
            .split("\n")
            .map((row, i) => (i > 0 && row.startsWith(" ") ? row.slice(1) : row)),
    );
}

/** the last `max` rows of `text` wrapped to `width`, and how many rows were left out above */
export function tailRows(text: string, width: number, max: number): { rows: string[]; hidden: number } {
  const rows = wrapRows(text, width);
  if (rows.length <= max) return { rows, hidden: 0 };
  const keep = Math.max(0, max);
  return { rows: keep === 0 ? [] : rows.slice(-keep), hidden: rows.length - keep };
}
