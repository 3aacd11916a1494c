/** What the keys do (toggled with `?`), as rows. */
import type { Mode } from "./Footer.js";
import { paragraph, type Row } from "./rows.js";

const HELP: Record<Mode, string[]> = {
  run: [
    "q or Ctrl-C   stop the conversation: the turn being generated is cut and kept, the run is recorded as a user stop",
    "Ctrl-C again  quit at once (the run stays in Redis as it was)",
  ],
  watch: ["q or Ctrl-C   detach; the conversation goes on (dialogue watch <id> to come back)"],
  replay: ["q or Ctrl-C   stop the replay"],
};

/** a key and what it does, its continuation rows under the description (column 13) */
function keyRows(line: string, width: number): Row[] {
  const [first = "", ...rest] = paragraph(line, width, 13).map((r) => r.text);
  return [{ text: first.slice(13) }, ...rest.map((text) => ({ text }))];
}

export function helpRows(mode: Mode, id: string, width: number): Row[] {
  const keys = [...HELP[mode], "s            show or hide the story and the personas", "?            show or hide this help"];
  return [
    { text: "Keys", bold: true },
    ...keys.flatMap((l) => keyRows(l, width)),
    ...paragraph("Finished turns scroll above. Everything is kept in Redis; to see it again:", width),
    // the command on a row of its own, so the id is never split from it
    { text: `  dialogue show ${id}` },
  ];
}
