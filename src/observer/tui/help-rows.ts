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

export function helpRows(mode: Mode, id: string, width: number): Row[] {
  const lines = [
    ...HELP[mode],
    "s            show or hide the story and the personas",
    "?            show or hide this help",
    `Finished turns scroll above. Everything is kept in Redis: dialogue show ${id}`,
  ];
  return [{ text: "Keys", bold: true }, ...lines.flatMap((l) => paragraph(l, width, 13))];
}
