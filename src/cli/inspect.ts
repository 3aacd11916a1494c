/**
 * `dialogue list`, `dialogue show <id>` and `dialogue stop <id>`: read (or, for stop, flag) retained
 * conversations. They read Redis only and work while a run is live or long after it ended (a run no
 * live manager drives any more is finalized as abandoned first, by Store.settle, as list does); `show`
 * of a run going on also says what it lacks to go on (no live manager, a pool no live worker
 * serves, from the processes' heartbeats: cli/lacking.ts; --json as waiting_for and unserved_pools).
 */
import { Command } from "commander";
import { summarize } from "../analysis/summary.js";
import { requestStop } from "../manager/stop.js";
import { headerText, messageText, personasText, storyText, summaryText, waitingText } from "../observer/plain.js";
import { waitingFor } from "../observer/waiting.js";
import { alreadyEndedText } from "../observer/already-ended.js";
import { waitingForLines } from "../observer/unserved.js";
import { speaksBy } from "../observer/who.js";
import { runStatusText, utcSeconds } from "../analysis/format.js";
import { dialogueSeconds, isFinal, turnsTaken } from "../protocol/record.js";
import { isTurn, turnCounter } from "../protocol/turn-count.js";
import { deadLetters, readableReason, type DeadLetter } from "../queues/dead-letters.js";
import { Queues } from "../queues/index.js";
import { addCommonOptions, loadConfig, positiveInt, type CommonOptions } from "./common.js";
import { getOrThrow, openStore, out, terminalWidth } from "./conversation.js";
import { listTable, type ListRow } from "./list-table.js";
import { clean } from "../observer/tui/text.js";
import { listMatching, parseFilter } from "./list-filter.js";
import { lackingOf, unservedNow } from "./lacking.js";

const iso = (ms: number | null): string => (ms === null ? "–" : utcSeconds(ms));

