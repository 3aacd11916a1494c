/**
 * `dialogue run --count N`: N conversations of one configuration started together and served by
 * the same children (one manager, one worker per pool), for load tests and synthetic data.
 * Plain text (never the TUI): a line as each conversation ends, then a total; --json: one JSON
 * object per line. On a terminal, a progress line on stderr (done, running, queued, a bar) while
 * it waits. Ctrl-C stops every conversation gracefully; a second Ctrl-C quits at once.
 *
 * Reads: record(ID) of each conversation (status and counters, polled together).
 * Writes: the records and a start job per conversation (spec/start.ts), and each one's analysis at the end.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { num, plural, runStatusText, troubleText } from "../analysis/format.js";
import { endStopped, requestStop } from "../manager/stop.js";
import { isFinal, spanSeconds, type Status, type StopReason } from "../protocol/record.js";
import { analysisOf } from "../redis/analysis-store.js";
import { redactUrl } from "../logger.js";
import { startRun } from "../spec/start.js";
import { logDir, stderr } from "./common.js";
import { exitCodeFor } from "./exit-codes.js";
import { Supervisor } from "./children.js";
import { BatchProgress } from "./batch-progress.js";
import { ConversationGoneError } from "../errors/index.js";
import { redisLines } from "../observer/redis-away.js";
import { watchRedis } from "./redis-away.js";
import { logsLine, sayWrapped } from "./hint.js";
import { reachFlags } from "./reach.js";
import { childSetup, startChildren, type Launch, type RunOptions } from "./launch.js";
import { onOutputClosed, write } from "./output.js";

/** how often the records are polled; @defaultValue 250 */
const POLL_MS = 250;

export interface Ended {
  id: string;
  status: Status;
  stop_reason: StopReason | null;
  turns: number;
  tokens: number;
  started_at: number | null;
  ended_at: number | null;
  error: string | null;
  failed_turns: number | null;
  stalled_turns: number | null;
}

// dropped once stdout is closed (the batch is being stopped)
const out = (s: string): void => write(`${s}\n`);

const numOrNull = (v: string | null | undefined): number | null => (v === null || v === undefined || v === "" ? null : Number(v));

/**
 * how the runs of a batch stand: those ended, those under way, and the turns taken so far (a
 * narrator's remarks are not turns). One HMGET per conversation, sent together (not a pipeline
 * object: on a Redis Cluster the records are in many slots).
 */
export async function poll(launch: Pick<Launch, "redis" | "store">, ids: string[]): Promise<{ ended: Ended[]; running: number; queued: number; turns: number; gone: string[] }> {
  const fields = ["status", "stop_reason", "turns", "tokens_total", "started_at", "ended_at", "error", "failed_turns", "stalled_turns", "remarks", "history"];
  const res = await Promise.all(
    ids.map((id) => launch.redis.hmget(launch.store.keys.record(id), ...fields).then((v): [Error | null, unknown] => [null, v], (err: Error): [Error | null, unknown] => [err, null])),
  );
  const ended: Ended[] = [];
  let running = 0;
  let queued = 0;
  let turnsSoFar = 0;
  /** conversations whose record is no longer there (purged, or Redis restarted without its data) */
  const gone: string[] = [];
  res.forEach(([err, v], i) => {
    const [status, reason, messages, tokens, started, endedAt, error, failedTurns, stalledTurns, remarks, history] = (err ? [] : (v as Array<string | null>)) as Array<string | null>;
    // (every record is written before the first poll: one read that finds none means it went)
    if (!err && !status) {
      gone.push(ids[i] as string);
      return;
    }
    // the agents' turns: a narrator's remarks and a copied history are messages, not turns
    const turns = Math.max(0, (numOrNull(messages) ?? 0) - (numOrNull(remarks) ?? 0) - (numOrNull(history) ?? 0));
    if (!status || !isFinal(status as Status)) {
      // pending: no manager has taken it yet; preparing, running, stopping: under way
      if (!status || status === "pending") queued++;
      else running++;
      turnsSoFar += turns;
      return;
    }
    ended.push({
      id: ids[i] as string,
      status: status as Status,
      stop_reason: (reason || null) as StopReason | null,
      turns,
      tokens: numOrNull(tokens) ?? 0,
      started_at: numOrNull(started),
      ended_at: numOrNull(endedAt),
      error: error || null,
      failed_turns: numOrNull(failedTurns),
      stalled_turns: numOrNull(stalledTurns),
    });
  });
  return { ended, running, queued, turns: turnsSoFar, gone };
}

