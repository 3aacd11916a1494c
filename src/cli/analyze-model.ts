/**
 * What `dialogue analyze` asks of a model: the judge's verdict (--judge) and the windows' notes
 * (--notes). The model is called as the manager calls its own (llm/retry.ts withRetries, with
 * this command's `queues` retry settings, and a watchdog for stalls): a transient failure (429,
 * honouring Retry-After within queues.retry_budget_ms; 5xx; a cut stream; a server out of reach)
 * is retried, and each failed attempt told on stderr in one line. When the model fails for good,
 * a ModelStepFailed says what failed and why, in one line with what to do: the command still
 * prints the analysis, then says it and exits non-zero. Nothing is stored unless it succeeded.
 *
 * Reads the log (the judge's sample, the windows' messages); writes analysis(ID) `judge` and
 * `notes:<window>` (redis/analysis-store.ts) of a finished run, once the model has answered.
 */
import { judgeSample, JUDGE_SAMPLE, runJudge } from "../analysis/judge.js";
import { WindowBuckets, windowOf, writeNotes } from "../analysis/notes.js";
import { parseAnalyzed } from "../analysis/message-view.js";
import { modelLabel } from "../analysis/format.js";
import type { Analysis, Judge } from "../analysis/schema.js";
import { DEFAULT_TIMEOUTS, type Config } from "../config/schema.js";
import { DialogueError, describe, ProviderError, UsageError } from "../errors/index.js";
import { withRetries, type RetryPolicy, type Retrying } from "../llm/retry.js";
import type { LlmProvider } from "../llm/types.js";
import { Watchdog } from "../llm/watchdog.js";
import { isFinal, type ConversationRecord } from "../protocol/record.js";
import { IMPORTED, type FailedAttempt, type ModelSpec } from "../protocol/schemas.js";
import { saveJudge, saveNotes, type StoredNotes } from "../redis/analysis-store.js";
import type { Store } from "../redis/store.js";
import { stderr } from "./common.js";
import { EXIT } from "./exit-codes.js";
import { reachFlags } from "./reach.js";

/** the judge or the notes could not be had from the model: one line, with what to do */
export class ModelStepFailed extends DialogueError {}

/** this command's retry settings, as the manager's own generations use them (no deadline: no run is going) */
function policyOf(config: Config): RetryPolicy {
  const q = config.queues;
  return { budget_ms: q.retry_budget_ms, max_attempts: q.attempts, backoff_ms: q.backoff_ms, backoff_max_ms: q.backoff_max_ms, deadline_at: Number.POSITIVE_INFINITY };
}

/** the line that says an attempt failed and when the next one starts (as `run --plain` says it of a turn's) */
function analyzeAttemptText(what: string, label: string, f: FailedAttempt): string {
  return `… ${what} (${label}): attempt ${f.attempt} failed (${f.cause}): ${f.error}${f.wait_ms === null ? "" : `; retrying in ${(f.wait_ms / 1000).toFixed(1)} s`}`;
}

/**
 * Calls to `model` retried by the policy, each failed attempt after which it tries again told on
 * stderr. A rate limit's hint is analyze's (`rateHint`): the provider's speaks of runs (--count).
 */
function retrying(config: Config, model: Pick<ModelSpec, "provider" | "model">, rateHint: string): Retrying {
  const label = model.model ? modelLabel(model.provider, model.model) : model.provider;
  return (what, call) =>
    withRetries(
      policyOf(config),
      model,
      async (n) => {
        try {
          return await call(n);
        } catch (err) {
          throw err instanceof ProviderError && err.kind === "rate_limited" ? withHint(err, rateHint) : err;
        }
      },
      (f) => {
        if (f.wait_ms !== null) stderr(analyzeAttemptText(what, label, f));
      },
    );
}

function withHint(err: ProviderError, hint: string): ProviderError {
  return new ProviderError(err.message, { hint, kind: err.kind, retryable: err.retryable, retryAfterMs: err.retryAfterMs, exitCode: err.exitCode });
}

/**
 * what to do when the server rate limits analyze: `flag` --judge or --notes; `choose`: the model is
 * the configured manager's; the command with what it needs to reach the run (reach.ts)
 */
function rateLimitHint(id: string, flag: string, choose: boolean, config: Config): string {
  const other = choose ? ", or have another model do it (--set manager.provider=… --set manager.model=…)" : " (a run is judged by its own manager's model)";
  return `the server is rate limiting: wait a minute and run dialogue analyze ${id} ${flag}${reachFlags(config)} again${other}`;
}

/**
 * The model failed for good: one line saying what is missing from the report, why, and (in the
 * error, or added here) what to do. `shown`: the report shows what was stored earlier instead.
 */
function failed(flag: string, label: string | null, err: unknown, shown: string): ModelStepFailed {
  const by = label ? ` (${label})` : "";
  const hint = err instanceof DialogueError && err.hint ? ` (${err.hint})` : "";
  return new ModelStepFailed(`${flag} failed${by}, so ${shown}: ${describe(err)}${hint}`, EXIT.failure);
}

