/**
 * `dialogue run`: the one-command launcher. Creates the conversation in Redis, starts a manager
 * and one worker per pool as child processes, shows the observer until the run ends, prints the
 * summary and where the run is kept, and stops the children (also on Ctrl-C and SIGTERM).
 */
import path from "node:path";
import { Command, Option } from "commander";
import { resolveAuto } from "../llm/auto.js";
import { buildSpec, needsAuto, type ConcreteProvider } from "../manager/spec.js";
import { requestStop } from "../manager/stop.js";
import { follow } from "../observer/follow.js";
import type { Tui, TuiKey } from "../observer/tui/index.js";
import type { ConversationRecord } from "../protocol/record.js";
import { Queues } from "../queues/index.js";
import { Store } from "../redis/store.js";
import { redactUrl } from "../logger.js";
import { addCommonOptions, loadConfig, logDir, openRedis, positiveInt, positiveNumber, stderr, wholeNumber, type CommonOptions } from "./common.js";
import { Supervisor } from "./children.js";
import { observeWithTui, textObserver, wantsTui } from "./observe.js";

interface RunOptions extends CommonOptions {
  scenario?: string;
  provider?: string;
  model?: string;
  duration?: number;
  maxTurns?: number;
  maxTokens?: number;
  seed?: number;
  plain?: boolean;
  json?: boolean;
  tokens?: boolean;
  spawn: boolean;
}

