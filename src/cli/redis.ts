/**
 * `dialogue redis status|stop`: the managed local redis-server.
 */
import { Command } from "commander";
import { stopManagedRedis, ensureManagedRedis, defaultDataDir } from "../redis/managed.js";
import { addCommonOptions, loadConfig, type CommonOptions } from "./common.js";

export function redisCommand(): Command {
  const cmd = new Command("redis").description("the managed local redis-server (used when no Redis is configured)");
  const status = new Command("start")
    .description("start it (or report the running one) and print its URL")
    .action(async (_o: unknown, c: Command) => {
      const config = loadConfig(c.optsWithGlobals() as CommonOptions);
      const m = await ensureManagedRedis({ port: config.redis.managed.port, dataDir: config.redis.managed.data_dir });
      process.stdout.write(`${m.url} (pid ${m.pid}, ${m.started ? "started now" : "already running"}; data in ${m.dataDir})\n`);
    });
  const stop = new Command("stop").description("shut it down (data is saved; it starts again on the next command)").action(async (_o: unknown, c: Command) => {
    const config = loadConfig(c.optsWithGlobals() as CommonOptions);
    const dir = config.redis.managed.data_dir ?? defaultDataDir();
    const was = await stopManagedRedis({ dataDir: dir });
    process.stdout.write(was ? `stopped the managed redis-server (data kept in ${dir})\n` : `no managed redis-server is running (data dir ${dir})\n`);
  });
  addCommonOptions(cmd);
  return cmd.addCommand(status).addCommand(stop);
}
