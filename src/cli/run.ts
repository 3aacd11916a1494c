/**
 * `dialogue run`: the one-command launcher. Creates the conversation in Redis, starts a manager
 * and one worker per pool as child processes, shows the observer until the run ends, prints the
 * summary and where the run is kept, and stops the children (also on Ctrl-C and SIGTERM).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { Command, Option } from "commander";
import { say as sayInRun } from "../manager/say.js";
import { endStopped, requestStop } from "../manager/stop.js";
import { follow } from "../observer/follow.js";
import { managerCommand } from "../observer/unserved.js";
import type { Tui, TuiKey } from "../observer/tui/index.js";
import { isFinal, type ConversationRecord } from "../protocol/record.js";
import { now } from "../redis/clock.js";
import { analysisOf } from "../redis/analysis-store.js";
import { redactUrl } from "../logger.js";
import { startRun } from "../spec/start.js";
import { checkSource, continuedConfig, startContinued, withSource } from "../spec/continue.js";
import { UsageError } from "../errors/index.js";
import { getOrThrow, openStore } from "./conversation.js";
import { addCommonOptions, logDir, positiveInt, positiveNumber, stderr, wholeNumber } from "./common.js";
import { runBatch } from "./batch.js";
import { keptHint, sayWrapped } from "./hint.js";
import { unservedNow } from "./lacking.js";
import { PoolNotices, poolLines } from "./pool-notices.js";
import { Supervisor } from "./children.js";
import { exitCodeFor } from "./exit-codes.js";
import { childSetup, prepareLaunch, seeds, startChildren, type Launch, type RunOptions } from "./launch.js";
import { StoppedWaiting, UnservedError, unservedHint, unservedSpec } from "./no-spawn.js";
import { DialogueError } from "../errors/index.js";
import { Store } from "../redis/store.js";
import { observeWithTui, textObserver, wantsTui } from "./observe.js";
import { onOutputClosed } from "./output.js";
import { reachFlags } from "./reach.js";
import { sayLostRedis, stopWhileAway, watchRedis, type RedisEvent } from "./redis-away.js";

export function runCommand(): Command {
  const cmd = new Command("run")
    .description("run a conversation (or --count N at once): starts a manager and one worker per agent, shows it live, prints the analysis")
    .option("-s, --scenario <name>", "a scenario from config/ (dialogue scenarios lists them: town-hall, panel, debate, …) or a path to one")
    .addOption(new Option("-p, --provider <provider>", "provider of every agent and the manager, over what the config names (an agent keeps its own model only if it was for this provider; --models still sets each agent's); auto: the first that can serve, and it says which").choices(["auto", "simulated", "ollama", "openai", "embedded"]))
    .option("-m, --model <model>", "model of every agent and the manager, over what the config names (an Ollama or OpenAI model name, or a GGUF path for embedded; --models sets each agent's)")
    .option("--model-file <file.gguf>", "the GGUF model the embedded provider runs (default: a small instruct model, downloaded once); env DIALOGUE_MODEL_FILE. Checked before anything starts: a file that is missing, empty or not a GGUF model stops the run (exit 2), whatever the provider")
    .option("--pull", "ollama: pull a model the server does not have (with a progress bar) instead of failing")
    .option("--threads <n>", "embedded: CPU threads per generation (default: half the cores); env DIALOGUE_THREADS", positiveInt("--threads"))
    .option("-d, --duration <seconds>", "stop the dialogue after this many seconds", positiveNumber("--duration"))
    .option("-t, --max-turns <n>", "stop after this many turns (narrator remarks and --continue history are not counted)", positiveInt("--max-turns"))
    .option("--max-tokens <n>", "stop once the agents generated this many tokens in all", positiveInt("--max-tokens"))
    .option("--seed <n>", "the run's seed, recorded and given to every engine that takes one (default: a fresh one, shown in the header): the same seed and configuration give the same simulated conversation (with --count, conversation k uses seed + k - 1)", wholeNumber("--seed"))
    .option("--agents <n>", "how many agents take part (2-8): the scenario's agents, then its extra cast, in order (the default scenario has 8)", positiveInt("--agents"))
    .option("--models <list>", "one model per agent, in their order, comma-separated; provider:model names the provider too (e.g. ollama:llama3.2,openai:gpt-4o-mini,simulated:simulated-1)")
    .option("--topic <text>", "what the conversation is about, as it would follow \"to talk about\" (e.g. \"whether the town needs a night bus\"; ending with . ! or ? it is a whole premise): replaces the scenario's title, premise and setting, and gives every agent a goal about it (\"weigh up … as a <role>\"), except goals you wrote (in --config, DIALOGUE_CONFIG, --scenario <file> or --set agents.N.goal)")
    .addOption(new Option("--turn-order <order>", "who speaks next: round_robin (default), random (seeded rounds: each agent once a round, nobody twice in a row), addressed (a reply names the next speaker), moderator (the manager's model picks)").choices(["round_robin", "random", "addressed", "moderator"]))
    .option("--person <id>", "that agent is a person: you answer at its turn in the TUI's input line (or with dialogue say); repeatable", (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option("--plain", "plain text output instead of the TUI (the default when stdout is not a terminal)")
    .option("--json", "JSON lines: one event per line")
    .option("--tokens", "with --json: also emit token chunks as they are generated")
    .option("--no-spawn", "start no manager or workers: use the ones already running against this Redis (dialogue manager / dialogue worker, on any host); they check the models on their own hosts, and it waits for them up to --wait")
    .option("--wait <seconds>", "with --no-spawn: how long to wait for a live manager and a live worker for every pool before giving up (the run is then recorded as failed, stop reason unserved, and run exits 1); default presence.wait_seconds, 60", positiveNumber("--wait"))
    .option("--material <file>", "a file the agents may draw on: text, Markdown, CSV or JSON (repeatable; adds to scenario.materials); each turn's prompt carries its most relevant chunks within materials.budget_tokens", (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option("--continue <id>", "a new run whose history is that conversation (an imported one, or a run): its speakers become the agents, with the models configured (--provider, --model, --models), personas read from the transcript by the manager's model; it carries on for the limits set")
    .option("--count <n>", "run n conversations of this configuration at once, served by the same manager and workers (one per pool); plain text: a line as each ends, then a total (no TUI), and on a terminal a progress line (done, running, queued)", positiveInt("--count"));
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  dialogue run                                   # default scenario, auto provider
  dialogue run --scenario debate --max-turns 6
  dialogue run --provider simulated --duration 30 --plain
  dialogue run --provider ollama --model llama3.2 --pull
  dialogue run --provider embedded --model-file ./model.gguf --max-turns 4
  dialogue run --config config/two-models.json    # a different provider/model per agent
  dialogue run --scenario town-hall                # five people, round robin
  dialogue run --scenario panel                    # a moderated panel: the manager's model picks who speaks
  dialogue run --agents 4 --turn-order random --topic "whether the town needs a night bus"
  dialogue run --models ollama:llama3.2,ollama:qwen2.5:0.5b
  dialogue run --person traveller                  # you are the traveller: type at your turn
  dialogue run --json --tokens | jq .type
  dialogue run --count 50 --provider simulated --set queues.worker_concurrency=50   # 50 at once
  dialogue run --continue imp-S-1001-df2351d67659 --max-turns 6   # models carry an imported call on
  dialogue run --material sales.csv --material product.md   # agents that talk about your data

On a terminal it opens the TUI: q or Ctrl-C stops the conversation (the turn being generated is
kept, cut; Ctrl-C again quits at once), s shows the story and personas, ? the keys. At a person's
turn (--person) the input line opens and takes every key but Ctrl-C: Enter sends what is typed,
Esc gives the keys back; after limits.human_turn_seconds (120 s) the turn is skipped.
The run stays in Redis afterwards with its analysis (the full report ends a --plain run):
dialogue list, dialogue show <id>, dialogue watch <id>, dialogue replay <id> --speed 10,
dialogue analyze <id>, dialogue export <id> --format html.
With --count, a worker generates queues.worker_concurrency turns at once (default 1): raise it
(--set queues.worker_concurrency=N) when the model's server can take them.

--no-spawn (managers and workers you started, on any hosts): it looks for a live manager and a
live worker for every pool (their heartbeats; dialogue status shows them). If one is missing it
says so at once and waits, saying what it waits for, up to --wait seconds (60); then the run is
recorded as failed (unserved) and run exits 1. While the run goes on, a pool whose last worker
went away is said as dialogue show says it (with the command that starts one), and again when it
is served. The providers and models are checked by the workers
of each pool and by a manager, on their own hosts (their OLLAMA_HOST, OPENAI_BASE_URL, GGUF
files), not on this one; --model-file is then an absolute path on those hosts, and without it each
worker runs its own embedded.model_file (DIALOGUE_MODEL_FILE) or default model.`,
  );
  return cmd.action(async (opts: RunOptions) => {
    process.exitCode = await run(opts);
  });
}

/**
 * --no-spawn gave up waiting (or was stopped while it waited): the run is recorded all the same
 * (`count` of them), finalized as failed with stop reason "unserved" and the reason, or as stopped
 */