export function runCommand(): Command {
  const cmd = new Command("run")
    .description("run one conversation: starts a manager and one worker per agent, shows it live, prints a summary")
    .option("-s, --scenario <name>", "a scenario from config/ (e.g. mortgage-refinance, job-interview, debate) or a path to one")
    .addOption(new Option("-p, --provider <provider>", "provider for both agents and the manager").choices(["auto", "simulated", "ollama", "openai", "embedded"]))
    .option("-m, --model <model>", "model for both agents and the manager")
    .option("-d, --duration <seconds>", "stop the dialogue after this many seconds", positiveNumber("--duration"))
    .option("-t, --max-turns <n>", "stop after this many messages", positiveInt("--max-turns"))
    .option("--max-tokens <n>", "stop once the agents generated this many tokens in all", positiveInt("--max-tokens"))
    .option("--seed <n>", "seed of the simulated provider", (v) => wholeNumber("--seed")(v))
    .option("--plain", "plain text output instead of the TUI (the default when stdout is not a terminal)")
    .option("--json", "JSON lines: one event per line")
    .option("--tokens", "with --json: also emit token chunks as they are generated")
    .option("--no-spawn", "start no manager or workers: use the ones already running against this Redis (dialogue manager / dialogue worker, on any host)");
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  dialogue run                                   # default scenario, auto provider
  dialogue run --scenario debate --max-turns 6
  dialogue run --provider simulated --duration 30 --plain
  dialogue run --json --tokens | jq .type

On a terminal it opens the TUI: q or Ctrl-C stops the conversation (the turn being generated is
kept, cut; Ctrl-C again quits at once), s shows the story and personas, ? the keys.
The run stays in Redis afterwards: dialogue list, dialogue show <id>, dialogue watch <id>,
dialogue replay <id> --speed 10.`,
  );
  return cmd.action(async (opts: RunOptions) => {
    process.exitCode = await run(opts);
  });
}

async function run(opts: RunOptions): Promise<number> {
  const overrides: Record<string, unknown> = {};
  if (opts.provider) overrides.provider = opts.provider;
  if (opts.model) overrides.model = opts.model;
  if (opts.duration) overrides["limits.duration_seconds"] = opts.duration;
  if (opts.maxTurns) overrides["limits.max_turns"] = opts.maxTurns;
  if (opts.maxTokens) overrides["limits.max_total_tokens"] = opts.maxTokens;
  if (opts.seed !== undefined) overrides["simulated.seed"] = opts.seed;
  const config = loadConfig(opts, { overrides, scenario: opts.scenario });

  let auto: ConcreteProvider = "simulated";
  if (needsAuto(config)) {
    const choice = await resolveAuto(config);
    auto = choice.provider;
    stderr(`Provider: auto → ${choice.provider} (${choice.reason})`);
  }

  const { redis, resolved } = await openRedis(config, stderr);
  const prefix = config.redis.prefix;
  const store = new Store(redis, prefix);
  const queues = new Queues(redis, prefix, config.queues);
  const spec = buildSpec(config, auto);
  const id = spec.id;
  await store.create(spec);

  const logFile = config.log.file ?? path.join(logDir(config), `${id}.log`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: resolved.url,
    DIALOGUE_CONFIG_JSON: JSON.stringify({ ...config, redis: { ...config.redis, url: resolved.url } }),
    DIALOGUE_LOG_FILE: logFile,
  };
  // while the TUI owns the terminal, what the launcher has to say goes through it
  let say = stderr;
  let tui: Tui | null = null;
  const supervisor = new Supervisor({
    env,
    say: (s) => say(s),
    onGiveUp: (name, last) => {
      void store.finalize(id, "error", `${name} kept crashing: ${last}`);
    },
  });
  const pools = [...new Set(spec.agents.map((a) => a.pool))];
  if (opts.spawn) {
    supervisor.start({ name: "manager", args: ["manager"] });
    for (const pool of pools) supervisor.start({ name: `worker ${pool}`, args: ["worker", "--pool", pool] });
  } else {
    stderr(`--no-spawn: waiting for a running manager and workers for pool${pools.length > 1 ? "s" : ""} ${pools.join(", ")}`);
  }

  // Ctrl-C and SIGTERM, or the TUI's keys: q or Ctrl-C ("stop", "interrupt"). The first stops the
  // conversation gracefully; a second Ctrl-C quits at once (a second q changes nothing).
  let interrupts = 0;
  const interrupt = (how: NodeJS.Signals | TuiKey): void => {
    if (how === "stop" && interrupts > 0) return;
    interrupts++;
    if (interrupts === 1) {
      const what = how === "SIGINT" || how === "interrupt" ? "Ctrl-C" : how === "stop" ? "q" : how;
      say(`${tui ? "" : "\n"}${what}: stopping the conversation (the turn in flight is kept, cut); Ctrl-C again to quit at once`);
      requestStop(store, queues, id).catch((err: unknown) => say(`could not request the stop: ${String(err)}`));
      if (how === "SIGTERM") setTimeout(() => hardExit(143), 15_000).unref();
    } else {
      hardExit(130);
    }
  };
  const onSignal = (sig: NodeJS.Signals): void => interrupt(sig);
  const hardExit = (code: number): void => {
    supervisor.killNow();
    tui?.unmount();
    stderr(`quit; conversation ${id} is kept in Redis as it was`);
    process.exit(code);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  await queues.addControl({ type: "start", conversation_id: id }, store.keys.startJobId(id));
  let final: ConversationRecord | null = null;
  try {
    if (wantsTui(opts)) {
      await observeWithTui({
        mode: "run",
        onKey: interrupt,
        onStart: (t) => {
          tui = t;
        },
        produce: async (feed) => {
          say = (s) => feed.push({ type: "notice", text: s.trim() });
          final = await follow(store, id, (e) => feed.push(e), { tokens: true });
          feed.push({ type: "end", record: final, messages: await store.readLog(id) });
        },
      });
    } else {
      const observe = textObserver(opts);
      final = await follow(store, id, observe, { tokens: Boolean(opts.json && opts.tokens) });
      observe({ type: "end", record: final, messages: await store.readLog(id) });
    }
  } finally {
    tui = null;
    say = stderr;
    await supervisor.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  if (!final) throw new Error(`lost track of conversation ${id}`);
  stderr(`\nKept in Redis at ${redactUrl(resolved.url)} (prefix "${prefix}"), conversation ${id}`);
  stderr(`  see it again: dialogue show ${id}    all runs: dialogue list    logs: ${logFile}`);
  await queues.close();
  redis.disconnect();
  return final.status === "failed" ? 1 : 0;
}
