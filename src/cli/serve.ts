/**
 * `dialogue serve`: the web dashboard and HTTP API over this Redis (src/server/). Thin: parse the
 * options, refuse an unsafe binding, load the configuration, connect, start, and stop cleanly on
 * SIGINT/SIGTERM. The server's modules are loaded only here, after the checks.
 */
import { randomBytes } from "node:crypto";
import { networkInterfaces } from "node:os";
import { Command } from "commander";
import { DialogueError, UsageError } from "../errors/index.js";
import { createLogger, redactUrl } from "../logger.js";
import { addCommonOptions, loadConfig, openRedis, stderr, type CommonOptions } from "./common.js";
import type { LoadOptions } from "../config/load.js";

interface ServeCliOptions extends CommonOptions {
  port: string;
  host: string;
  token?: string;
  queuesWritable?: boolean;
}

const out = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

export function serveCommand(): Command {
  const cmd = new Command("serve")
    .description("a web dashboard and HTTP API over this Redis: runs, live conversations, analyses, comparisons, the queues (bull-board)")
    .option("--port <port>", "port to listen on (0: any free port)", "8080")
    .option("--host <address>", "address to listen on; anything but a loopback address (127.0.0.1, ::1, localhost) needs --token", "127.0.0.1")
    .option("--token <token>", "required for every request that changes something (start, stop, say, queue actions), and for every request off loopback; env DIALOGUE_SERVE_TOKEN (default on loopback: a random one, printed)")
    .option("--queues-writable", "let bull-board retry, promote, clean and remove jobs (read-only by default)");
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  dialogue serve                                  # http://127.0.0.1:8080/ (prints a link with a one-time token)
  DIALOGUE_SERVE_TOKEN=s3cret dialogue serve --host 0.0.0.0 --port 8080   # prints this machine's addresses
  curl -H "Authorization: Bearer s3cret" http://gpu-box:8080/api/conversations
  curl -X POST -H "Authorization: Bearer s3cret" -H "Content-Type: application/json" \\
       -d '{"provider":"simulated","limits":{"max_turns":6}}' http://127.0.0.1:8080/api/conversations
  curl -X POST -H "Authorization: Bearer s3cret" -H "Content-Type: application/json" \\
       -d '{"text":"I would take the early train."}' http://127.0.0.1:8080/api/conversations/<id>/say

Pages: / (runs), /runs/<id> (live, then its analysis; at a person's turn, a box to answer for them, and
one for a narrator's remark), /compare?ids=<id>,<id>, /queues (bull-board).
API: /api/conversations[/<id>[/messages|/analysis|/events|/stop|/say]], /healthz; OpenAPI at /api/openapi.json.
Starting a run needs a manager and workers running against this Redis: dialogue manager, dialogue worker --pool <pool>.`,
  );
  return cmd.action(async (opts: ServeCliOptions) => {
    process.exitCode = await serve(opts);
  });
}

async function serve(opts: ServeCliOptions): Promise<number> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--port must be a port number (0-65535), got "${opts.port}"`);
  const { isLoopback } = await import("../server/context.js");
  const { reachOf } = await import("../server/addresses.js");
  const given = opts.token ?? process.env.DIALOGUE_SERVE_TOKEN ?? "";
  if (!isLoopback(opts.host) && given === "") {
    // one line: what is wrong and the fix
    throw new UsageError(`refusing to listen on ${opts.host} without a token: pass --token <token> or set DIALOGUE_SERVE_TOKEN (every request will need it), or listen on 127.0.0.1`);
  }
  const token = given || randomBytes(18).toString("base64url");
  const overrides: Record<string, unknown> = {};
  if (opts.redisUrl !== undefined) overrides["redis.url"] = opts.redisUrl;
  if (opts.prefix !== undefined) overrides["redis.prefix"] = opts.prefix;
  if (opts.logLevel !== undefined) overrides["log.level"] = opts.logLevel;
  const loadOptions: LoadOptions = { configFile: opts.config, env: process.env, overrides, sets: opts.set ?? [] };
  const config = loadConfig(opts);
  // Fastify's own lines (listening, requests) only from debug on: the command says where it listens
  const level = config.log.level === "info" ? "warn" : config.log.level;
  const log = createLogger({ level, file: config.log.file, role: "serve" });
  const { redis, resolved } = await openRedis(config, stderr);
  const { startServer } = await import("../server/index.js");
  const server = await startServer({
    config: { ...config, redis: { ...config.redis, url: resolved.url } },
    loadOptions: { ...loadOptions, overrides: { ...overrides, "redis.url": resolved.url } },
    redis,
    log,
    options: { port, host: opts.host, token, queuesWritable: Boolean(opts.queuesWritable), bodyLimit: 256 * 1024 },
  }).catch((err: unknown) => {
    redis.disconnect();
    throw listenError(err, opts.host, port);
  });
  await new Promise<void>((resolve) => {
    let closing = false;
    const stop = (sig: NodeJS.Signals): void => {
      if (closing) process.exit(130);
      closing = true;
      log.info({ sig }, "shutting down");
      const hard = setTimeout(() => process.exit(1), 10_000);
      hard.unref();
      void server
        .close()
        .catch((err: unknown) => log.error({ err }, "closing the server failed"))
        .finally(() => {
          clearTimeout(hard);
          redis.disconnect();
          resolve();
        });
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    // on every interface: say so, with the address for this machine and those for the others
    const reach = reachOf(opts.host, server.port, server.url, networkInterfaces());
    const url = reach.local;
    const about = `(Redis ${redactUrl(resolved.url)}, prefix "${config.redis.prefix}"; ready ${Math.round(process.uptime() * 1000)} ms after start)`;
    if (!reach.all) out(`dialogue serve: ${url} ${about}`);
    else {
      out(`dialogue serve: listening on all interfaces (${opts.host}), port ${server.port} ${about}`);
      out(`  on this machine: ${url} · from other machines: ${reach.others.length ? reach.others.join(", ") : "none found (this machine has no address but loopback)"}`);
    }
    out(given ? `  the token is the one you gave (--token / DIALOGUE_SERVE_TOKEN); open ${url}/?token=<token> once in a browser` : `  open ${url}/?token=${token} (this token is needed to start, stop and say things in runs; it changes at every start unless you pass --token)`);
    out(`  API: ${url}/api/openapi.json · queues: ${url}/queues${opts.queuesWritable ? " (writable)" : " (read-only)"} · Ctrl-C to stop`);
  });
  return 0;
}

/** why the server could not listen on `host`:`port`, in one line with what to do; other errors as they are */
export function listenError(err: unknown, host: string, port: number): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  const at = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  if (code === "EADDRINUSE") return new DialogueError(`cannot listen on ${at}: the port is in use (another dialogue serve, or another program)`, 1, "pass another --port (or --port 0 for any free one), or stop what listens there");
  if (code === "EACCES") {
    return port > 0 && port < 1024
      ? new DialogueError(`cannot listen on ${at}: not allowed (ports below 1024 need privileges)`, 1, "pass a --port of 1024 or more")
      : new DialogueError(`cannot listen on ${at}: not allowed on this machine`, 1, "pass another --port, or see what forbids it (a container's or the system's policy)");
  }
  if (code === "EADDRNOTAVAIL") return new DialogueError(`cannot listen on ${at}: this machine has no such address`, 1, "pass a --host this machine has (127.0.0.1 for this machine only, 0.0.0.0 for every interface)");
  return err;
}
