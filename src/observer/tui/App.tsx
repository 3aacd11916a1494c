/**
 * The TUI: the transcript written once above (<Static>), and a live area below it, always shorter
 * than the terminal: header, help and story panels when toggled, the turn being generated, the
 * per-agent stats and the keys. When the run is over it shows the summary screen and exits.
 *
 * Keys: in `run`, q and Ctrl-C ask the launcher to stop the conversation ("stop" / "interrupt";
 * the launcher quits at once on a second Ctrl-C, and `quit` then says so in the last frame); in
 * `watch` and `replay`, q and Ctrl-C detach, and the last frame says so. Either way that frame has
 * no keys. s toggles the story, ? the help. At a person's turn the input line (use-person-line.ts)
 * takes the keys while it is open — every key but Ctrl-C — and Esc gives them back. A replay has
 * no input line: a person's turn says what came of it as recorded (`recorded`).
 */
import { Text, useApp, useInput, useStdin } from "ink";
import { useCallback, useEffect, useRef, useState } from "react";
import type { DialogMessage } from "../../protocol/schemas.js";
import type { Feed } from "../feed.js";
import type { Mode } from "./Footer.js";
import { leavingBy, type Leaving } from "./Left.js";
import { LiveArea } from "./LiveArea.js";
import { replayedLine } from "./PersonTurn.js";
import { initialState, reduce } from "./state.js";
import type { EndReport } from "./SummaryScreen.js";
import { storyRows } from "./story-rows.js";
import { useTheme } from "./theme.js";
import { Transcript } from "./Transcript.js";
import { useBatchedReducer } from "./use-batched.js";
import { usePersonLine, type Say } from "./use-person-line.js";
import { useNow, useShrinkEpoch, useTerminalSize } from "./use-terminal.js";
import { now as clockNow } from "../../redis/clock.js";

export type TuiKey = "stop" | "interrupt" | "detach";

export interface AppProps {
  feed: Feed;
  mode: Mode;
  /** the clock the header reads (a replay runs on its own); @defaultValue Redis' clock (redis/clock.ts) */
  now?: () => number;
  /** replay speed, shown in the header */
  speed?: number;
  onKey?: (key: TuiKey) => void;
  /** @defaultValue 33 (about 30 updates a second) */
  flushMs?: number;
  /** shown under the summary at the end (the analysis report) */
  report?: EndReport;
  /** says what a person types in the input line (run, watch); absent: no input line */
  say?: Say;
  /** a replay: every recorded message, so a person's turn says what came of it (nobody can answer a replay) */
  recorded?: readonly DialogMessage[];
  /**
   * left before the run ended — `run`'s launcher quit (a second Ctrl-C), or what the TUI showed
   * failed (the conversation disappeared): the last frame says this, with no keys
   */
  quit?: Leaving;
  /**
   * what the commands it shows (`dialogue show <id>`, `dialogue say <id> "…"`) need to reach the
   * run: cli/reach.ts; @defaultValue "" (the default prefix, Redis as REDIS_URL says)
   */
  reach?: string;
}

const STOP_NOTICE = "stopping: the turn being generated is cut and kept · Ctrl-C again quits at once";

export function App({ feed, mode, now = clockNow, speed, onKey, flushMs = 33, report, say, recorded = [], quit: left, reach = "" }: AppProps) {
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  const subscribe = useCallback((l: Parameters<Feed["subscribe"]>[0]) => feed.subscribe(l), [feed]);
  const state = useBatchedReducer(subscribe, reduce, initialState, flushMs);
  const size = useTerminalSize();
  const { columns, rows } = size;
  const epoch = useShrinkEpoch(size);
  // watch detached, or a replay quit (run: the launcher's `quit`): the last frame says so
  const [detached, setDetached] = useState<Leaving | null>(null);
  const leaving: Leaving | null = left ?? detached;
  const live = !state.ended && leaving === null;
  const t = useNow(now, 250, live);
  const theme = useTheme();
  const [showStory, setShowStory] = useState(false);
  // how far the story panel is scrolled (Rows clamps it to the panel's end)
  const [storyOffset, setStoryOffset] = useState(0);
  // the key handler can run before React re-registers it after a render: it reads this instead
  const storyOpen = useRef(false);
  storyOpen.current = showStory;
  const [showHelp, setShowHelp] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  // no line where no key can be read (stdin not a terminal): the person answers with dialogue say
  const person = usePersonLine(live ? state.record : null, mode, isRawModeSupported === true ? say : undefined);
  const line = mode === "replay" ? replayedLine(live ? state.record : null, recorded) : person.line;

  // keys typed quickly (or pasted) arrive together in one input ("?s"): each one counts
  useInput(
    (input, key) => {
      if (person.handle(input, key)) return;
      if (key.ctrl) {
        if (input === "c") quit("interrupt");
        return;
      }
      if (storyOpen.current && (key.upArrow || key.downArrow || key.pageUp || key.pageDown)) {
        const step = key.pageUp || key.pageDown ? Math.max(1, rows - 10) : 1;
        // no further than the panel's last rows (what is above them shows when it is scrolled)
        const end = state.record ? storyRows(state.record, Math.max(20, columns), theme).length : 0;
        setStoryOffset((o) => Math.max(0, Math.min(o + (key.upArrow || key.pageUp ? -step : step), end)));
        return;
      }
      for (const ch of input) {
        if (ch === "s") {
          storyOpen.current = !storyOpen.current;
          setShowStory(storyOpen.current);
          setStoryOffset(0);
        }
        else if (ch === "?") setShowHelp((v) => !v);
        // Ctrl-Cs that came in one read ("\x03\x03": pressed fast, over ssh, a busy terminal) count
        // one by one, as they do apart: the first stops the run, the second quits at once
        else if (ch === "\x03") quit("interrupt");
        else if (ch === "q") {
          quit("stop");
          return;
        }
      }
    },
    { isActive: isRawModeSupported === true && live },
  );

  function quit(how: "stop" | "interrupt"): void {
    if (mode === "run") {
      setNotice(STOP_NOTICE);
      onKey?.(how);
    } else {
      setDetached(leavingBy(mode, state.record?.spec.id ?? "", reach));
      onKey?.("detach");
    }
  }

  // exits once the frame that says so is drawn (Ink draws the last one as it unmounts)
  useEffect(() => {
    if (state.ended || detached) exit();
  }, [state.ended, detached, exit]);

  if (!state.record) return <Text dimColor>DialogueLLM · reading the conversation from Redis …</Text>;
  const width = Math.max(20, columns);
  return (
    <>
      <Transcript key={epoch} items={state.items} record={state.record} width={width} />
      <LiveArea
        state={state}
        mode={mode}
        columns={width}
        rows={rows}
        now={t}
        showStory={showStory}
        storyOffset={storyOffset}
        showHelp={showHelp}
        notice={notice}
        speed={speed}
        report={report}
        line={line}
        leaving={leaving}
        reach={reach}
      />
    </>
  );
}
