/**
 * A managed local redis-server, for machines where the user configured no Redis and none
 * answers on 127.0.0.1:6379.
 *
 * Reads and writes files in the data dir (config `redis.managed.data_dir`):
 *   managed.json   { port, pid, url, started_at } of the server this module started
 *   managed.lock   held while starting or stopping, so concurrent commands start one server
 *   redis.pid, redis.log, appendonlydir/, dump.rdb   written by redis-server itself
 * Talks to the server only over raw RESP on 127.0.0.1 (PING, CONFIG GET dir, INFO server,
 * SHUTDOWN), every exchange bounded by a timeout, so nothing here can hang.
 * The server is daemonized: it outlives the Node process, and later commands reuse it.
 */
import { spawn } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { mkdir, open, readFile, realpath, rename, stat, unlink, writeFile } from "node:fs/promises";
import { createConnection } from "node:net";
import { homedir } from "node:os";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DialogueError } from "../errors/index.js";

export interface ManagedRedisOptions {
  /** @defaultValue $XDG_DATA_HOME/dialogue-llm/redis, or ~/.local/share/dialogue-llm/redis */
  dataDir?: string | null;
  /** @defaultValue 6479 */
  port: number;
  /** where to find the binary; @defaultValue "redis-server" on PATH */
  redisServerBin?: string;
  /** start one when none runs; false: only reuse a running one (else a ManagedRedisError); @defaultValue true */
  start?: boolean;
}

export interface ManagedRedis {
  url: string;
  port: number;
  dataDir: string;
  pid: number;
  /** false = reused a server that was already running */
  started: boolean;
}

/** Exit code 1 (a runtime failure); the message is one line and says how to install it. */
export class RedisServerMissingError extends DialogueError {
  constructor() {
    super(
      "redis-server is not installed: install it (Debian/Ubuntu: sudo apt-get install -y redis-server; " +
        "macOS: brew install redis) or run `docker compose up -d redis` and set REDIS_URL",
    );
  }
}

/** The managed server could not be started or stopped (exit code 1); the message is one line. */
export class ManagedRedisError extends DialogueError {}

interface StateFile {
  port: number;
  pid: number;
  url: string;
  started_at: string;
}

const HOST = "127.0.0.1";
const PROBE_TIMEOUT_MS = 500;
const START_TIMEOUT_MS = 5_000;
const STOP_TIMEOUT_MS = 10_000;
const LOCK_TIMEOUT_MS = 15_000;

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env["XDG_DATA_HOME"];
  const base = xdg && isAbsolute(xdg) ? xdg : join(env["HOME"] || homedir(), ".local", "share");
  return join(base, "dialogue-llm", "redis");
}

export function findRedisServer(bin = "redis-server"): string | null {
  if (bin.includes("/")) return isExecutableFile(resolve(bin)) ? resolve(bin) : null;
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = resolve(dir, bin);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

export async function ensureManagedRedis(opts: ManagedRedisOptions): Promise<ManagedRedis> {
  if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) {
    throw new ManagedRedisError(`redis.managed.port must be a port number (1-65535), got ${opts.port}`);
  }
  const dataDir = resolve(opts.dataDir ?? defaultDataDir());
  await mkdir(dataDir, { recursive: true });
  const realDir = await realpath(dataDir);

  return withLock(dataDir, async () => {
    // Ours already running: on the port the state file names, or (state file lost) on the
    // configured port. A server still loading its AOF is waited for, never started twice.
    const state = await readState(dataDir);
    const probes = new Map<number, Probe>();
    for (const port of new Set([state?.port ?? opts.port, opts.port])) {
      const probe = await inspect(port);
      probes.set(port, probe);
      if (probe.kind !== "redis" || probe.dir !== realDir || probe.pid === null) continue;
      const pid = probe.ready ? probe.pid : await waitUntilReady(port, realDir, dataDir);
      if (state?.port === port && state.pid === pid) return { url: state.url, port, pid, dataDir, started: false };
      return { ...(await writeState(dataDir, port, pid)), dataDir, started: false };
    }

    const probe = probes.get(opts.port) ?? (await inspect(opts.port));
    if (probe.kind === "redis") {
      throw new ManagedRedisError(
        `port ${opts.port} is in use by another Redis (not the managed one in ${dataDir}): ` +
          `set redis.managed.port to a free port, or set redis.url (REDIS_URL) to use that server`,
      );
    }
    if (probe.kind === "other") {
      throw new ManagedRedisError(
        `port ${opts.port} is in use by something that is not Redis: set redis.managed.port to a free port`,
      );
    }

    if (opts.start === false) throw new ManagedRedisError(`no managed redis-server runs on port ${opts.port} (data dir ${dataDir})`);
    const bin = findRedisServer(opts.redisServerBin);
    if (!bin) throw new RedisServerMissingError();
    await launch(bin, opts.port, dataDir);
    const pid = await waitUntilReady(opts.port, realDir, dataDir);
    return { ...(await writeState(dataDir, opts.port, pid)), dataDir, started: true };
  });
}

