/**
 * The keys, and a notice from the launcher or the keys themselves ("stopping …"). While a person
 * types in the input line the letters are theirs, so the row says what still works: Enter sends,
 * Esc gives the keys back, Ctrl-C stops (run) or detaches (watch).
 */
import { Text } from "ink";
import { Fragment } from "react";
import type { PersonLine } from "./PersonTurn.js";
import { tone, useTheme } from "./theme.js";

export type Mode = "run" | "watch" | "replay";

export const footerRows = (notice: string | null): number => (notice ? 2 : 1);

const KEYS: Record<Mode, Array<[string, string]>> = {
  run: [["q", "stop"], ["s", "story"], ["?", "help"], ["Ctrl-C ×2", "quit at once"]],
  watch: [["q", "detach"], ["s", "story"], ["?", "help"]],
  replay: [["q", "quit"], ["s", "story"], ["?", "help"]],
};

const TYPING: Record<Mode, Array<[string, string]>> = {
  run: [["Enter", "send"], ["Esc", "keys"], ["Ctrl-C", "stop"], ["Ctrl-U", "clear"]],
  watch: [["Enter", "send"], ["Esc", "keys"], ["Ctrl-C", "detach"], ["Ctrl-U", "clear"]],
  replay: [],
};

/** the keys shown: the usual ones, the input line's while it is open, and Enter when it is offered */
export function keysFor(mode: Mode, line?: PersonLine["state"]): Array<[string, string]> {
  if (line === "typing") return TYPING[mode];
  if (line === "closed") return [["Enter", "answer"], ...KEYS[mode]];
  return KEYS[mode];
}

export function Footer({ mode, notice, line }: { mode: Mode; notice: string | null; line?: PersonLine["state"] }) {
  const theme = useTheme();
  return (
    <>
      {notice ? (
        <Text color={tone(theme, "yellow")} wrap="truncate-end">
          {notice}
        </Text>
      ) : null}
      <Text wrap="truncate-end">
        {keysFor(mode, line).map(([key, what], i) => (
          <Fragment key={key}>
            {i > 0 ? <Text dimColor> · </Text> : null}
            <Text bold>{key}</Text>
            <Text dimColor> {what}</Text>
          </Fragment>
        ))}
      </Text>
    </>
  );
}
