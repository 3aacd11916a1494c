/**
 * `dialogue say <id> "text"`: answer for the person whose turn it is, from any terminal or host —
 * the turn waiting when the command started, or the one `--turn` names, never a later one;
 * `--as narrator` puts a remark into any running conversation ("the lights go out"), which every
 * later speaker sees.
 */
import { Command } from "commander";
import { say, saidText } from "../manager/say.js";
import { NARRATOR_ID } from "../protocol/schemas.js";
import { Queues } from "../queues/index.js";
import { now } from "../redis/clock.js";
import { addCommonOptions, positiveInt, type CommonOptions } from "./common.js";
import { checkId, openStore, out } from "./conversation.js";

export function sayCommand(): Command {
  const cmd = new Command("say")
    .description("say something in a running conversation: as the person whose turn it is, or as the narrator (--as narrator)")
    .argument("<id>", "conversation id (see dialogue list)")
    .argument("<text...>", "what to say (quote it, or give it as several words)")
    .option("--as <id>", `who says it: a person taking part (default: the one whose turn it is), or "${NARRATOR_ID}" for a remark; in any case when only one id matches that way`)
    .option("--turn <n>", "the turn it answers (as the views number it): refused unless it is that person's turn waiting now", positiveInt("--turn"));
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  dialogue say 20261121-143005-k3f9a "I'd take the early train, to be honest."
  dialogue say 20261121-143005-k3f9a --turn 4 "I'd take the early train."   # turn 4 only
  dialogue say 20261121-143005-k3f9a --as narrator "The lights go out."

A say answers the person's turn that is waiting when it is said, never a later one: it is not
held for their next turn. With --turn N it answers turn N only; refused (exit 2, nothing
recorded) when N is not their turn waiting now — saying whether N was skipped, answered, someone
else's, or has not come yet, and which turn is waiting. Without --turn it answers the turn of
theirs waiting when the command started; refused when none was (it is someone else's turn, or
theirs went by), even if their next turn has begun by the time it reaches Redis. The commands
the views print (plain output, --json, the web page, the TUI) name --turn, so a copied one cannot
land on a later turn.

A person's turn waits limits.human_turn_seconds (120 s) for an answer, then is skipped. It takes
one answer, the first: another say for that turn is refused (exit 2), and so is one that comes
after the turn timed out (nothing is recorded). A say that is accepted is recorded, unless the
run ends (its duration, a stop) before the manager takes it. Remarks are not limited.`,
  );
  return cmd.action(async (id: string, words: string[], opts: CommonOptions & { as?: string; turn?: number }) => {
    checkId(id);
    const { store, close, prefix, config, reach } = await openStore(opts);
    // said when the command started (performance.now() counts from then), by Redis' clock (measured as it connected)
    const issuedAt = Math.floor(now() - performance.now());
    const queues = new Queues(store.redis, prefix, config.queues);
    try {
      const r = await say(store, queues, id, words.join(" "), { as: opts.as, via: "dialogue say", turn: opts.turn, issuedAt, reach });
      out(saidText(r, id));
    } finally {
      await queues.close();
      close();
    }
  });
}