export async function stopManagedRedis(opts: { dataDir?: string | null }): Promise<boolean> {
  const dataDir = resolve(opts.dataDir ?? defaultDataDir());
  const state = await readState(dataDir);
  if (!state) return false;
  const realDir = await realpath(dataDir);

  return withLock(dataDir, async () => {
    const probe = await inspect(state.port);
    if (probe.kind !== "redis" || probe.dir !== realDir) {
      await unlink(join(dataDir, "managed.json")).catch(() => {});
      return false;
    }
    const pid = probe.pid ?? state.pid;
    const reply = await exchange(state.port, ["SHUTDOWN"], STOP_TIMEOUT_MS);
    if (reply.text.startsWith("-")) {
      throw new ManagedRedisError(`redis on port ${state.port} refused to shut down: ${firstLine(reply.text)}`);
    }
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (isAlive(pid)) {
      if (Date.now() > deadline) {
        throw new ManagedRedisError(`redis (pid ${pid}) did not exit within ${STOP_TIMEOUT_MS / 1000} s of SHUTDOWN`);
      }
      await sleep(50);
    }
    await unlink(join(dataDir, "managed.json")).catch(() => {});
    return true;
  });
}

// --- starting ---------------------------------------------------------------------------

async function launch(bin: string, port: number, dataDir: string): Promise<void> {
  const args = [
    "--port", String(port),
    "--bind", HOST,
    "--dir", dataDir,
    "--appendonly", "yes",
    "--appendfsync", "everysec",
    "--save", "60", "1000",
    "--daemonize", "yes",
    "--pidfile", join(dataDir, "redis.pid"),
    "--logfile", join(dataDir, "redis.log"),
    "--maxmemory-policy", "noeviction",
    "--protected-mode", "yes",
  ];
  // With --daemonize the launched process forks the server and exits at once; the server
  // detaches from us (setsid, stdio to /dev/null), so it outlives this process.
  const child = spawn(bin, args, { cwd: dataDir, detached: true, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((done, fail) => {
    const timer = setTimeout(() => done(null), START_TIMEOUT_MS);
    child.once("error", (error) => (clearTimeout(timer), fail(error)));
    child.once("exit", (exitCode) => (clearTimeout(timer), done(exitCode)));
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") throw new RedisServerMissingError();
    throw new ManagedRedisError(`could not run ${bin}: ${error.message}`);
  });
  child.unref();
  if (code !== 0 && code !== null) {
    const why = oneLine(stderr) || (await logTail(dataDir)) || `exit code ${code}`;
    throw new ManagedRedisError(`redis-server failed to start on port ${port}: ${why}`);
  }
}

/** Waits (bounded) until the server serving `realDir` answers PING on `port`; returns its pid. */
async function waitUntilReady(port: number, realDir: string, dataDir: string): Promise<number> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const probe = await inspect(port);
    if (probe.kind === "redis" && probe.ready && probe.dir === realDir && probe.pid !== null) return probe.pid;
    if (Date.now() > deadline) {
      const log = await logTail(dataDir);
      throw new ManagedRedisError(
        `redis-server did not answer on port ${port} within ${START_TIMEOUT_MS / 1000} s` +
          (log ? `; ${join(dataDir, "redis.log")} ends: ${log}` : ""),
      );
    }
    await sleep(100);
  }
}