/** the watchdog over the model: a generation that stalls is ended and retried, not waited on forever */
const watched = (provider: LlmProvider, spec: ModelSpec): Watchdog => new Watchdog(provider, spec.timeouts ?? { ...DEFAULT_TIMEOUTS }, `${spec.provider}/${spec.model}`);

/**
 * The manager's model for what `analyze` asks of a model (notes; the judge of an imported
 * conversation, which had no manager): the configuration's, resolved as `dialogue run` resolves
 * it ("auto": the first that answers, else simulated), its model checked (a server out of reach
 * is retried as a generation is). Only the manager's model is resolved: the agents' play no part
 * here, so the servers are probed for "auto" only when the manager's provider is auto, and a
 * manager named (--set manager.provider=…, or -c) costs no probe of the others.
 */
async function managerModel(config: Config, rateHint: string): Promise<{ spec: ModelSpec; provider: LlmProvider }> {
  const { ServedModels } = await import("../llm/served.js");
  const { resolveModels, specOf } = await import("../manager/resolve.js");
  const { preflight } = await import("../llm/preflight.js");
  const { ProviderRegistry } = await import("../llm/index.js");
  const configured = { provider: config.manager.provider ?? config.provider, model: config.manager.model ?? config.model };
  // the manager alone: an agent left on "auto" (the default provider) would have "auto" probe every server
  const managerOnly: Config = { ...config, agents: [] };
  const { spec, auto } = await retrying(config, configured, rateHint)("the model check", async () => {
    // asked again at each attempt: a server's answer (or silence) is remembered per ServedModels
    const served = new ServedModels(config);
    const r = await resolveModels(managerOnly, served);
    const manager = specOf(managerOnly, r).manager;
    const problem = r.problems.find((p) => manager.provider === p.provider);
    if (problem) throw problem.error;
    await preflight(config, [manager], { say: stderr, served });
    return { spec: manager, auto: r.auto };
  });
  // what "auto" chose is said when the manager's model is auto's (the agents' is no concern here)
  if (auto && configured.provider === "auto") stderr(`Provider: auto → ${auto.provider}${auto.model ? ` (${auto.model})` : ""} (${auto.reason})`);
  return { spec, provider: new ProviderRegistry(config).get(spec.provider) };
}

/** `analyze --notes`: a note on each window with messages, stored with a finished run */
export async function notesRun(store: Store, config: Config, rec: ConversationRecord, analysis: Analysis): Promise<StoredNotes> {
  const id = rec.spec.id;
  const buckets = new WindowBuckets(rec, windowOf(analysis));
  for await (const page of store.pages(id, 1000, parseAnalyzed)) for (const e of page) buckets.add(e.message);
  if (buckets.messages.size === 0) throw new UsageError(`conversation ${id} has no messages to write notes on`, "write notes once it has turns");
  const shown = analysis.notes ? "the report above keeps the notes written before" : "the report above has no notes";
  const rateHint = rateLimitHint(id, "--notes", true, config);
  let label: string | null = null;
  let stored: StoredNotes;
  try {
    const { spec, provider } = await managerModel(config, rateHint);
    label = modelLabel(spec.provider, spec.model);
    stderr(`notes: ${label} on each window with messages (${analysis.windows.length} windows of ${analysis.window.label})`);
    stored = await writeNotes(watched(provider, spec), spec, rec, analysis, buckets, { retry: retrying(config, spec, rateHint) });
  } catch (err) {
    throw failed("--notes", label, err, shown);
  }
  if (isFinal(rec.status)) await saveNotes(store, id, stored);
  return stored;
}

/** `analyze --judge`: the verdict of the run's manager model (an imported conversation's: the configured one), stored with a finished run */
export async function judgeRun(store: Store, config: Config, rec: ConversationRecord, analysis: Analysis): Promise<Judge> {
  const id = rec.spec.id;
  const half = JUDGE_SAMPLE / 2;
  const sample = judgeSample(await store.readLog(id, 1, undefined, half), await store.lastMessages(id, half));
  if (sample.length === 0) throw new UsageError(`conversation ${id} has no messages to judge`, "judge it once it has turns");
  const shown = analysis.judge ? "the report above shows the verdict given before" : "the report above has no verdict";
  // an imported conversation had no manager: the configured one judges it
  const imported = rec.spec.manager.provider === IMPORTED;
  const rateHint = rateLimitHint(id, "--judge", imported, config);
  let label = imported ? null : modelLabel(rec.spec.manager.provider, rec.spec.manager.model);
  let judge: Judge;
  try {
    // the providers load only for a verdict: a plain analyze starts faster without them
    const { ProviderRegistry } = await import("../llm/index.js");
    const { spec, provider } = imported ? await managerModel(config, rateHint) : { spec: rec.spec.manager, provider: new ProviderRegistry(config).get(rec.spec.manager.provider) };
    label = modelLabel(spec.provider, spec.model);
    const judged = imported ? { ...rec, spec: { ...rec.spec, manager: spec } } : rec;
    judge = await runJudge(watched(provider, spec), judged, sample, analysis, { retry: retrying(config, spec, rateHint) });
  } catch (err) {
    throw failed("--judge", label, err, shown);
  }
  if (isFinal(rec.status)) await saveJudge(store, id, judge);
  return judge;
}
