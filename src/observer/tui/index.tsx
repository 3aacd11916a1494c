/**
 * Starting the TUI on the terminal. Ink owns stdout while it runs (nothing else may write there:
 * logs go to a file or stderr, launcher notices go through the feed), renders at most 30 frames a
 * second, and leaves Ctrl-C to the App's keys. (Ink 6.8's incrementalRendering left stale rows
 * behind next to <Static> output in tmux, so the default full redraw of the live area is kept.)
 * A shrinking terminal is cleared and the transcript written again (use-terminal.ts: useShrinkEpoch).
 */
import chalk from "chalk";
import { render } from "ink";
import type { DialogMessage } from "../../protocol/schemas.js";
import type { Feed } from "../feed.js";
import { App, type TuiKey } from "./App.js";
import type { Mode } from "./Footer.js";
import type { Leaving } from "./Left.js";
import type { EndReport } from "./SummaryScreen.js";
import { colorAllowed, ThemeContext } from "./theme.js";
import type { Say } from "./use-person-line.js";

export type { TuiKey } from "./App.js";
export type { Mode } from "./Footer.js";
export type { EndReport } from "./SummaryScreen.js";
export type { Say } from "./use-person-line.js";

export interface TuiOptions {
  feed: Feed;
  mode: Mode;
  now?: () => number;
  speed?: number;
  onKey?: (key: TuiKey) => void;
  /** under the summary at the end: the analysis report */
  report?: EndReport;
  /** what a person types in the input line is said with this (run, watch) */
  say?: Say;
  /** a replay: every recorded message (a person's turn says what came of it) */
  recorded?: readonly DialogMessage[];
  /** what the commands it shows need to reach the run (cli/reach.ts) */
  reach: string;
}

export interface Tui {
  /** resolves when the TUI has exited (the run ended, or the user detached) */
  done: Promise<void>;
  unmount(): void;
  /**
   * takes the TUI down before the run ended, its last frame saying `text` instead of the live turn,
   * the stats and the keys; `how` heads it (@defaultValue "quit")
   */
  quit(text: string, how?: Leaving["how"]): void;
}

export function startTui(opts: TuiOptions): Tui {
  const { feed, mode, now, speed, onKey, report, say, recorded, reach } = opts;
  // the agents' colours: the xterm palette where the terminal has 256 colours (chalk, which Ink colours with, says)
  const tree = (quit?: Leaving) => (
    <ThemeContext.Provider value={{ color: colorAllowed(process.env), deep: chalk.level >= 2 }}>
      <App feed={feed} mode={mode} now={now} speed={speed} onKey={onKey} report={report} say={say} recorded={recorded} quit={quit} reach={reach} />
    </ThemeContext.Provider>
  );
  const instance = render(tree(), {
    stdout: process.stdout,
    stdin: process.stdin,
    stderr: process.stderr,
    exitOnCtrlC: false,
    patchConsole: true,
    maxFps: 30,
  });
  return {
    done: instance.waitUntilExit().then(() => undefined),
    unmount: () => instance.unmount(),
    // rendered at once (Ink's legacy root renders synchronously), and drawn as Ink unmounts
    quit: (text, how = "quit") => {
      instance.rerender(tree({ how, text }));
      instance.unmount();
    },
  };
}

export { wantsTui } from "../wants-tui.js";
