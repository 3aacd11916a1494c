/**
 * Starting and stopping the web server: one Redis connection (the store, the queues, health), the
 * live feeds, Fastify listening on host:port. `close()` ends the event streams, stops the feeds,
 * closes the server and the connection.
 */
import type { RedisClient } from "../redis/cluster.js";
import type { LoadOptions } from "../config/load.js";
import type { Config } from "../config/schema.js";
import type { Logger } from "../logger.js";
import { Queues } from "../queues/index.js";
import { Store } from "../redis/store.js";
import { buildApp } from "./app.js";
import type { ServeOptions } from "./context.js";
import { Hub } from "./live/hub.js";
import { PresenceWatch } from "./live/presence-watch.js";

export interface Running {
  /** the address Fastify says it listens on (for 0.0.0.0, a loopback one: see addresses.ts) */
  url: string;
  /** the port it listens on (the one asked for, or the one given for port 0) */
  port: number;
  close(): Promise<void>;
}

export async function startServer(args: { config: Config; loadOptions: LoadOptions; redis: RedisClient; log: Logger; options: ServeOptions }): Promise<Running> {
  const { config, redis } = args;
  const store = new Store(redis, config.redis.prefix);
  const queues = new Queues(redis, config.redis.prefix, config.queues);
  const hub = new Hub(store);
  const presence = new PresenceWatch(redis, store.keys);
  const { app } = await buildApp({ ...args, store, queues, hub, presence });
  const address = await app.listen({ port: args.options.port, host: args.options.host });
  const bound = app.server.address();
  return {
    url: address,
    port: typeof bound === "object" && bound !== null ? bound.port : args.options.port,
    close: async () => {
      await app.close();
      await queues.close();
    },
  };
}
