/**
 * `dialogue analyze <id>`: the analysis of a retained (or live) conversation, from Redis: the
 * stored one when it is still fresh, else computed by paging through the log and stored.
 */
import { Command } from "commander";
import { reportMarkdown } from "../analysis/report-md.js";
import { reportText } from "../analysis/report-text.js";
import { parseWindow } from "../analysis/windows.js";
import { UsageError } from "../errors/index.js";
import { isFinal } from "../protocol/record.js";
import { analysisOf } from "../redis/analysis-store.js";
import { withNotes } from "../analysis/notes.js";
import { judgeRun, ModelStepFailed, notesRun } from "./analyze-model.js";
import { addCommonOptions, stderr, type CommonOptions } from "./common.js";
import { getOrThrow, openStore, out, terminalWidth } from "./conversation.js";

interface AnalyzeOptions extends CommonOptions {
  json?: boolean;
  md?: boolean;
  window?: string;
  refresh?: boolean;
  judge?: boolean;
  notes?: boolean;
}

export function analyzeCommand(): Command {
  const cmd = new Command("analyze")
    .description("analyze a conversation: figures per agent (2 to 8; a person's without model figures), turn-taking (share of talk, who answered whom, how speakers were chosen), orchestration, content quality, flags (looping, echoing, monologue, short replies, failed, stalled and retried turns), windows")
    .argument("<id>", "conversation id (see dialogue list)")
    .option("--json", "the analysis as one JSON document (schema: docs/analysis.schema.json)")
    .option("--md", "the report as Markdown")
    .option("-w, --window <size>", "tumbling windows: turns (5t) or time (30s, 2m, 1h), or auto (about 24 windows)")
    .option("--refresh", "recompute even if a fresh analysis is stored with the run")
    .option("--judge", "also ask the manager's model for a verdict (summary and 1-10 scores); stored with the run")
    .option("--notes", "for each window, the manager's model (configured as for dialogue run: auto looks for a server only when the manager's provider is auto; simulated, and labelled, when nothing else answers) writes a note: summary, open questions, sentiment; stored with the run for that window size");
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
  dialogue analyze imp-S-1001-df2351d67659 --window 30s --notes   # a note per 30 s window

The analysis of a finished run is stored with it (dialogue run stores it at the end), so a later
analyze is instant; --refresh recomputes it. Notes are kept per window size: a later analyze
with the same --window shows them (--notes --refresh writes them again). Metrics, flags, notes
and the JSON schema: README, "Analysis".

A model that fails for --judge or --notes is retried as the manager's are (429 after its
Retry-After, 5xx, cut streams, a server out of reach: within queues.retry_budget_ms), each failed
attempt said on stderr. If it still fails, the analysis is printed as without the flag (what was
stored before is kept), then one line says why, and analyze exits 1.`,
  );
  return cmd.action(async (id: string, opts: AnalyzeOptions) => {
    if (opts.json && opts.md) throw new UsageError("--json and --md cannot be used together", "pick one output format");
    const window = opts.window === undefined ? null : parseWindow(opts.window);
    const { store, close, prefix, config } = await openStore(opts);
    try {
      const rec = await getOrThrow(store, id, prefix);
      let { analysis, source } = await analysisOf(store, rec, { window, refresh: Boolean(opts.refresh) });
      // a model that fails for good costs the verdict or the notes, not the figures: they are
      // printed as without the flag, then what failed is said (exit 1)
      const failures: ModelStepFailed[] = [];
      const asked = async (step: () => Promise<void>): Promise<void> => {
        try {
          await step();
        } catch (err) {
          if (!(err instanceof ModelStepFailed)) throw err;
          failures.push(err);
        }
      };
      if (opts.judge && (!analysis.judge || opts.refresh)) {
        await asked(async () => {
          analysis = { ...analysis, judge: await judgeRun(store, config, rec, analysis) };
        });
      }
      if (opts.notes && (!analysis.notes || opts.refresh)) {
        await asked(async () => {
          analysis = withNotes(analysis, await notesRun(store, config, rec, analysis));
        });
      }
      if (!opts.json) {
        const note = isFinal(rec.status) ? source : "computed (the run is still going: figures so far)";
        stderr(`analysis: ${note}${source === "stored" ? "; --refresh recomputes" : ""}`);
      }
      if (opts.json) out(JSON.stringify(analysis, null, 2));
      else if (opts.md) out(reportMarkdown(analysis));
      else out(reportText(analysis, { windows: true, width: terminalWidth() }));
      const last = failures.pop();
      for (const f of failures) stderr(`error: ${f.message}`);
      if (last) throw last;
    } finally {
      close();
    }
  });
}
