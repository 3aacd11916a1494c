/**
 * What the commands that read retained conversations share: opening the store, finding a
 * conversation by id (a malformed id exits 2, an unknown one exits 3), and writing to stdout.
 */
import { NotFoundError, UsageError } from "../errors/index.js";
import { isSafeId } from "../protocol/keys.js";
import type { ConversationRecord } from "../protocol/record.js";
import { redactUrl } from "../logger.js";
import { Store } from "../redis/store.js";
import type { Config } from "../config/schema.js";
import { loadConfig, openRedis, stderr, type CommonOptions } from "./common.js";
import { reachFlags } from "./reach.js";

export const out = (s: string): void => {
  process.stdout.write(s.endsWith("\n") ? s : `${s}\n`);
};

/** the width of the terminal stdout is (wide tables are cut to it), or undefined when stdout is a pipe or a file */
export const terminalWidth = (): number | undefined => (process.stdout.isTTY && process.stdout.columns > 0 ? Math.max(80, process.stdout.columns) : undefined);

export interface OpenStore {
  store: Store;
  config: Config;
  prefix: string;
  /** the Redis URL, its password redacted */
  url: string;
  /** what a command printed for the user needs to reach these runs (--prefix, --redis-url: reach.ts) */
  reach: string;
  close: () => void;
}

export async function openStore(opts: CommonOptions): Promise<OpenStore> {
  const config = loadConfig(opts);
  const { redis, resolved } = await openRedis(config, stderr);
  const store = new Store(redis, config.redis.prefix, { leaseMs: config.queues.lock_duration_ms });
  return { store, config, prefix: config.redis.prefix, url: redactUrl(resolved.url), reach: reachFlags(config), close: () => redis.disconnect() };
}

export function checkId(id: string): void {
  if (!isSafeId(id)) throw new UsageError(`"${id}" is not a conversation id`, "ids look like 20261121-143005-k3f9a; see dialogue list");
}

export async function getOrThrow(store: Store, id: string, prefix: string): Promise<ConversationRecord> {
  checkId(id);
  const rec = await store.get(id);
  if (!rec) throw new NotFoundError(`no conversation ${id} under prefix "${prefix}"`, "see dialogue list (or pass the --prefix it ran with)");
  return rec;
}
