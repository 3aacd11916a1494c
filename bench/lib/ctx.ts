/** What every section of the bench gets: its Redis, a scratch dir, and how big to go. */
export interface Ctx {
  redisUrl: string;
  /** the bench's redis-server, for its CPU time */
  redisPid: number;
  /** scratch directory (logs, the tiny model), removed at the end */
  tmp: string;
  /** the log file of every CLI process the bench starts */
  logFile: string;
  /** tiny sizes: the smoke run of the test suite */
  smoke: boolean;
  /** write CPU profiles (node --cpu-prof) of the product's processes into this directory */
  profileDir: string | null;
  say: (line: string) => void;
}

/**
 * Node options of a product process the bench starts itself: a CPU profile `<name>.cpuprofile`
 * when asked for (Node 20 does not take --cpu-prof from NODE_OPTIONS, so `dialogue run`'s own
 * children cannot be profiled; the throughput section runs its manager and workers directly)
 */
export function profileArgs(ctx: Ctx, name: string): string[] {
  return ctx.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${ctx.profileDir}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
}