async function recordUnserved(err: UnservedError | StoppedWaiting, count: number): Promise<number> {
  const { redis, config } = err;
  const store = new Store(redis, config.redis.prefix, { leaseMs: config.queues.lock_duration_ms });
  const seedOf = seeds(config);
  const ids: string[] = [];
  try {
    for (let n = 0; n < count; n++) {
      const spec = unservedSpec(config, seedOf(n));
      await store.create(spec);
      if (err instanceof UnservedError) await store.finalize(spec.id, "unserved", err.reason);
      else await store.finalize(spec.id, "user_stop", err.message);
      ids.push(spec.id);
    }
  } finally {
    redis.disconnect();
  }
  const which = ids.length === 1 ? `conversation ${ids[0]} is` : `the ${ids.length} conversations (${ids[0]} …) are`;
  if (err instanceof UnservedError) throw new DialogueError(`${err.reason}; ${which} recorded as failed (unserved)`, 1, unservedHint(config, err.lacking));
  stderr(`${err.message}; ${which} recorded as stopped`);
  return err.exitCode;
}

/** the conversation `id` that run --continue carries on, read before anything else happens */
async function sourceOf(opts: RunOptions, id: string): Promise<ConversationRecord> {
  const { store, close, prefix, reach } = await openStore(opts);
  try {
    const rec = await getOrThrow(store, id, prefix);
    checkSource(rec, reach);
    return rec;
  } finally {
    close();
  }
}

