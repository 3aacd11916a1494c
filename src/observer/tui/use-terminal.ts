/**
 * The terminal's size, following resizes, and a clock that ticks while something is live.
 */
import { useStdout } from "ink";
import { useEffect, useRef, useState } from "react";

export interface Size {
  columns: number;
  rows: number;
}

export function useTerminalSize(): Size {
  const { stdout } = useStdout();
  const read = (): Size => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = (): void => setSize(read());
    stdout.on("resize", onResize);
    return () => {
      stdout.off("resize", onResize);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stdout]);
  return size;
}

/** narrower or shorter than before: the terminal re-wrapped what was drawn */
export function isShrink(before: Partial<Size>, after: Partial<Size>): boolean {
  return (after.columns ?? 0) < (before.columns ?? 0) || (after.rows ?? 0) < (before.rows ?? 0);
}

/** clear the screen and the scrollback, and home the cursor (Ink's clearTerminal) */
export const CLEAR_TERMINAL = "\u001b[2J\u001b[3J\u001b[H";

/**
 * When the terminal gets narrower or shorter, it re-wraps the rows Ink drew at the old width
 * (mid-word) and pushes what no longer fits into its scrollback, where no erasing reaches: a
 * broken copy of the live area would stay there. So after a shrink the screen and the scrollback
 * are cleared, and the number returned goes up: the transcript, keyed on it, is written again
 * at the new width (as gemini-cli does on a resize). What the terminal showed before the TUI
 * started goes with it; growing the window clears nothing.
 */
export function useShrinkEpoch(size: Size): number {
  const { stdout } = useStdout();
  const [epoch, setEpoch] = useState(0);
  const last = useRef(size);
  useEffect(() => {
    if (isShrink(last.current, size)) {
      stdout.write(CLEAR_TERMINAL);
      setEpoch((e) => e + 1);
    }
    last.current = size;
  }, [size, stdout]);
  return epoch;
}

/** `now()` re-read every `everyMs` while `active` */
export function useNow(now: () => number, everyMs: number, active: boolean): number {
  const [t, setT] = useState(now);
  useEffect(() => {
    if (!active) return;
    setT(now());
    const timer = setInterval(() => setT(now()), everyMs);
    return () => clearInterval(timer);
  }, [now, everyMs, active]);
  return t;
}
