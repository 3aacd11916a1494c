/**
 * What every route plugin of `dialogue serve` is given: the store and queues over the one Redis
 * connection, the configuration runs are started from, the live feeds, and the options.
 */
import type { RedisClient } from "../redis/cluster.js";
import type { LoadOptions } from "../config/load.js";
import type { Config } from "../config/schema.js";
import type { Logger } from "../logger.js";
import type { Queues } from "../queues/index.js";
import type { Store } from "../redis/store.js";
import type { Hub } from "./live/hub.js";
import type { PresenceWatch } from "./live/presence-watch.js";

export interface ServeOptions {
  /** @defaultValue 8080 */
  port: number;
  /** @defaultValue "127.0.0.1" */
  host: string;
  /** required for every request that changes something, and for every request when `host` is not a loopback address */
  token: string;
  /** bull-board may retry, promote, clean and remove jobs; @defaultValue false (read-only) */
  queuesWritable: boolean;
  /** the largest request body, in bytes; @defaultValue 262144 */
  bodyLimit: number;
}

export interface ServerContext {
  redis: RedisClient;
  store: Store;
  queues: Queues;
  /** the server's own configuration (runs it starts are layered over it) */
  config: Config;
  /** how the server's configuration was loaded, so a request's is loaded the same way */
  loadOptions: LoadOptions;
  hub: Hub;
  /** the heartbeats, read once for every live page */
  presence: PresenceWatch;
  log: Logger;
  options: ServeOptions;
}

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}
