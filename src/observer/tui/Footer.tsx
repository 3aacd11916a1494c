/** The keys, and a notice from the launcher or the keys themselves ("stopping …"). */
import { Text } from "ink";
import { Fragment } from "react";
import { tone, useTheme } from "./theme.js";

export type Mode = "run" | "watch" | "replay";

export const footerRows = (notice: string | null): number => (notice ? 2 : 1);

const KEYS: Record<Mode, Array<[string, string]>> = {
  run: [["q", "stop"], ["s", "story"], ["?", "help"], ["Ctrl-C ×2", "quit at once"]],
  watch: [["q", "detach"], ["s", "story"], ["?", "help"]],
  replay: [["q", "quit"], ["s", "story"], ["?", "help"]],
};

export function Footer({ mode, notice }: { mode: Mode; notice: string | null }) {
  const theme = useTheme();
  return (
    <>
      {notice ? (
        <Text color={tone(theme, "yellow")} wrap="truncate-end">
          {notice}
        </Text>
      ) : null}
      <Text wrap="truncate-end">
        {KEYS[mode].map(([key, what], i) => (
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