async function writeState(dataDir: string, port: number, pid: number): Promise<Omit<ManagedRedis, "dataDir" | "started">> {
  const state: StateFile = { port, pid, url: `redis://${HOST}:${port}`, started_at: new Date().toISOString() };
  const file = join(dataDir, "managed.json");
  await writeFile(`${file}.${process.pid}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  await rename(`${file}.${process.pid}.tmp`, file);
  return { url: state.url, port, pid };
}

async function readState(dataDir: string): Promise<StateFile | null> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(dataDir, "managed.json"), "utf8"));
    if (typeof parsed !== "object" || parsed === null) return null;
    const { port, pid, url, started_at } = parsed as Record<string, unknown>;
    if (typeof port !== "number" || typeof pid !== "number" || typeof url !== "string") return null;
    return { port, pid, url, started_at: String(started_at) };
  } catch {
    return null;
  }
}

// --- talking RESP over a raw socket -----------------------------------------------------

type Probe =
  | { kind: "free" }
  | { kind: "other" }
  | { kind: "redis"; ready: boolean; dir: string | null; pid: number | null };

/** What listens on 127.0.0.1:port: nothing, a Redis (which dir, which pid, ready or not), or something else. */
async function inspect(port: number): Promise<Probe> {
  const reply = await exchange(port, ["PING", "CONFIG GET dir", "INFO server", "QUIT"], PROBE_TIMEOUT_MS);
  if (!reply.connected) return { kind: "free" };
  const { text } = reply;
  const ready = text.startsWith("+PONG");
  if (!ready && !/^-(LOADING|NOAUTH|BUSY|MASTERDOWN)/.test(text)) return { kind: "other" };
  const dir = /\r\n\$3\r\ndir\r\n\$\d+\r\n([^\r\n]*)\r\n/.exec(text)?.[1] ?? null;
  const pid = /\r\nprocess_id:(\d+)\r\n/.exec(text)?.[1];
  return { kind: "redis", ready, dir, pid: pid ? Number(pid) : null };
}

/**
 * Sends inline commands and collects the replies until the server closes the connection
 * (QUIT or SHUTDOWN) or `timeoutMs` passes. Never rejects.
 */
function exchange(port: number, commands: string[], timeoutMs: number): Promise<{ connected: boolean; text: string }> {
  return new Promise((done) => {
    let connected = false;
    let text = "";
    const socket = createConnection({ host: HOST, port });
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      done({ connected, text });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.setEncoding("utf8");
    socket.once("connect", () => {
      connected = true;
      socket.write(commands.map((command) => `${command}\r\n`).join(""));
    });
    socket.on("data", (chunk: string) => (text += chunk));
    socket.once("error", finish);
    socket.once("close", finish);
  });
}

// --- small helpers ----------------------------------------------------------------------

/** Runs `fn` holding `<dataDir>/managed.lock`; a lock whose holder died is taken over. */
async function withLock<T>(dataDir: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(dataDir, "managed.lock");
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      const handle = await open(lock, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number(await readFile(lock, "utf8").catch(() => ""));
      const age = Date.now() - ((await stat(lock).catch(() => null))?.mtimeMs ?? Date.now());
      if ((holder > 0 && !isAlive(holder)) || age > LOCK_TIMEOUT_MS) {
        await unlink(lock).catch(() => {});
        continue;
      }
      if (Date.now() > deadline) {
        throw new ManagedRedisError(`${lock} is held by pid ${holder || "?"}; remove it if that process is gone`);
      }
      await sleep(50);
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(lock).catch(() => {});
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

async function logTail(dataDir: string, lines = 5): Promise<string> {
  const log = await readFile(join(dataDir, "redis.log"), "utf8").catch(() => "");
  return oneLine(log.split("\n").filter((line) => line.trim()).slice(-lines).join("\n"));
}

function oneLine(text: string): string {
  return text.trim().split(/\r?\n/).map((line) => line.trim()).filter(Boolean).join(" | ");
}

function firstLine(text: string): string {
  return text.split(/\r?\n/)[0]?.replace(/^-/, "") ?? "";
}
