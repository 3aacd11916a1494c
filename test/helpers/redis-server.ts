/**
 * A real, throwaway redis-server for tests: a child process on a free port, bound to
 * 127.0.0.1, with its data in a fresh temp dir. Never leaves orphans: every server is
 * killed (and its dir removed) by stop(), on process exit, and, if this process is killed
 * outright, by a tiny `sh` watchdog that notices its stdin pipe closing.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";

export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  /** kills the server and removes its dir; idempotent */
  stop(): Promise<void>;
  /** SHUTDOWN (so the AOF is flushed) unless it is down already, then start again on the same port and dir */
  restart(): Promise<void>;
  /** SHUTDOWN NOSAVE, as an outage (the append-only file keeps what was written, if on); resolves once the process is gone; restart() brings it back */
  shutdown(): Promise<void>;
  pid(): number;
}

interface Running {
  server: ChildProcess;
  watchdog: ChildProcess;
  output: string[];
}

const READY_TIMEOUT_MS = 5_000;
const live = new Set<{ running: Running | null; dir: string }>();
let exitHookInstalled = false;

export async function getFreePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.unref();
    probe.once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? done(address.port) : fail(new Error("no port"))));
    });
  });
}

/** `extraArgs`: more redis-server options (e.g. TLS on a second port; the plain port stays for PING) */
export async function startTestRedis(opts: { appendonly?: boolean; extraArgs?: string[] } = {}): Promise<TestRedis> {
  installExitHook();
  const appendonly = opts.appendonly ?? true;
  const dir = mkdtempSync(join(tmpdir(), "dialogue-test-redis-"));
  const entry: { running: Running | null; dir: string } = { running: null, dir };
  live.add(entry);

  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await getFreePort();
    try {
      entry.running = await launch(port, dir, appendonly, opts.extraArgs ?? []);
      break;
    } catch (error) {
      // Another process may have taken the port between getFreePort() and the bind.
      if (attempt >= 3) {
        live.delete(entry);
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }

  const url = `redis://127.0.0.1:${port}`;
  return {
    url,
    port,
    dir,
    pid: () => entry.running?.server.pid ?? -1,
    async stop() {
      if (entry.running) await kill(entry.running);
      entry.running = null;
      live.delete(entry);
      rmSync(dir, { recursive: true, force: true });
    },
    async shutdown() {
      if (!entry.running) return;
      const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on("error", () => {});
      if (await client.connect().then(() => true, () => false)) await client.call("SHUTDOWN", "NOSAVE").catch(() => {});
      client.disconnect();
      await exited(entry.running.server, READY_TIMEOUT_MS);
    },
    async restart() {
      if (!live.has(entry)) throw new Error("restart() after stop()");
      if (entry.running) {
        const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        client.on("error", () => {});
        // a server already shut down (a test stopping Redis itself) is only started again
        if (await client.connect().then(() => true, () => false)) {
          // SHUTDOWN closes the connection instead of replying.
          await client.call("SHUTDOWN").catch(() => {});
        }
        client.disconnect();
        await exited(entry.running.server, READY_TIMEOUT_MS);
        await kill(entry.running);
      }
      entry.running = null;
      entry.running = await launch(port, dir, appendonly, opts.extraArgs ?? []);
    },
  };
}

async function launch(port: number, dir: string, appendonly: boolean, extraArgs: string[]): Promise<Running> {
  const server = spawn(
    "redis-server",
    [
      "--port", String(port),
      "--bind", "127.0.0.1",
      "--dir", dir,
      "--appendonly", appendonly ? "yes" : "no",
      "--save", "",
      "--daemonize", "no",
      "--protected-mode", "yes",
      "--logfile", "",
      ...extraArgs,
    ],
    { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
  );
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    output.splice(0, Math.max(0, output.length - 20));
  };
  server.stdout?.on("data", keep);
  server.stderr?.on("data", keep);
  if (server.pid === undefined) {
    const error = await new Promise<Error>((done) => server.once("error", done));
    throw new Error(`could not run redis-server: ${error.message}`);
  }
  server.once("error", (error) => output.push(String(error)));

  // If this process dies without running its exit hook, the pipe closes and sh kills the server.
  const watchdog = spawn("/bin/sh", ["-c", 'read _ ; kill -9 "$0" 2>/dev/null; rm -rf "$1"', String(server.pid), dir], {
    stdio: ["pipe", "ignore", "ignore"],
  });
  // Neither child keeps this process alive; the exit hook cleans up if nobody called stop().
  for (const handle of [server, watchdog, server.stdout, server.stderr, watchdog.stdin]) unrefHandle(handle);
  const running: Running = { server, watchdog, output };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (server.exitCode !== null || server.signalCode !== null || server.pid === undefined) {
      await kill(running);
      throw new Error(`redis-server on port ${port} exited early: ${output.slice(-5).join(" | ")}`);
    }
    if (await answersPing(port)) return running;
    if (Date.now() > deadline) {
      await kill(running);
      throw new Error(`redis-server on port ${port} did not answer PING within ${READY_TIMEOUT_MS} ms: ${output.slice(-5).join(" | ")}`);
    }
    await sleep(50);
  }
}

async function answersPing(port: number): Promise<boolean> {
  const client = new Redis({
    host: "127.0.0.1",
    port,
    lazyConnect: true,
    connectTimeout: 500,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function kill({ server, watchdog }: Running): Promise<void> {
  watchdog.kill("SIGKILL");
  if (server.exitCode === null && server.signalCode === null) {
    server.kill("SIGKILL");
    await exited(server, READY_TIMEOUT_MS);
  }
}

function exited(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(done, timeoutMs);
    child.once("exit", () => (clearTimeout(timer), done()));
  });
}

/** Child processes and their stdio pipes (net.Socket at runtime, typed as plain streams). */
function unrefHandle(handle: unknown): void {
  const unref = (handle as { unref?: unknown } | null)?.unref;
  if (typeof unref === "function") unref.call(handle);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const entry of live) {
      if (entry.running) {
        entry.running.watchdog.kill("SIGKILL");
        entry.running.server.kill("SIGKILL");
      }
      rmSync(entry.dir, { recursive: true, force: true });
    }
  });
}
