/**
 * `dialogue watch <id>`: attach to a conversation, live or finished, from any terminal or host.
 * Reads Redis (the record, the log, the token stream); q detaches without touching the run. What
 * it may write: what a person says in the TUI's input line at their turn (a `say` control job, as
 * `dialogue say` writes it), and, for a run whose lease ran out (no live manager drives it), its end
 * as abandoned (Store.settle, as `list` does), which it then tells like any run's end.
 */
import { Command } from "commander";
import { say } from "../manager/say.js";
import { Queues } from "../queues/index.js";
import { analysisOf } from "../redis/analysis-store.js";
import { follow } from "../observer/follow.js";
import { addCommonOptions, stderr, type CommonOptions } from "./common.js";
import { getOrThrow, openStore } from "./conversation.js";
import { addOutputOptions, observeWithTui, textObserver, wantsTui, type ObserveOptions } from "./observe.js";

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
to answer as them (Enter sends, Esc gives the keys back); dialogue say <id> "…" does the same.`,
  );
  return cmd.action(async (id: string, opts: CommonOptions & ObserveOptions) => {
    const { store, close, prefix, config, url } = await openStore(opts);
    const where = `Redis at ${url} (prefix "${prefix}")`;
    // opened only if a person answers from this terminal
    let queues = null as Queues | null;
    try {
      await getOrThrow(store, id, prefix);
      if (!wantsTui(opts)) {
        const observe = textObserver(opts);
        const final = await follow(store, id, observe, { tokens: Boolean(opts.json && opts.tokens), notices: true, settle: "dialogue watch", where });
        const { analysis } = await analysisOf(store, final, { readOnly: true });
        observe({ type: "end", record: final, messages: await store.readLog(id), analysis });
        return;
      }
      let detached = false;
      await observeWithTui({
        mode: "watch",
        say: (as, text) => say(store, (queues ??= new Queues(store.redis, prefix, config.queues)), id, text, { as, via: "the TUI (dialogue watch)" }),
        onKey: () => {
          detached = true;
        },
        produce: async (feed, signal) => {
          const final = await follow(store, id, (e) => feed.push(e), { tokens: true, signal, settle: "dialogue watch", where });
          if (signal.aborted) return;
          const { analysis } = await analysisOf(store, final, { readOnly: true });
          feed.push({ type: "end", record: final, messages: await store.readLog(id), analysis });
        },
      });
      if (detached) stderr(`detached from ${id}; it goes on without you (dialogue watch ${id} to come back)`);
    } finally {
      await queues?.close();
      close();
    }
  });
}
