/**
 * `dialogue analyze <id>`: the analysis of a retained (or live) conversation, from Redis: the
 * stored one when it is still fresh, else computed by paging through the log and stored.
 */
import { Command } from "commander";
import { judgeSample, JUDGE_SAMPLE, runJudge } from "../analysis/judge.js";
import { reportMarkdown } from "../analysis/report-md.js";
import { reportText } from "../analysis/report-text.js";
import type { Analysis } from "../analysis/schema.js";
import { parseWindow } from "../analysis/windows.js";
import { UsageError } from "../errors/index.js";
import { isFinal, type ConversationRecord } from "../protocol/record.js";
import { analysisOf, saveJudge } from "../redis/analysis-store.js";
import type { Store } from "../redis/store.js";
import type { Config } from "../config/schema.js";
import { addCommonOptions, stderr, type CommonOptions } from "./common.js";
import { getOrThrow, openStore, out, terminalWidth } from "./conversation.js";

interface AnalyzeOptions extends CommonOptions {
  json?: boolean;
  md?: boolean;
  window?: string;
  refresh?: boolean;
  judge?: boolean;
}

export function analyzeCommand(): Command {
  const cmd = new Command("analyze")
    .description("analyze a conversation: figures per agent (2 to 8; a person's without model figures), turn-taking (share of talk, who answered whom, how speakers were chosen), orchestration, content quality, flags (looping, echoing, monologue, short replies, failed, stalled and retried turns), windows")
    .argument("<id>", "conversation id (see dialogue list)")
    .option("--json", "the analysis as one JSON document (schema: docs/analysis.schema.json)")
    .option("--md", "the report as Markdown")
    .option("-w, --window <size>", "tumbling windows: turns (5t) or time (30s, 2m, 1h), or auto (about 24 windows)")
    .option("--refresh", "recompute even if a fresh analysis is stored with the run")
    .option("--judge", "also ask the manager's model for a verdict (summary and 1-10 scores); stored with the run");
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  dialogue analyze 20261121-143005-k3f9a
  dialogue analyze 20261121-143005-k3f9a --window 30s
  dialogue analyze 20261121-143005-k3f9a --json | jq '.agents[] | {agent_id, tps: .tokens_per_second}'
  dialogue analyze 20261121-143005-k3f9a --json | jq .turn_taking.who_answered_whom
  dialogue analyze 20261121-143005-k3f9a --judge --md > report.md

The analysis of a finished run is stored with it (dialogue run stores it at the end), so a later
analyze is instant; --refresh recomputes it. Metrics, flags and the JSON schema: README, "Analysis".`,
  );
  return cmd.action(async (id: string, opts: AnalyzeOptions) => {
    if (opts.json && opts.md) throw new UsageError("--json and --md cannot be used together", "pick one output format");
    const window = opts.window === undefined ? null : parseWindow(opts.window);
    const { store, close, prefix, config } = await openStore(opts);
    try {
      const rec = await getOrThrow(store, id, prefix);
      let { analysis, source } = await analysisOf(store, rec, { window, refresh: Boolean(opts.refresh) });
      if (opts.judge && (!analysis.judge || opts.refresh)) {
        analysis = { ...analysis, judge: await judgeRun(store, config, rec, analysis) };
      }
      if (!opts.json) {
        const note = isFinal(rec.status) ? source : "computed (the run is still going: figures so far)";
        stderr(`analysis: ${note}${source === "stored" ? "; --refresh recomputes" : ""}`);
      }
      if (opts.json) out(JSON.stringify(analysis, null, 2));
      else if (opts.md) out(reportMarkdown(analysis));
      else out(reportText(analysis, { windows: true, width: terminalWidth() }));
    } finally {
      close();
    }
  });
}

async function judgeRun(store: Store, config: Config, rec: ConversationRecord, analysis: Analysis) {
  const id = rec.spec.id;
  const half = JUDGE_SAMPLE / 2;
  const sample = judgeSample(await store.readLog(id, 1, undefined, half), await store.lastMessages(id, half));
  if (sample.length === 0) throw new UsageError(`conversation ${id} has no messages to judge`, "judge it once it has turns");
  // the providers load only for a verdict: a plain analyze starts faster without them
  const { ProviderRegistry } = await import("../llm/index.js");
  const provider = new ProviderRegistry(config).get(rec.spec.manager.provider);
  const judge = await runJudge(provider, rec, sample, analysis);
  if (isFinal(rec.status)) await saveJudge(store, id, judge);
  return judge;
}
