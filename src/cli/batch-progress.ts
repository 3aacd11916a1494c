/**
 * `run --count N` while it waits, on a terminal: one line on stderr, redrawn in place, with how
 * many conversations are done, running and queued (not yet taken by a manager), the turns so far
 * and a bar. Off a terminal it draws nothing: the per-conversation lines on stdout stay plain.
 * Anything else written meanwhile goes through `print`, which takes the line away first.
 */
import { plural } from "../analysis/format.js";

export interface BatchCounts {
  done: number;
  running: number;
  queued: number;
  turns: number;
}

const BAR = 20;

/** the progress line (without terminal codes) */
export function progressLine(c: BatchCounts, of: number, elapsedMs: number): string {
  const fill = of > 0 ? Math.round((c.done / of) * BAR) : 0;
  return (
    `[${"█".repeat(fill)}${"░".repeat(BAR - fill)}] ${c.done}/${of} done · ${c.running} running · ${c.queued} queued · ` +
    `${plural(c.turns, "turn")} · ${(elapsedMs / 1000).toFixed(0)} s`
  );
}

export class BatchProgress {
  private shown = false;
  private readonly started = Date.now();

  constructor(
    private readonly of: number,
    private readonly err: NodeJS.WriteStream = process.stderr,
  ) {}

  get live(): boolean {
    return Boolean(this.err.isTTY);
  }

  draw(c: BatchCounts): void {
    if (!this.live) return;
    const columns = this.err.columns || 80;
    const line = progressLine(c, this.of, Date.now() - this.started);
    this.err.write(`\r${line.length >= columns ? line.slice(0, columns - 1) : line}\u001b[K`);
    this.shown = true;
  }

  /** writes `fn`'s output on a clean line (the progress line is taken away, then drawn again by the next draw) */
  print(fn: () => void): void {
    this.clear();
    fn();
  }

  clear(): void {
    if (!this.shown) return;
    this.err.write("\r\u001b[K");
    this.shown = false;
  }
}