export async function runBatch(launch: Launch, opts: RunOptions, count: number): Promise<number> {
  const { config, store, queues, resolved, prefix } = launch;
  // what the commands printed for the user need to reach these runs (--prefix, --redis-url)
  const reach = reachFlags(config);
  const specs = [];
  const ids = new Set<string>();
  while (specs.length < count) {
    const spec = launch.newSpec(specs.length);
    if (ids.has(spec.id) || (await store.exists(spec.id))) continue; // ids are random: never reuse one
    ids.add(spec.id);
    specs.push(spec);
  }
  for (const spec of specs) await startRun(store, queues, spec, launch.chunks);
  const first = specs[0]?.id ?? "batch";
  const logFile = config.log.file ?? path.join(logDir(config), `batch-${first}.log`);
  const pending = new Set(ids);
  // on a terminal, a progress line while the conversations run; what else is said goes around it
  const progress = new BatchProgress(count);
  const supervisor = new Supervisor({
    ...childSetup(launch, logFile),
    say: (s) => progress.print(() => stderr(s)),
    onGiveUp: (name, last) => {
      for (const id of pending) void store.finalize(id, "error", `${name} kept crashing: ${last}`);
    },
  });
  await startChildren(supervisor, launch, opts.spawn, [...ids]);
  stderr(`${count} conversations of "${specs[0]?.scenario.title ?? ""}" (${first} …), served by ${opts.spawn ? "one manager and one worker per pool" : "the managers and workers already running"}`);

  let interrupts = 0;
  const hardExit = (code: number): void => {
    supervisor.killNow();
    stderr(`quit; the ${plural(pending.size, "conversation")} still going ${pending.size === 1 ? "is" : "are"} kept in Redis as ${pending.size === 1 ? "it was" : "they were"}`);
    process.exit(code);
  };
  const onSignal = (sig: NodeJS.Signals | "output closed"): void => {
    if (++interrupts > 1) return sig === "output closed" ? undefined : hardExit(130);
    const what = sig === "SIGINT" ? "Ctrl-C" : sig === "output closed" ? "The output was closed (its reader exited)" : sig;
    progress.print(() => stderr(`\n${what}: stopping ${plural(pending.size, "conversation")} (turns in flight are kept, cut); Ctrl-C again to quit at once`));
    for (const id of pending) requestStop(store, queues, id).catch((err: unknown) => stderr(`could not stop ${id}: ${String(err)}`));
    if (sig === "SIGTERM") setTimeout(() => void endStopped(store, pending).finally(() => hardExit(143)), 15_000).unref();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // `dialogue run --count N … | head`: the conversations are stopped, as by a first Ctrl-C
  onOutputClosed(() => onSignal("output closed"));
  // Redis going away and coming back is said as it happens (one line each), as `run` and `watch` say it
  const redisLine = redisLines();
  const unwatch = watchRedis(
    launch.redis,
    resolved.url,
    config,
    (e) => {
      const line = redisLine(e);
      if (line) progress.print(() => stderr(line));
    },
    () => {
      progress.clear();
      stderr(`error: lost Redis at ${redactUrl(resolved.url)} for ${Math.round(config.redis.unavailable_timeout_ms / 1000)} s; the conversations keep what was recorded`);
      stderr(`hint: restart Redis (or check the network), then see them with: dialogue list --limit ${count}${reach}`);
      void supervisor.stop(2000).finally(() => process.exit(1));
    },
  );


  const ended: Ended[] = [];
  try {
    progress.draw({ done: 0, running: 0, queued: count, turns: 0 });
    while (pending.size > 0) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      const now = await poll(launch, [...pending]);
      // Redis came back without them (or they were purged): said as `run` says it for one, exit 1
      if (now.gone.length > 0) {
        progress.clear();
        throw new ConversationGoneError(
          now.gone.length === 1 ? (now.gone[0] as string) : `${now.gone[0] as string} (and ${plural(now.gone.length - 1, "other")})`,
          `Redis at ${redactUrl(resolved.url)} (prefix "${prefix}")`,
        );
      }
      for (const e of now.ended) {
        pending.delete(e.id);
        ended.push(e);
        progress.print(() => report(e, ended.length, count, Boolean(opts.json)));
      }
      const turnsDone = ended.reduce((n, e) => n + e.turns, 0);
      progress.draw({ done: ended.length, running: now.running, queued: now.queued, turns: turnsDone + now.turns });
    }
    progress.clear();
    // each run's analysis is stored with it, as `dialogue run` does for one
    for (const e of ended) {
      const rec = await store.get(e.id);
      if (rec) await analysisOf(store, rec);
    }
  } finally {
    progress.clear();
    unwatch();
    await supervisor.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  total(ended, Boolean(opts.json));
  // under --no-spawn no process of this launcher wrote a log (unless it wrote one itself)
  const logs = logsLine(opts.spawn === false && !existsSync(logFile) ? null : logFile);
  sayWrapped(`\nKept in Redis at ${redactUrl(resolved.url)} (prefix "${prefix}")\n  all of them:  dialogue list --limit ${count}${reach}\n${logs}`);
  await queues.close();
  launch.redis.disconnect();
  return Math.max(0, ...ended.map((e) => exitCodeFor(e)));
}

// as list and show time a run (protocol/record.ts dialogueSeconds): a run with no turn has no duration
const seconds = (e: Ended): number | null => spanSeconds(e.started_at, e.ended_at, e.turns);

function report(e: Ended, n: number, of: number, json: boolean): void {
  if (json) {
    out(JSON.stringify({ type: "ended", n, of, id: e.id, status: e.status, stop_reason: e.stop_reason, turns: e.turns, failed_turns: e.failed_turns ?? 0, stalled_turns: e.stalled_turns ?? 0, tokens: e.tokens, duration_s: seconds(e), error: e.error }));
    return;
  }
  out(endedLine(e, n, of));
}

/** "[1/3] <id> completed (max_turns) · 2 failed · 6 turns · 410 tokens · 3.2 s": a run of the batch, as it ends */
export function endedLine(e: Ended, n: number, of: number): string {
  const s = seconds(e);
  return `[${n}/${of}] ${e.id} ${runStatusText(e)} · ${plural(e.turns, "turn")} · ${plural(e.tokens, "token")} · ${s === null ? "–" : `${num(s, 1)} s`}${e.error ? ` · ${e.error}` : ""}`;
}

function total(ended: Ended[], json: boolean): void {
  const statuses: Record<string, number> = {};
  for (const e of ended) statuses[e.status] = (statuses[e.status] ?? 0) + 1;
  const turns = ended.reduce((n, e) => n + e.turns, 0);
  const tokens = ended.reduce((n, e) => n + e.tokens, 0);
  const starts = ended.map((e) => e.started_at).filter((t): t is number => t !== null);
  const ends = ended.map((e) => e.ended_at).filter((t): t is number => t !== null);
  const span = starts.length > 0 && ends.length > 0 ? (Math.max(...ends) - Math.min(...starts)) / 1000 : null;
  const rate = span !== null && span > 0 ? turns / span : null;
  if (json) {
    out(JSON.stringify({ type: "total", conversations: ended.length, statuses, turns, ...troubleOf(ended), tokens, duration_s: span, turns_per_second: rate }));
    return;
  }
  out(totalLine(ended, statuses, turns, tokens, span, rate));
}

/** the batch's failed and stalled turns, over its runs */
const troubleOf = (ended: readonly Ended[]): { failed_turns: number; stalled_turns: number } => ({
  failed_turns: ended.reduce((n, e) => n + (e.failed_turns ?? 0), 0),
  stalled_turns: ended.reduce((n, e) => n + (e.stalled_turns ?? 0), 0),
});

/** "3 conversations: 3 completed · 18 turns (2 failed) · …": the batch, once every run ended */
export function totalLine(ended: readonly Ended[], statuses: Record<string, number>, turns: number, tokens: number, span: number | null, rate: number | null): string {
  const how = Object.entries(statuses)
    .map(([s, n]) => `${n} ${s}`)
    .join(", ");
  // the turns that went wrong, over the batch: a batch whose turns failed is never shown as plainly completed
  const trouble = troubleText(troubleOf(ended));
  return (
    `${plural(ended.length, "conversation")}: ${how} · ${plural(turns, "turn")}${trouble ? ` (${trouble})` : ""} · ${plural(tokens, "token")} · ` +
    `${span === null ? "–" : `${num(span, 1)} s`} · ${rate === null ? "–" : `${num(rate, 1)} turns/s`}`
  );
}
