/**
 * `dialogue compare <id> <id> …`: the analyses of several runs side by side.
 */
import { Command } from "commander";
import { compareText } from "../analysis/compare.js";
import { UsageError } from "../errors/index.js";
import { analysisOf } from "../redis/analysis-store.js";
import { addCommonOptions, type CommonOptions } from "./common.js";
import { checkId, getOrThrow, openStore, out, terminalWidth } from "./conversation.js";

export function compareCommand(): Command {
  const cmd = new Command("compare")
    .description("compare runs side by side: each run's outcome, cast and turn order, and every agent's tokens/s, first token, words, repetition … (runs may have different numbers of agents)")
    .argument("<ids...>", "two or more conversation ids (see dialogue list)")
    .option("--json", 'the analyses as one JSON document: {"schema":"dialogue-llm/compare","analyses":[…]}');
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  dialogue compare 20261121-143005-k3f9a 20261121-150112-77c01
  dialogue compare $(dialogue list --model llama3.2 --json | jq -r .id) --json`,
  );
  return cmd.action(async (ids: string[], opts: CommonOptions & { json?: boolean }) => {
    if (ids.length < 2) throw new UsageError("compare needs at least two conversation ids", "e.g. dialogue compare <id> <id>; see dialogue list");
    const twice = ids.find((id, i) => ids.indexOf(id) !== i);
    if (twice) throw new UsageError(`${twice} is named twice: a run compared with itself tells nothing`, "name two or more different runs; see dialogue list");
    ids.forEach(checkId);
    const { store, close, prefix } = await openStore(opts);
    try {
      const analyses = [];
      for (const id of ids) analyses.push((await analysisOf(store, await getOrThrow(store, id, prefix))).analysis);
      out(opts.json ? JSON.stringify({ schema: "dialogue-llm/compare", analyses }, null, 2) : compareText(analyses, { width: terminalWidth() }));
    } finally {
      close();
    }
  });
}
