/**
 * The `dialogue` program. Thin: parse, load config, call, and map errors to exit codes in one
 * place — one line of cause and one of hint, never a stack trace.
 */
import { Command, CommanderError } from "commander";
import { DialogueError } from "../errors/index.js";
import { stderrError, stdoutError } from "./output.js";
import { VERSION } from "../version.js";

/**
 * Every command, in the order `--help` lists them, each loaded only when it is needed: a
 * process started for one command (a worker, `dialogue list`) loads that command's modules and
 * no other's, which keeps startup short.
 */
const COMMANDS: ReadonlyArray<[string, () => Promise<Command>]> = [
  ["run", async () => (await import("./run.js")).runCommand()],
  ["watch", async () => (await import("./watch.js")).watchCommand()],
  ["replay", async () => (await import("./replay.js")).replayCommand()],
  ["list", async () => (await import("./inspect.js")).listCommand()],
  ["show", async () => (await import("./inspect.js")).showCommand()],
  ["analyze", async () => (await import("./analyze.js")).analyzeCommand()],
  ["export", async () => (await import("./export.js")).exportCommand()],
  ["compare", async () => (await import("./compare.js")).compareCommand()],
  ["import", async () => (await import("./import.js")).importCommand()],
  ["stop", async () => (await import("./inspect.js")).stopCommand()],
  ["say", async () => (await import("./say.js")).sayCommand()],
  ["serve", async () => (await import("./serve.js")).serveCommand()],
  ["purge", async () => (await import("./purge.js")).purgeCommand()],
  ["scenarios", async () => (await import("./scenarios.js")).scenariosCommand()],
  ["models", async () => (await import("./models.js")).modelsCommand()],
  ["manager", async () => (await import("./roles.js")).managerCommand()],
  ["worker", async () => (await import("./roles.js")).workerCommand()],
  ["status", async () => (await import("./status.js")).statusCommand()],
  ["redis", async () => (await import("./redis.js")).redisCommand()],
  ["doctor", async () => (await import("./doctor.js")).doctorCommand()],
];

/**
 * The program. With `argv`, only the command it names is loaded (all of them when it names none
 * or one that does not exist, so help and "unknown command" list every one).
 */
export async function program(argv?: readonly string[]): Promise<Command> {
  const p = new Command("dialogue")
    .description("Timed conversations between LLMs over Redis: a manager, LLM workers on BullMQ queues, a live observer.")
    .version(VERSION)
    .exitOverride();
  const named = argv?.[2];
  const one = COMMANDS.find(([name]) => name === named);
  for (const [, load] of one ? [one] : COMMANDS) {
    const c = await load();
    c.exitOverride();
    p.addCommand(c);
  }
  p.addHelpText(
    "after",
    `
Configuration: config/default.json < --config/--scenario file < env (REDIS_URL, OLLAMA_HOST, OPENAI_BASE_URL, OPENAI_API_KEY, DIALOGUE_*) < flags.
Providers: auto (default) | ollama | openai | embedded | simulated — see \`dialogue models\`.
Bring your own: dialogue import <file> (recorded conversations), dialogue run --continue <id>, --material <file>.
Every run stays in Redis: dialogue list, dialogue show <id>, dialogue watch <id>, dialogue replay <id> --speed 10,
dialogue analyze <id>, dialogue export <id>, dialogue compare <id> <id>; dialogue purge removes runs on purpose.
In a browser: dialogue serve (runs, live conversations, analyses, the queues; an HTTP API).
Several hosts: dialogue manager and dialogue worker anywhere against one Redis (or Redis Cluster); dialogue status lists them.
Problems? dialogue doctor.`,
  );
  return p;
}

function fail(err: unknown, argv: string[] = []): number {
  if (err instanceof CommanderError) {
    // commander already printed its message; help and version are not errors
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") return 0;
    // "-5 degrees outside" is text that begins with a dash, not an option
    if (err.code === "commander.unknownOption" && /'-[^']*\s[^']*'/.test(err.message)) {
      process.stderr.write(`hint: text that begins with "-" goes after --, e.g. dialogue say <id> --as narrator -- "-5 degrees outside"\n`);
    } else if (err.code === "commander.unknownCommand") {
      // (commander said which, and the command it may be: "(Did you mean list?)")
      process.stderr.write("hint: dialogue --help lists the commands\n");
    } else if (err.exitCode !== 0) {
      // an option or argument commander refused: where to read what it takes
      const command = COMMANDS.find(([name]) => name === argv[2])?.[0];
      process.stderr.write(command ? `hint: dialogue ${command} --help lists its options and what each takes\n` : "hint: dialogue --help lists the commands\n");
    }
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
  // (`dialogue run` has its run and processes to stop first: output.ts)
  process.stdout.on("error", stdoutError);
  process.stderr.on("error", stderrError);
  try {
    await (await program(argv)).parseAsync(argv);
  } catch (err) {
    process.exitCode = fail(err, argv);
  }
  if (process.exitCode !== undefined && process.exitCode !== 0) {
    // do not wait for open handles after a failure
    setTimeout(() => process.exit(), 50).unref();
  }
}