export function listCommand(): Command {
  const cmd = new Command("list")
    .description("list retained conversations, newest first")
    .option("-n, --limit <n>", "how many", positiveInt("--limit"), 20)
    .option("--status <status>", "only this status (completed, stopped, failed, running, …) or stop reason (loop, max_turns, duration, …)")
    .option("--model <name>", "only runs where a model agent (not a person) or the manager uses a model or provider containing this, e.g. llama3.2 or ollama/")
    .option("--since <when>", "only runs created (or conversations imported) since an age ago (7d, 12h, 30m) or a date (2026-11-01)")
    .option("--json", "one JSON object per line");
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  dialogue list --status loop
  dialogue list --model llama3.2 --since 7d --json | jq -r .id
  dialogue list --status imported --since 1h     # what an import just brought in

AGENTS is how many agents the run had; SCENARIO its scenario's title. On a terminal, SCENARIO and
MODELS are cut to its width (SCENARIO left out first); at 80 columns STARTED loses its seconds
(and its year, when every row is of this year), AGENTS is left out and STATUS is cut, so no line
wraps; narrower still, DURATION and then STARTED go. Piped, nothing is cut. --json has both too
(agent_count, scenario, and every agent under agents).

DURATION is how long the dialogue went on: from its start (its first turn asked for, once the story
and personas are written) to its end. A run going on is timed to its latest sign of life (its
latest turn, or its manager's latest lease renewal), which is where it ends if it is found
abandoned, so the figure does not shrink then. A run with no turn has none (–), whatever ended it.
show's summary says the same figure.

STARTED is a conversation's own time: a run's start, an imported one's first row. --since counts
a run from when it was created and an imported conversation from when it was imported, so one
imported today from rows dated last month is listed by --since 1h (after the runs, by its own time).`,
  );
  return cmd.action(async (opts: CommonOptions & { limit: number; json?: boolean; status?: string; model?: string; since?: string }) => {
    const filter = parseFilter(opts);
    const filtered = opts.status !== undefined || opts.model !== undefined || opts.since !== undefined;
    const { store, close, prefix, reach } = await openStore(opts);
    try {
      let n = 0;
      // the table is printed once every row is read, each column as wide as its widest cell
      const rows: Array<string | ListRow> = [];
      for await (const { id, rec, error } of listMatching(store, filter, opts.limit)) {
        n++;
        if (!rec) {
          if (!opts.json) rows.push(`${id.padEnd(21)}  (unreadable record: ${error ?? "?"})`);
          continue;
        }
        // a run going on: to its latest sign of life, where it ends if it is found abandoned
        const dur = dialogueSeconds(rec, await store.endOf(rec));
        const models = [...new Set(rec.spec.agents.map(speaksBy))].join(", ");
        const status = runStatusText(rec);
        const src = rec.spec.source;
        const from = src ? (src.kind === "continue" ? `continues ${src.conversation_id}` : `imported from ${src.file}`) : null;
        if (opts.json) {
          out(JSON.stringify({ id, created_at: rec.spec.created_at, started_at: rec.started_at, ended_at: rec.ended_at, duration_s: dur, turns: turnsTaken(rec), remarks: rec.remarks ?? 0, failed_turns: rec.failed_turns, stalled_turns: rec.stalled_turns, cut_turns: rec.cut_turns, retried_turns: rec.retried_turns, status: rec.status, stop_reason: rec.stop_reason, error: rec.error, scenario: rec.spec.scenario.title, source: src ?? null, agent_count: rec.spec.agents.length, agents: rec.spec.agents.map((a) => (a.kind === "human" ? { id: a.id, kind: a.kind, provider: "human", model: null } : { id: a.id, kind: a.kind, provider: a.model.provider, model: a.model.model })) }));
        } else {
          rows.push({ id, started: iso(rec.spec.created_at), duration: dur === null ? "–" : `${dur.toFixed(1)}s`, turns: turnsTaken(rec), agents: rec.spec.agents.length, status, scenario: clean(rec.spec.scenario.title).replace(/\n/g, " "), models: `${models}${from ? ` · ${from}` : ""}` });
        }
      }
      if (rows.length > 0) for (const line of listTable(rows, terminalWidth())) out(line);
      if (n === 0 && !opts.json) {
        out(filtered ? `no conversations under prefix "${prefix}" match these filters` : `no conversations under prefix "${prefix}" yet — start one with: dialogue run${reach}`);
      }
    } finally {
      close();
    }
  });
}

export function showCommand(): Command {
  const cmd = new Command("show")
    .description("show a conversation: story, personas, transcript with metadata, summary; of a run going on, what it lacks (no live manager, a pool no live worker serves)")
    .argument("<id>", "conversation id (see dialogue list)")
    .option("--json", "the record, every message and the summary as one JSON document; of a run going on, what it lacks too (waiting_for, unserved_pools: as the API says them)")
    .option("--no-meta", "transcript without the per-message metadata lines")
    .option("--failed", "list the conversation's failed jobs (dead letters) and failed turns with their errors instead");
  addCommonOptions(cmd);
  return cmd.action(async (id: string, opts: CommonOptions & { json?: boolean; meta: boolean; failed?: boolean }) => {
    // reach: what the commands shown need to reach this run (--prefix, --redis-url)
    const { store, close, prefix, reach } = await openStore(opts);
    try {
      // a run no live manager drives any more is shown as what it is, as list shows it: abandoned
      const rec = await store.settle(await getOrThrow(store, id, prefix), "dialogue show");
      if (opts.failed) {
        const queues = new Queues(store.redis, prefix, loadConfig(opts).queues);
        const dead = await deadLetters(queues, id, [...new Set(rec.spec.agents.map((a) => a.pool))]);
        await queues.close();
        // a failed turn whose job completed (its reply unusable twice, say) is in the log, not among
        // the failed jobs: listed too, once (a turn whose job failed is listed as that job)
        const jobs = new Set(dead.map((d) => d.turn).filter((t) => t !== null));
        const log = await store.readLog(id);
        // a job names its message's sequence number: the turn it is, as every view numbers it, leaves out the remarks and copied history before it
        const notTurns = log.filter((m) => !isTurn(m)).map((m) => m.metadata.sequence_number);
        const turnAt = (seq: number): number => seq - notTurns.filter((s) => s < seq).length;
        const logged: DeadLetter[] = log
          .filter((m) => m.failed && !jobs.has(m.metadata.sequence_number))
          .map((m) => ({ queue: "log", job_id: m.message_id, name: "turn", attempts: Math.max(m.metadata.attempt, m.metadata.failed_attempts.length), turn: m.metadata.sequence_number, agent_id: m.metadata.agent_id, failed_at: m.metadata.finished_at, reason: readableReason(m.error), ...(m.raw !== undefined ? { raw: m.raw } : {}) }));
        const all = [...dead, ...logged]
          .map((d) => (d.turn === null ? d : { ...d, seq: d.turn, turn: turnAt(d.turn) }))
          .sort((a, b) => (a.failed_at ?? 0) - (b.failed_at ?? 0));
        if (opts.json) return out(JSON.stringify(all, null, 2));
        if (all.length === 0) return out(`no failed jobs or failed turns for ${id}`);
        if (dead.length > 0) out(`${dead.length} failed job${dead.length === 1 ? "" : "s"} for ${id}:`);
        for (const d of all.filter((x) => x.queue !== "log")) {
          const what = d.turn === null ? d.name : `turn ${d.turn}${d.agent_id ? ` (${d.agent_id})` : ""}`;
          out(`  ${iso(d.failed_at)}  ${d.queue}  job ${d.job_id}  ${what}, ${d.attempts} attempt${d.attempts === 1 ? "" : "s"}: ${d.reason}`);
        }
        if (logged.length > 0) out(`${logged.length} failed turn${logged.length === 1 ? "" : "s"} of ${id} recorded in the log (${logged.length === 1 ? "its job" : "their jobs"} completed):`);
        for (const d of all.filter((x) => x.queue === "log")) out(`  ${iso(d.failed_at)}  message ${d.job_id}  turn ${d.turn} (${d.agent_id}), ${d.attempts} attempt${d.attempts === 1 ? "" : "s"}: ${d.reason}`);
        if (all.some((d) => d.raw !== undefined)) out("  (raw model output of failed replies: dialogue show --failed --json)");
        return;
      }
      const messages = await store.readLog(id);
      // the duration as list says it (a run going on: to its latest sign of life; none with no turn)
      const summary = { ...summarize(rec, messages), duration_s: dialogueSeconds(rec, await store.endOf(rec)) };
      if (opts.json) {
        // what a run going on lacks, as the plain view says it and as the API's unserved_pools (the commands with what they need to reach the run)
        const lacks = await lackingOf(store, rec, reach);
        out(JSON.stringify({ record: rec, messages, summary, ...lacks }, null, 2));
        return;
      }
      out(headerText(rec));
      out(`  status: ${runStatusText(rec)} · created ${iso(rec.spec.created_at)} UTC`);
      if (rec.status === "stopped" && rec.started_at === null && rec.turns === 0) out("  stopped before its dialogue began: no turn was asked for");
      if (rec.story) out(`\n${storyText(rec.story)}`);
      if (rec.personas) out(`\n${personasText(rec.personas)}`);
      out("");
      const placeIn = turnCounter();
      for (const m of messages) out(messageText(m, opts.meta, rec.spec.turn_order, placeIn(m)));
      const waiting = waitingFor(rec);
      if (waiting) out(waitingText(waiting, rec, { reach }));
      if (!isFinal(rec.status)) {
        const u = await unservedNow(store, rec.spec);
        for (const line of u ? waitingForLines(u, reach, rec) : []) out(`… ${line}`);
      }
      out(`\n${summaryText(summary, rec.spec)}`);
      if (rec.error) out(`  error: ${rec.error}`);
    } finally {
      close();
    }
  });
}

export function stopCommand(): Command {
  const cmd = new Command("stop")
    .description("ask a running conversation to stop (recorded as a user stop; the turn in flight is kept, cut; a person's turn still open is recorded skipped; a run no manager has taken up yet ends stopped at once)")
    .argument("<id>", "conversation id");
  addCommonOptions(cmd);
  return cmd.action(async (id: string, opts: CommonOptions) => {
    const config = loadConfig(opts);
    const { store, close, prefix } = await openStore(opts);
    try {
      // a run no live manager drives any more has ended (abandoned): said so, not asked to stop
      const rec = await store.settle(await getOrThrow(store, id, prefix), "dialogue stop");
      if (isFinal(rec.status)) return out(alreadyEndedText(rec));
      const queues = new Queues(store.redis, prefix, config.queues);
      const r = await requestStop(store, queues, id);
      await queues.close();
      if (r === "stopping") return out(`stopping ${id}`);
      if (r === "stopped") return out(`stopped ${id}: no manager had taken it up yet, so nothing ran`);
      const ended = await store.get(id);
      out(ended ? alreadyEndedText(ended) : `${id} has already ended`);
    } finally {
      close();
    }
  });
}
