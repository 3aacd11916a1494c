/**
 * `dialogue manager` and `dialogue worker`: long-running role processes. Each says on its first
 * line which Redis it uses (and where it is: host, pid), and never starts a private managed Redis
 * unless told to (--managed-redis): a process meant to join others fails loudly instead of serving
 * an empty Redis of its own. Each stops cleanly on SIGINT/SIGTERM, and when started by
 * `dialogue run`, also when the launcher goes away (IPC disconnect), so no child outlives it.
 */
import { Command } from "commander";
import { createLogger, type Logger } from "../logger.js";
import { startManager } from "../manager/process.js";
import { startWorker } from "../worker/process.js";
import { UsageError } from "../errors/index.js";
import { isSafeId } from "../protocol/keys.js";
import { receiveConfig } from "./children.js";
import { addCommonOptions, loadConfig, openRedis, positiveInt, stderr, type CommonOptions } from "./common.js";
import type { Config } from "../config/schema.js";
import { describeRedis } from "../redis/connect.js";
import { hostName } from "../redis/host.js";
import { RedisOutage } from "../redis/connect-outage.js";

interface RoleOptions extends CommonOptions {
  managedRedis?: boolean;
}

const MANAGED_HELP =
  "with no REDIS_URL and nothing on 127.0.0.1:6379, start the managed local redis-server if none runs (by default a manager or worker only joins one that already runs, and fails otherwise)";

const ROLE_HELP = `
Redis: the first line names the Redis this process uses. Without REDIS_URL (or --redis-url) it
uses 127.0.0.1:6379 if that answers, else the managed redis-server if one already runs on this
host; it never starts one of its own unless you pass --managed-redis (or set
redis.managed.autostart): a process meant to join others must not serve an empty Redis.
A Redis Cluster: name several nodes (REDIS_URL=redis://:pw@h1:7000,h2:7000,h3:7000) or one node of it.
Every manager and worker writes a heartbeat (host, pid, pool, what it can serve, load) every
presence.heartbeat_ms; dialogue status lists them. DIALOGUE_HOSTNAME overrides the host name shown.
While Redis is away it keeps retrying, and its log says so once (then at most every 10 s), and once
when Redis answers again. Ctrl-C or SIGTERM stops it cleanly; a second one ends it at once (130, 143).
Stopped while Redis is away, it waits up to 10 s for Redis to stop cleanly, then exits 1.`;

/**
 * open Redis as a role process: no private managed Redis unless asked; the first line says which
 * Redis, and where this process is. From then on, Redis going away is said once (and when it is
 * back), not once per connection and reconnect attempt: `outage` is the logger's divert.
 */
async function openAsRole(role: string, config: Config, opts: RoleOptions, log: Logger, outage: RedisOutage) {
  const autostart = opts.managedRedis === true ? true : (config.redis.managed.autostart ?? false);
  const opened = await openRedis(config, undefined, { autostart, role });
  stderr(`${role}: Redis ${describeRedis(opened.resolved)} · prefix "${config.redis.prefix}" · host ${hostName()} · pid ${process.pid}`);
  outage.start({ log, client: opened.redis, url: opened.resolved.url });
  return opened;
}

/**
 * the exit code when a second signal ends the process at once: the signal's (128 + its number);
 * the launcher going away during a shutdown ends it as interrupted
 */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/** how long a clean stop may take before the process exits anyway (1) */
const STOP_WITHIN_MS = 10_000;

function untilShutdown(close: () => Promise<void>, log: { info: (o: object, m: string) => void }, outage: RedisOutage): Promise<void> {
  return new Promise((resolve) => {
    let closing = false;
    const stop = (why: string): void => {
      if (closing) {
        process.exit(SIGNAL_EXIT[why] ?? 130);
      }
      closing = true;
      log.info({ why }, "shutting down");
      // a clean stop writes to Redis (the heartbeat's goodbye, the jobs in hand): while it is away,
      // say at once that the stop waits for it, for how long, and what then — not 10 s of silence
      const away = outage.awayNow();
      if (away) {
        const s = Math.round((Date.now() - away.since) / 1000);
        stderr(`stopping while ${away.where} is unreachable (for ${s} s): the clean stop waits for it up to ${STOP_WITHIN_MS / 1000} s, then exits 1${why === "SIGINT" ? "; Ctrl-C again quits at once" : why === "SIGTERM" ? "; another SIGTERM quits at once" : ""}`);
      }
      const hard = setTimeout(() => {
        const still = outage.awayNow();
        stderr(`could not stop cleanly within ${STOP_WITHIN_MS / 1000} s${still ? ` (${still.where} is unreachable)` : ""}: exiting 1; a job this process held is taken up again once its lock lapses`);
        process.exit(1);
      }, STOP_WITHIN_MS);
      hard.unref();
      // and the stop begins once Redis answers: a BullMQ worker closed while its connections are
      // reconnecting waits for an 'end' event that never comes, even after Redis is back (bullmq#4656)
      outage.untilBack().then(close).finally(() => {
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
    if (process.send) {
      process.on("disconnect", () => stop("launcher went away"));
      // it may have gone while this process was starting (after the configuration came, before
      // this listener): no event will come then
      if (!process.connected) stop("launcher went away");
    }
  });
}

export function managerCommand(): Command {
  const cmd = new Command("manager").description(
    "run a manager: writes stories and personas, drives the turns of every conversation in this Redis prefix",
  );
  cmd.option("--managed-redis", MANAGED_HELP);
  addCommonOptions(cmd);
  cmd.addHelpText("after", ROLE_HELP);
  return cmd.action(async (opts: RoleOptions) => {
    const config = loadConfig(opts, { handed: await receiveConfig() });
    const outage = new RedisOutage();
    const log = createLogger({ level: config.log.level, file: config.log.file, role: "manager", divert: outage.divert });
    const { redis } = await openAsRole("manager", config, opts, log, outage);
    const handle = await startManager({ config, redis, log });
    if (!process.send) stderr(`manager ready (prefix "${config.redis.prefix}", pid ${process.pid}); Ctrl-C to stop`);
    await untilShutdown(async () => {
      await handle.close();
      outage.stop();
      redis.disconnect();
    }, log, outage);
  });
}

interface WorkerOptions extends RoleOptions {
  pool: string;
  concurrency?: number;
}

export function workerCommand(): Command {
  const cmd = new Command("worker")
    .description("run a worker: generates the turns of one pool's agents with their LLMs (stateless; run any number, anywhere)")
    .requiredOption("--pool <name>", "the pool to serve (an agent's `pool`, by default its id)")
    .option("--concurrency <n>", "turns generated at once by this process", positiveInt("--concurrency"))
    .option("--managed-redis", MANAGED_HELP);
  addCommonOptions(cmd);
  cmd.addHelpText("after", ROLE_HELP);
  return cmd.action(async (opts: WorkerOptions) => {
    if (!isSafeId(opts.pool)) throw new UsageError(`invalid --pool "${opts.pool}"`, "use letters, digits, '_', '.' or '-'");
    const config = loadConfig(opts, { handed: await receiveConfig() });
    const outage = new RedisOutage();
    const log = createLogger({ level: config.log.level, file: config.log.file, role: `worker ${opts.pool}`, divert: outage.divert });
    const { redis } = await openAsRole("worker", config, opts, log, outage);
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
      outage.stop();
      redis.disconnect();
    }, log, outage);
  });
}
