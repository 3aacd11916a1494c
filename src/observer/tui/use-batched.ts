/**
 * Batching events before React sees them (gemini-cli's useConsoleMessages): events are buffered
 * as they arrive and applied in one state update per `flushMs`, so a model streaming hundreds of
 * token chunks a second costs at most ~30 renders a second.
 */
import { useEffect, useState } from "react";

/** subscribes and returns the unsubscribe function */
export type Subscribe<E> = (listener: (e: E) => void) => () => void;

/** @param flushMs at most one update per this many ms. @defaultValue 33 */
export function useBatchedReducer<E, S>(
  subscribe: Subscribe<E>,
  reduce: (s: S, batch: readonly E[]) => S,
  initial: S,
  flushMs = 33,
): S {
  const [state, setState] = useState(initial);
  useEffect(() => {
    let buffer: E[] = [];
    let timer: NodeJS.Timeout | null = null;
    const flush = (): void => {
      timer = null;
      const batch = buffer;
      buffer = [];
      if (batch.length > 0) setState((s) => reduce(s, batch));
    };
    const unsubscribe = subscribe((e) => {
      buffer.push(e);
      timer ??= setTimeout(flush, flushMs);
    });
    return () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    };
  }, [subscribe, reduce, flushMs]);
  return state;
}
