/**
 * `dialogue replay <id> --speed N`: a retained run again, with its original timing sped up N times
 * (0: at once), token by token where the token stream still holds the chunks. Reads Redis only.
 */
import { Command } from "commander";
import { isFinal } from "../protocol/record.js";
import { play, readTokens, timeline } from "../observer/replay.js";
import { analysisOf } from "../redis/analysis-store.js";
import { addCommonOptions, nonNegativeNumber, stderr, type CommonOptions } from "./common.js";
import { getOrThrow, openStore } from "./conversation.js";
import { addOutputOptions, observeWithTui, textObserver, wantsTui, type ObserveOptions } from "./observe.js";

export function replayCommand(): Command {
  const cmd = new Command("replay")
    .description("replay a retained conversation with its original timing, sped up (tokens included where retained)")
    .argument("<id>", "conversation id (see dialogue list)")
    .option("--speed <n>", "how many times faster than it ran (10, 0.5); 0 = at once", nonNegativeNumber("--speed"), 1);
  addOutputOptions(cmd);
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  dialogue replay 20261121-143005-k3f9a --speed 10   # a 2-minute run in 12 seconds
  dialogue replay 20261121-143005-k3f9a --speed 0    # straight to the end
  dialogue replay <id> --speed 5 --json --tokens     # the events, timed

The story and personas show at once; the dialogue keeps its timing. Token chunks are kept up to
redis.token_stream_maxlen per run: older turns replay whole when they finished. Keys: q quit · s story · ? help.`,
  );
  return cmd.action(async (id: string, opts: CommonOptions & ObserveOptions & { speed: number }) => {
    // reach: what the commands printed need to reach this run (--prefix, --redis-url)
    const { store, close, prefix, reach } = await openStore(opts);
    try {
      const record = await getOrThrow(store, id, prefix);
      if (!isFinal(record.status)) stderr(`${id} is still ${record.status}: replaying what is recorded so far (dialogue watch ${id}${reach} follows it live)`);
      const messages = await store.readLog(id);
      const events = timeline(record, messages, await readTokens(store, id));
      // the end shows the same analysis as `dialogue analyze` (the stored one when it is fresh)
      const { analysis } = await analysisOf(store, record, { readOnly: true });
      for (const e of events) if (e.event.type === "end") e.event = { ...e.event, analysis };
      if (!wantsTui(opts)) {
        await play(events, opts.speed, textObserver(opts, reach, false)).done;
        return;
      }
      let now = (): number => Date.now();
      await observeWithTui({
        mode: "replay",
        reach,
        speed: opts.speed,
        recorded: messages,
        now: () => now(),
        produce: async (feed, signal) => {
          const player = play(events, opts.speed, (e) => feed.push(e), signal);
          now = player.now;
          await player.done;
        },
      });
    } finally {
      close();
    }
  });
}