async function run(opts: RunOptions): Promise<number> {
  const source = opts.continue === undefined ? null : await sourceOf(opts, opts.continue);
  if (source && opts.count !== undefined && opts.count > 1) throw new UsageError("--continue starts one run", "leave out --count");
  let launch: Launch;
  try {
    launch = await prepareLaunch(opts, source ? (c) => continuedConfig(c, source) : undefined);
  } catch (err) {
    if (err instanceof UnservedError || err instanceof StoppedWaiting) return recordUnserved(err, opts.count ?? 1);
    throw err;
  }
  if (opts.count !== undefined && opts.count > 1) return runBatch(launch, opts, opts.count);
  const { config, redis, resolved, prefix, store, queues } = launch;
  const spec = source ? withSource(launch.newSpec(), source) : launch.newSpec();
  const id = spec.id;
  // the record and the manager's start job (a manager takes it as soon as it is up); a continued
  // run gets the conversation it carries on copied into its log first
  if (source) {
    const n = await startContinued(store, queues, spec, source.spec.id, launch.chunks);
    stderr(`Continuing ${source.spec.id} (${source.spec.scenario.title}): its ${n} messages are the history of ${id}`);
  } else await startRun(store, queues, spec, launch.chunks);

  const logFile = config.log.file ?? path.join(logDir(config), `${id}.log`);
  // what the commands printed for the user need to reach this run (--prefix, --redis-url)
  const reach = reachFlags(config);
  // while the TUI owns the terminal, what the launcher has to say goes through it
  let say = stderr;
  // Redis gone away or back: told to the view (the TUI's live area, or a line on stderr)
  let tell: (e: RedisEvent) => void = () => undefined;
  let tui: Tui | null = null;
  const supervisor = new Supervisor({
    ...childSetup(launch, logFile),
    say: (s) => say(s),
    onGiveUp: (name, last) => {
      void store.finalize(id, "error", `${name} kept crashing: ${last}`);
    },
  });
  await startChildren(supervisor, launch, opts.spawn, [id]);

  const connection = watchRedis(redis, resolved.url, config, (e) => tell(e), () => {
    // the TUI's last frame says it too, and gives the terminal back for the error
    if (tui) tui.quit(`Lost Redis at ${redactUrl(resolved.url)} for ${Math.round(config.redis.unavailable_timeout_ms / 1000)} s: this stopped following the run, which keeps what was recorded so far.`);
    sayLostRedis(resolved.url, config, id, `dialogue show ${id}${reach}`);
    void supervisor.stop(2000).finally(() => process.exit(1));
  });

  // Ctrl-C and SIGTERM, or the TUI's keys: q or Ctrl-C ("stop", "interrupt"). The first stops the
  // conversation gracefully; a second Ctrl-C quits at once (a second q changes nothing).
  let interrupts = 0;
  const interrupt = (how: NodeJS.Signals | TuiKey): void => {
    if (how === "stop" && interrupts > 0) return;
    interrupts++;
    if (interrupts === 1) {
      const what = how === "SIGINT" || how === "interrupt" ? "Ctrl-C" : how === "stop" ? "q" : how;
      // on SIGTERM the launcher will not wait for ever: what happens if no manager ends the run is said now
      const stopping =
        how === "SIGTERM"
          ? `a manager ends the run, keeping the turn in flight (cut); if none does within 15 s, this launcher records the stop itself, without the turn in flight, and exits 143`
          : `the turn in flight is kept, cut`;
      say(`${tui ? "" : "\n"}${what}: stopping the conversation (${stopping}); ${how === "SIGTERM" ? "another SIGTERM or Ctrl-C quits" : "Ctrl-C again to quit"} at once`);
      // the stop is a write to Redis: while it is away, say so now rather than go quiet until it is back or given up on
      const away = connection.away();
      if (away) say(stopWhileAway(away));
      requestStop(store, queues, id).catch((err: unknown) => say(`could not request the stop: ${String(err)}`));
      // no manager ended it in time (none is left, under --no-spawn): the launcher records the stop itself
      if (how === "SIGTERM") {
        const killed = opts.spawn ? ", and the manager and the workers this run started were killed" : "";
        const why = `No manager ended the run within 15 s of SIGTERM: the launcher recorded it as stopped (a turn in flight was not recorded)${killed}.`;
        setTimeout(() => void endStopped(store, [id]).finally(() => hardExit(143, why, `stopped; conversation ${id} is kept in Redis`)), 15_000).unref();
      }
    } else {
      const again = how === "SIGINT" || how === "interrupt" ? "a second Ctrl-C" : `${how} after the stop`;
      // under --no-spawn there are no children: the stop asked for is the running managers' to end
      const [frame, line] = opts.spawn
        ? [`Quit at once (${again}): the manager and the workers this run started were killed, without waiting any longer for the stop.`, `quit; conversation ${id} is kept in Redis as it was`]
        : [
            `Quit at once (${again}): this terminal stopped following the run; the stop it asked for is left to the managers and workers already running (dialogue watch ${id}${reach} follows it).`,
            `quit; conversation ${id} is left to the managers already running (dialogue show ${id}${reach} says how it ended)`,
          ];
      // the exit a signal causes, by convention 128 + its number: SIGTERM 143, Ctrl-C (SIGINT) 130
      hardExit(how === "SIGTERM" ? 143 : 130, frame, line);
    }
  };
  const onSignal = (sig: NodeJS.Signals): void => interrupt(sig);
  // the children (if this command started them) are killed at once; the TUI's last frame says
  // what was done (`frame`), with no keys (without the TUI, a line of its own), and `line` is printed under it
  const hardExit = (code: number, frame: string, line: string): void => {
    supervisor.killNow();
    if (tui) tui.quit(frame);
    else sayWrapped(frame);
    sayWrapped(line);
    process.exit(code);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // `dialogue run … | head`: the reader went away. The run is stopped as by a first Ctrl-C (not
  // left running, with its processes, when this one exits), said on stderr; the rest of what would
  // go to stdout is dropped
  onOutputClosed(() => {
    if (interrupts++ > 0) return;
    say(`The output was closed (its reader exited): stopping the conversation ${id} (the turn in flight is kept, cut); Ctrl-C to quit at once`);
    requestStop(store, queues, id).catch((err: unknown) => say(`could not request the stop: ${String(err)}`));
  });

  // under --no-spawn nothing here restarts a manager that died: when no live manager has renewed
  // the run's lease, say so (at most once a minute) rather than wait in silence; the run is left as
  // it is, for a manager started by hand to take over. This launcher watches it meanwhile (one
  // small write each time, which also reads what is said here): list, doctor, purge, show and
  // watch leave a watched run alone, and finalize it as abandoned once this launcher is gone too
  // (the watch lapses after three of these checks). The same check reads the heartbeats: a pool
  // of the run that no live worker serves any more is said as dialogue show says it, and once when
  // it is served again (cli/pool-notices.ts); a missing manager is the lease's line alone
  const checkMs = Math.min(5000, Math.max(200, Math.floor(config.queues.lock_duration_ms / 3)));
  let leaseSaid = 0;
  let checking = false;
  const poolNotices = new PoolNotices();
  const leaseCheck = setInterval(() => {
    if (opts.spawn !== false || checking) return;
    checking = true;
    void store
      .watch(id, 3 * checkMs)
      .then(async (rec) => {
        if (!rec || isFinal(rec.status)) return;
        if (rec.lease_until !== null && rec.lease_until <= now() && Date.now() - leaseSaid >= 60_000) {
          leaseSaid = Date.now();
          say(
            `… no live manager has renewed the lease of ${id} for ${Math.round((now() - rec.lease_until) / 1000)} s (a manager died, with none to take over): ` +
              `start \`${managerCommand(reach)}\` on any host (it takes the run over), or stop it with Ctrl-C`,
          );
        }
        const u = await unservedNow(store, spec);
        if (!u) return;
        // whose turn waits, as show says it: the record is read only while a pool lacks a worker
        const current = u.pools.length > 0 ? await store.get(id) : null;
        if (u.pools.length > 0 && (!current || isFinal(current.status))) return;
        for (const line of poolNotices.next(current ? poolLines(u, reach, current) : new Map(), Date.now())) say(line);
      })
      .catch(() => undefined)
      .finally(() => {
        checking = false;
      });
  }, checkMs);
  leaseCheck.unref();

  let final: ConversationRecord | null = null;
  const where = `Redis at ${redactUrl(resolved.url)} (prefix "${prefix}")`;
  try {
    if (wantsTui(opts)) {
      await observeWithTui({
        mode: "run",
        reach,
        onKey: interrupt,
        // the input line at a person's turn says it as `dialogue say --turn` does: for the turn it was typed at
        say: (as, text, turn) => sayInRun(store, queues, id, text, { as, turn, via: "the TUI", reach }),
        onStart: (t) => {
          tui = t;
        },
        produce: async (feed) => {
          say = (s) => feed.push({ type: "notice", text: s.trim() });
          tell = (e) => feed.push(e);
          const away = connection.away();
          if (away) feed.push({ type: "redis", away, at: now() });
          final = await follow(store, id, (e) => feed.push(e), { tokens: true, where, watch: connection });
          // computed from the log as `dialogue analyze` does, and stored with the run
          const { analysis } = await analysisOf(store, final);
          feed.push({ type: "end", record: final, messages: await store.readLog(id), analysis });
        },
      });
    } else {
      const observe = textObserver(opts, reach);
      tell = observe;
      const away = connection.away();
      if (away) observe({ type: "redis", away, at: now() });
      final = await follow(store, id, observe, { tokens: Boolean(opts.json && opts.tokens), notices: true, where, watch: connection });
      const analysis = (await analysisOf(store, final)).analysis;
      observe({ type: "end", record: final, messages: await store.readLog(id), analysis });
    }
  } finally {
    clearInterval(leaseCheck);
    connection();
    tui = null;
    say = stderr;
    tell = () => undefined;
    await supervisor.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  if (!final) throw new Error(`lost track of conversation ${id}`);
  // under --no-spawn no process of this launcher wrote a log (unless it wrote one itself)
  sayWrapped(keptHint(`Redis at ${redactUrl(resolved.url)} (prefix "${prefix}")`, id, opts.spawn === false && !existsSync(logFile) ? null : logFile, reach));
  await queues.close();
  redis.disconnect();
  return exitCodeFor(final);
}
