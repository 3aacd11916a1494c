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
import { analysisOf, saveJudge, saveNotes, type StoredNotes } from "../redis/analysis-store.js";
import { WindowBuckets, windowOf, withNotes, writeNotes } from "../analysis/notes.js";
import { parseAnalyzed } from "../analysis/message-view.js";
import { modelLabel } from "../analysis/format.js";
import { IMPORTED, type ModelSpec } from "../protocol/schemas.js";
import type { LlmProvider } from "../llm/types.js";
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
    .option("--notes", "for each window, the manager's model (configured as for dialogue run; simulated, and labelled, when nothing else answers) writes a note: summary, open questions, sentiment; stored with the run for that window size");
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
and the JSON schema: README, "Analysis".`,
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
      if (opts.notes && (!analysis.notes || opts.refresh)) {
        const stored = await notesRun(store, config, rec, analysis);
        analysis = withNotes(analysis, stored);
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

/**
 * The manager's model for what `analyze` asks of a model (notes; the judge of an imported
 * conversation, which had no manager): the configuration's, resolved as `dialogue run` resolves
 * it ("auto": the first that answers, else simulated), its model checked.
 */
async function managerModel(config: Config): Promise<{ spec: ModelSpec; provider: LlmProvider }> {
  const { ServedModels } = await import("../llm/served.js");
  const { resolveModels, specOf } = await import("../manager/resolve.js");
  const { preflight } = await import("../llm/preflight.js");
  const { ProviderRegistry } = await import("../llm/index.js");
  const served = new ServedModels(config);
  const r = await resolveModels(config, served);
  if (r.auto) stderr(`Provider: auto → ${r.auto.provider}${r.auto.model ? ` (${r.auto.model})` : ""} (${r.auto.reason})`);
  const problem = r.problems.find((p) => specOf(config, r).manager.provider === p.provider);
  if (problem) throw problem.error;
  const spec = specOf(config, r).manager;
  await preflight(config, [spec], { say: stderr, served });
  return { spec, provider: new ProviderRegistry(config).get(spec.provider) };
}

async function notesRun(store: Store, config: Config, rec: ConversationRecord, analysis: Analysis): Promise<StoredNotes> {
  const { spec, provider } = await managerModel(config);
  const buckets = new WindowBuckets(rec, windowOf(analysis));
  for await (const page of store.pages(rec.spec.id, 1000, parseAnalyzed)) for (const e of page) buckets.add(e.message);
  if (buckets.messages.size === 0) throw new UsageError(`conversation ${rec.spec.id} has no messages to write notes on`, "write notes once it has turns");
  stderr(`notes: ${modelLabel(spec.provider, spec.model)} on each window with messages (${analysis.windows.length} windows of ${analysis.window.label})`);
  const stored = await writeNotes(provider, spec, rec, analysis, buckets);
  if (isFinal(rec.status)) await saveNotes(store, rec.spec.id, stored);
  return stored;
}

async function judgeRun(store: Store, config: Config, rec: ConversationRecord, analysis: Analysis) {
  const id = rec.spec.id;
  const half = JUDGE_SAMPLE / 2;
  const sample = judgeSample(await store.readLog(id, 1, undefined, half), await store.lastMessages(id, half));
  if (sample.length === 0) throw new UsageError(`conversation ${id} has no messages to judge`, "judge it once it has turns");
  // the providers load only for a verdict: a plain analyze starts faster without them
  if (rec.spec.manager.provider === IMPORTED) {
    // an imported conversation had no manager: the configured one judges it
    const { spec, provider } = await managerModel(config);
    const judge = await runJudge(provider, { ...rec, spec: { ...rec.spec, manager: spec } }, sample, analysis);
    if (isFinal(rec.status)) await saveJudge(store, id, judge);
    return judge;
  }
  const { ProviderRegistry } = await import("../llm/index.js");
  const provider = new ProviderRegistry(config).get(rec.spec.manager.provider);
  const judge = await runJudge(provider, rec, sample, analysis);
  if (isFinal(rec.status)) await saveJudge(store, id, judge);
  return judge;
}
