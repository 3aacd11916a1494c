/**
 * The `dialogue` program. Thin: parse, load config, call, and map errors to exit codes in one
 * place — one line of cause and one of hint, never a stack trace.
 */
import { Command, CommanderError } from "commander";
import { DialogueError } from "../errors/index.js";
import { doctorCommand } from "./doctor.js";
import { analyzeCommand } from "./analyze.js";
import { compareCommand } from "./compare.js";
import { exportCommand } from "./export.js";
import { listCommand, showCommand, stopCommand } from "./inspect.js";
import { purgeCommand } from "./purge.js";
import { redisCommand } from "./redis.js";
import { modelsCommand } from "./models.js";
import { replayCommand } from "./replay.js";
import { managerCommand, workerCommand } from "./roles.js";
import { runCommand } from "./run.js";
import { watchCommand } from "./watch.js";

export function program(): Command {
  const p = new Command("dialogue")
    .description("Timed conversations between LLMs over Redis: a manager, LLM workers on BullMQ queues, a live observer.")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  const commands = [
    runCommand(),
    watchCommand(),
    replayCommand(),
    listCommand(),
    showCommand(),
    analyzeCommand(),
    exportCommand(),
    compareCommand(),
    stopCommand(),
    purgeCommand(),
    modelsCommand(),
    managerCommand(),
    workerCommand(),
    redisCommand(),
    doctorCommand(),
  ];
  for (const c of commands) {
    c.exitOverride();
    p.addCommand(c);
  }
  p.addHelpText(
    "after",
    `
Configuration: config/default.json < --config/--scenario file < env (REDIS_URL, OLLAMA_HOST, OPENAI_BASE_URL, OPENAI_API_KEY, DIALOGUE_*) < flags.
Providers: auto (default) | ollama | openai | embedded | simulated — see \`dialogue models\`.
Every run stays in Redis: dialogue list, dialogue show <id>, dialogue watch <id>, dialogue replay <id> --speed 10,
dialogue analyze <id>, dialogue export <id>, dialogue compare <id> <id>; dialogue purge removes runs on purpose.
Problems? dialogue doctor.`,
  );
  return p;
}

function fail(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander already printed its message; help and version are not errors
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") return 0;
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof DialogueError) {
    process.stderr.write(`error: ${err.message}\n`);
    if (err.hint) process.stderr.write(`hint: ${err.hint}\n`);
    return err.exitCode;
  }
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`error: ${msg.split("\n")[0]}\n`);
  if (process.env.DIALOGUE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  return 1;
}

export async function main(argv: string[]): Promise<void> {
  // `dialogue list | head`, `dialogue export … | less` closed early: stop quietly, as other tools do
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
  try {
    await program().parseAsync(argv);
  } catch (err) {
    process.exitCode = fail(err);
  }
  if (process.exitCode !== undefined && process.exitCode !== 0) {
    // do not wait for open handles after a failure
    setTimeout(() => process.exit(), 50).unref();
  }
}
