/**
 * What `run`, `watch` and `replay` share: choosing the observer (the Ink TUI on a terminal, plain
 * text or JSON lines otherwise) and driving it from a producer of feed events (following Redis, or
 * the replay player).
 */
import type { Command } from "commander";
import { analyze } from "../analysis/analyzer.js";
import { Feed, type FeedEvent } from "../observer/feed.js";
import { jsonRenderer } from "../observer/jsonl.js";
import { plainRenderer } from "../observer/plain.js";
import { redisLines } from "../observer/redis-away.js";
import type { DialogMessage } from "../protocol/schemas.js";
import type { EndReport, Mode, Say, Tui, TuiKey } from "../observer/tui/index.js";
import { wantsTui } from "../observer/wants-tui.js";
import { write } from "./output.js";

export interface ObserveOptions {
  plain?: boolean;
  json?: boolean;
  tokens?: boolean;
}

export { wantsTui };

/** --plain, --json and --tokens: how watch and replay write what they observe (ObserveOptions) */
export function addOutputOptions(cmd: Command): Command {
  return cmd
    .option("--plain", "plain text (the default when stdout is not a terminal)")
    .option("--json", "JSON lines: one event per line")
    .option("--tokens", "with --json: also emit token chunks");
}

// dropped once stdout is closed (`dialogue run … | head`: the run is being stopped)
const out = (s: string): void => write(s);

/**
 * plain text or JSON lines on stdout, fed with feed events; `reach`: what the commands printed need
 * to reach the run (cli/reach.ts); `live`: false for a replay (a person's turn is not offered)
 */
export function textObserver(opts: ObserveOptions, reach: string, live = true): (e: FeedEvent) => void {
  const r = opts.json ? jsonRenderer(out, { live, reach }) : plainRenderer(out, { live, reach });
  const redisLine = redisLines();
  return (e) => {
    // the same report as `dialogue analyze`: stored with the run, or computed from these messages
    if (e.type === "end") r.finish(e.record, e.analysis ?? analyze(e.record, e.messages));
    else if (e.type === "notice") process.stderr.write(`${e.text}\n`);
    // Redis went away, or is back: a line on stderr each time
    else if (e.type === "redis") {
      const line = redisLine(e);
      if (line) process.stderr.write(`${line}\n`);
    }
    // token chunks with --json --tokens; a failed attempt's notice always
    else if (e.type !== "tokens" || e.chunk.failed || (opts.json && opts.tokens)) r.onEvent(e);
  };
}

export interface TuiRun {
  mode: Mode;
  /** produces the events; resolves when there are no more, or soon after `signal` aborts */
  produce: (feed: Feed, signal: AbortSignal) => Promise<void>;
  onKey?: (key: TuiKey) => void;
  /** hears the TUI once it is on screen (to take it down before a hard exit) */
  onStart?: (tui: Tui) => void;
  now?: () => number;
  speed?: number;
  /** under the summary at the end (the analysis report) */
  report?: EndReport;
  /** what a person types in the TUI's input line is said with this */
  say?: Say;
  /** a replay: every recorded message (a person's turn says what came of it) */
  recorded?: readonly DialogMessage[];
  /** what the commands the TUI shows need to reach the run (cli/reach.ts) */
  reach: string;
}

/**
 * Shows the TUI until it exits (the end was shown, or the user detached), then stops the producer.
 * If the producer fails, the TUI is taken down first so the error prints on a clean terminal.
 */
export async function observeWithTui(run: TuiRun): Promise<void> {
  // Ink and React load only here: a command that shows no TUI never pays for them
  const { startTui } = await import("../observer/tui/index.js");
  const feed = new Feed();
  const ac = new AbortController();
  let failure: { err: unknown } | null = null;
  // the producer starts first (the feed keeps its events until the TUI subscribes), so a clock
  // it sets up synchronously is there when the TUI first reads `now`
  const producing = run.produce(feed, ac.signal).catch((err: unknown) => {
    failure = { err };
    // the last frame says what stopped it, not the live turn and keys of a run it no longer follows
    const why = (err instanceof Error ? err.message : String(err)).split("\n")[0];
    try {
      tui.quit(run.mode === "replay" ? `Replay stopped: ${why}.` : `Stopped following the run: ${why}.`, "stopped following");
    } catch {
      tui.unmount();
    }
  });
  const tui = startTui({ feed, mode: run.mode, onKey: run.onKey, now: run.now, speed: run.speed, report: run.report, say: run.say, recorded: run.recorded, reach: run.reach });
  run.onStart?.(tui);
  await tui.done;
  ac.abort();
  await producing;
  if (failure) throw (failure as { err: unknown }).err;
}
