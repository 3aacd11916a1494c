/**
 * `dialogue watch <id>`: attach to a conversation, live or finished, from any terminal or host.
 * Reads Redis (the record, the log, the token stream); q detaches without touching the run. What
 * it may write: what a person says in the TUI's input line at their turn (a `say` control job, as
 * `dialogue say` writes it), and, for a run whose lease ran out (no live manager drives it), its end
 * as abandoned (Store.settle, as `list` does), which it then tells like any run's end. While Redis
 * is unreachable it says so (the TUI's live area, or a line on stderr when it goes and when it is
 * back) and keeps trying for redis.unavailable_timeout_ms; then it exits 1 with the error `run` gives.
 */
import { Command } from "commander";
import { say } from "../manager/say.js";
import { Queues } from "../queues/index.js";
import { analysisOf } from "../redis/analysis-store.js";
import { follow } from "../observer/follow.js";
import type { Tui } from "../observer/tui/index.js";
import { now } from "../redis/clock.js";
import { addCommonOptions, stderr, type CommonOptions } from "./common.js";
import { getOrThrow, openStore } from "./conversation.js";
import { addOutputOptions, observeWithTui, textObserver, wantsTui, type ObserveOptions } from "./observe.js";
import { sayLostRedis, watchRedis, type RedisEvent } from "./redis-away.js";

export function watchCommand(): Command {
  const cmd = new Command("watch")
    .description("attach to a conversation, live or finished: the TUI on a terminal, plain text otherwise (reads Redis only)")
    .argument("<id>", "conversation id (see dialogue list)");
  addOutputOptions(cmd);
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  dialogue watch 20261121-143005-k3f9a            # follow it live; q detaches, the run goes on
  dialogue watch 20261121-143005-k3f9a --plain    # text, safe to pipe
  REDIS_URL=redis://gpu-box:6379 dialogue watch <id>   # from another machine

Keys: q detach · s story and personas · ? help. At a person's turn, Enter opens the input line
to answer as them (Enter sends, Esc gives the keys back); dialogue say <id> "…" does the same.
If Redis becomes unreachable it says so (plain text: a line on stderr when it goes and when it is
back) and keeps trying for up to redis.unavailable_timeout_ms (30 s); then it exits 1.`,
  );
  return cmd.action(async (id: string, opts: CommonOptions & ObserveOptions) => {
    // reach: what the commands printed need to reach this run (--prefix, --redis-url)
    const { store, close, prefix, config, url, reach } = await openStore(opts);
    const where = `Redis at ${url} (prefix "${prefix}")`;
    // opened only if a person answers from this terminal
    let queues = null as Queues | null;
    // Redis gone away or back: told to the view; gone too long: the error, and exit 1
    let tell: (e: RedisEvent) => void = () => undefined;
    let tui: Tui | null = null;
    const connection = watchRedis(store.redis, url, config, (e) => tell(e), () => {
      if (tui) tui.quit(`Lost Redis at ${url} for ${Math.round(config.redis.unavailable_timeout_ms / 1000)} s: this stopped watching; the run keeps what was recorded so far.`);
      sayLostRedis(url, config, id, `dialogue watch ${id}${reach}`);
      process.exit(1);
    });
    try {
      await getOrThrow(store, id, prefix);
      if (!wantsTui(opts)) {
        const observe = textObserver(opts, reach);
        tell = observe;
        const away = connection.away();
        if (away) observe({ type: "redis", away, at: now() });
        const final = await follow(store, id, observe, { tokens: Boolean(opts.json && opts.tokens), notices: true, settle: "dialogue watch", where, watch: connection });
        const { analysis } = await analysisOf(store, final, { readOnly: true });
        observe({ type: "end", record: final, messages: await store.readLog(id), analysis });
        return;
      }
      let detached = false;
      await observeWithTui({
        mode: "watch",
        reach,
        say: (as, text, turn) => say(store, (queues ??= new Queues(store.redis, prefix, config.queues)), id, text, { as, turn, via: "the TUI (dialogue watch)", reach }),
        onKey: () => {
          detached = true;
        },
        onStart: (t) => {
          tui = t;
        },
        produce: async (feed, signal) => {
          tell = (e) => feed.push(e);
          const away = connection.away();
          if (away) feed.push({ type: "redis", away, at: now() });
          const final = await follow(store, id, (e) => feed.push(e), { tokens: true, signal, settle: "dialogue watch", where, watch: connection });
          if (signal.aborted) return;
          const { analysis } = await analysisOf(store, final, { readOnly: true });
          feed.push({ type: "end", record: final, messages: await store.readLog(id), analysis });
        },
      });
      if (detached) stderr(`detached from ${id}; it goes on without you (dialogue watch ${id}${reach} to come back)`);
    } finally {
      connection();
      tui = null;
      tell = () => undefined;
      await queues?.close();
      close();
    }
  });
}
