/** What the keys do (toggled with `?`), as rows; with the input line's keys when the run has a person in it. */
import type { Mode } from "./Footer.js";
import { paragraph, type Row } from "./rows.js";

/** `again`: the command that shows the run again */
const HELP = (again: (cmd: string) => string): Record<Mode, string[]> => ({
  run: [
    "q or Ctrl-C  stop the conversation: the turn being generated is cut and kept, the run is recorded as a user stop",
    "Ctrl-C again quit at once (the run stays in Redis as it was)",
  ],
  watch: [`q or Ctrl-C  detach; the conversation goes on (${again("watch")} to come back)`],
  replay: ["q or Ctrl-C  stop the replay"],
});

/** a key and what it does, its continuation rows under the description (column 13) */
function keyRows(line: string, width: number): Row[] {
  const [first = "", ...rest] = paragraph(line, width, 13).map((r) => r.text);
  return [{ text: first.slice(13) }, ...rest.map((text) => ({ text }))];
}

/** at a person's turn, in the input line (run opens it by itself; watch on Enter) */
const LINE: Record<Mode, string[]> = {
  run: [
    "Enter        at a person's turn the input line opens by itself: type, and Enter sends it",
    "Esc          close the line: q, s and ? are keys again, Enter opens it again (while it is open every key but Ctrl-C is typed into it, q too)",
    "Ctrl-U / W   clear the line / delete the last word",
  ],
  watch: [
    "Enter        at a person's turn: open the input line to answer as them; Enter sends it",
    "Esc          close the line: q, s and ? are keys again (while it is open every key but Ctrl-C is typed into it, q too)",
    "Ctrl-U / W   clear the line / delete the last word",
  ],
  replay: [],
};

/** `reach`: what the commands shown need to reach the run (cli/reach.ts) */
export function helpRows(mode: Mode, id: string, width: number, reach: string, people = false): Row[] {
  const again = (cmd: string): string => `dialogue ${cmd} ${id}${reach}`;
  const keys = [...HELP(again)[mode], ...(people ? LINE[mode] : []), "s            show or hide the story and the personas (↑ ↓, PgUp PgDn scroll them)", "?            show or hide this help"];
  return [
    { text: "Keys", bold: true },
    ...keys.flatMap((l) => keyRows(l, width)),
    ...paragraph("Finished turns scroll above. Everything is kept in Redis; to see it again:", width),
    // the command on rows of its own, wrapped at spaces, so the id is never split from it
    ...paragraph(again("show"), width, 2),
  ];
}
