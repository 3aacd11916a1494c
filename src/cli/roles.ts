/**
 * `dialogue manager` and `dialogue worker`: long-running role processes. Each stops cleanly on
 * SIGINT/SIGTERM, and when started by `dialogue run`, also when the launcher goes away (IPC
 * disconnect), so no child outlives it.
 */
import { Command } from "commander";
import { createLogger } from "../logger.js";
import { startManager } from "../manager/process.js";
import { startWorker } from "../worker/process.js";
import { UsageError } from "../errors/index.js";
import { isSafeId } from "../protocol/keys.js";
import { receiveConfig } from "./children.js";
import { addCommonOptions, loadConfig, openRedis, positiveInt, stderr, type CommonOptions } from "./common.js";

function untilShutdown(close: () => Promise<void>, log: { info: (o: object, m: string) => void }): Promise<void> {
  return new Promise((resolve) => {
    let closing = false;
    const stop = (why: string): void => {
      if (closing) {
        process.exit(130);
      }
      closing = true;
      log.info({ why }, "shutting down");
      const hard = setTimeout(() => process.exit(1), 10_000);
      hard.unref();
      close().finally(() => {
        clearTimeout(hard);
        resolve();
        // connections handed to BullMQ are not closed by it; nothing else is left to finish
        setImmediate(() => process.exit(0));
      });
    };
    // under `dialogue run`, Ctrl-C reaches the whole process group: the launcher handles it
    // (it stops the conversation first, then stops us with SIGTERM)
    process.on("SIGINT", () => (process.send ? undefined : stop("SIGINT")));
    process.on("SIGTERM", () => stop("SIGTERM"));
    if (process.send) process.on("disconnect", () => stop("launcher went away"));
  });
}

export function managerCommand(): Command {
  const cmd = new Command("manager").description(
    "run a manager: writes stories and personas, drives the turns of every conversation in this Redis prefix",
  );
  addCommonOptions(cmd);
  return cmd.action(async (opts: CommonOptions) => {
    const config = loadConfig(opts, { handed: await receiveConfig() });
    const log = createLogger({ level: config.log.level, file: config.log.file, role: "manager" });
    const { redis } = await openRedis(config, stderr);
    const handle = await startManager({ config, redis, log });
    if (!process.send) stderr(`manager ready (prefix "${config.redis.prefix}", pid ${process.pid}); Ctrl-C to stop`);
    await untilShutdown(async () => {
      await handle.close();
      redis.disconnect();
    }, log);
  });
}

interface WorkerOptions extends CommonOptions {
  pool: string;
  concurrency?: number;
}

export function workerCommand(): Command {
  const cmd = new Command("worker")
    .description("run a worker: generates the turns of one pool's agents with their LLMs (stateless; run any number, anywhere)")
    .requiredOption("--pool <name>", "the pool to serve (an agent's `pool`, by default its id)")
    .option("--concurrency <n>", "turns generated at once by this process", positiveInt("--concurrency"));
  addCommonOptions(cmd);
  return cmd.action(async (opts: WorkerOptions) => {
    if (!isSafeId(opts.pool)) throw new UsageError(`invalid --pool "${opts.pool}"`, "use letters, digits, '_', '.' or '-'");
    const config = loadConfig(opts, { handed: await receiveConfig() });
    const log = createLogger({ level: config.log.level, file: config.log.file, role: `worker ${opts.pool}` });
    const { redis } = await openRedis(config, stderr);
    const handle = await startWorker({
      config,
      pool: opts.pool,
      concurrency: opts.concurrency ?? config.queues.worker_concurrency,
      redis,
      log,
    });
    if (!process.send) stderr(`worker for pool "${opts.pool}" ready (pid ${process.pid}); Ctrl-C to stop`);
    await untilShutdown(async () => {
      await handle.close();
      redis.disconnect();
    }, log);
  });
}
