/**
 * `dialogue say <id> "text"`: answer for the person whose turn it is, from any terminal or host;
 * `--as narrator` puts a remark into any running conversation ("the lights go out"), which every
 * later speaker sees.
 */
import { Command } from "commander";
import { say, saidText } from "../manager/say.js";
import { NARRATOR_ID } from "../protocol/schemas.js";
import { Queues } from "../queues/index.js";
import { addCommonOptions, type CommonOptions } from "./common.js";
import { checkId, openStore, out } from "./conversation.js";

export function sayCommand(): Command {
  const cmd = new Command("say")
    .description("say something in a running conversation: as the person whose turn it is, or as the narrator (--as narrator)")
    .argument("<id>", "conversation id (see dialogue list)")
    .argument("<text...>", "what to say (quote it, or give it as several words)")
    .option("--as <id>", `who says it: a person taking part (default: the one whose turn it is), or "${NARRATOR_ID}" for a remark`);
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  dialogue say 20261121-143005-k3f9a "I'd take the early train, to be honest."
  dialogue say 20261121-143005-k3f9a --as narrator "The lights go out."

A person's turn waits limits.human_turn_seconds (120 s) for an answer, then is skipped. It takes
one answer, the first: another say for that turn is refused (exit 2), and so is one that comes
after the turn timed out (nothing is recorded). A say that is accepted is recorded, unless the
run ends (its duration, a stop) before the manager takes it. Remarks are not limited.`,
  );
  return cmd.action(async (id: string, words: string[], opts: CommonOptions & { as?: string }) => {
    checkId(id);
    const { store, close, prefix, config, reach } = await openStore(opts);
    const queues = new Queues(store.redis, prefix, config.queues);
    try {
      const r = await say(store, queues, id, words.join(" "), { as: opts.as, via: "dialogue say", reach });
      out(saidText(r, id));
    } finally {
      await queues.close();
      close();
    }
  });
}
