/**
 * The last frame of a TUI left before the run ended — the launcher quit at once (a second Ctrl-C
 * in `run`), a watcher detached, a replay was quit: under the header, what happened, and no keys
 * (nothing reads them any more). The header says how it was left and the run's status as last seen.
 */
import { Box, Text } from "ink";
import type { ConversationRecord } from "../../protocol/record.js";
import type { Mode } from "./Footer.js";
import { statusText } from "./Header.js";
import { paragraph } from "./rows.js";
import { tone, useTheme } from "./theme.js";

/** how the TUI was left, and what its last frame says about it */
export interface Leaving {
  how: "quit" | "detached" | "replay quit" | "stopped following";
  text: string;
}

/** `watch`'s q or Ctrl-C, and a replay's: what the last frame says (`reach`: what its command needs to reach the run, cli/reach.ts) */
export function leavingBy(mode: Exclude<Mode, "run">, id: string, reach: string): Leaving {
  return mode === "watch"
    ? { how: "detached", text: "Detached: this terminal stopped watching; the run itself was not touched." }
    : { how: "replay quit", text: `Replay quit before its end: dialogue show ${id}${reach} shows the whole run.` };
}

/** the header's status: how it was left, and (a run, a watch) the run's status when it was */
export function leftStatus(l: Leaving, r: ConversationRecord): string {
  return l.how === "replay quit" ? l.how : `${l.how} · last seen ${statusText(r)}`;
}

/** the rows the text takes at `width` */
export const leftRows = (l: Leaving, width: number): number => paragraph(l.text, width).length;

export function Left({ leaving, width }: { leaving: Leaving; width: number }) {
  const theme = useTheme();
  return (
    <Box flexDirection="column" width={width}>
      {paragraph(leaving.text, width).map((r, i) => (
        <Text key={i} wrap="truncate-end" color={tone(theme, "yellow")}>
          {r.text}
        </Text>
      ))}
    </Box>
  );
}
