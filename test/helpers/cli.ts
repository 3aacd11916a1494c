/**
 * Running the real CLI (bin/dialogue.js, compiled dist/) as a separate process, the way a user
 * does. Every spawned process is killed when the test file ends.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = path.join(ROOT, "bin", "dialogue.js");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

const live = new Set<ChildProcess>();
afterAll(() => {
  for (const p of live) p.kill("SIGKILL");
});

/** env for a CLI process: the test Redis, no stray configuration from the machine */
export function cliEnv(redisUrl: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: redisUrl, ...extra };
  for (const k of Object.keys(env)) {
    if (k.startsWith("DIALOGUE_") && !(k in extra) && k !== "DIALOGUE_TEST_REDIS_URL") delete env[k];
  }
  return env;
}

/** `ownGroup`: lead a process group of its own, like a command a shell runs (Ctrl-C = SIGINT to the group) */
export function startCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  opts: { ownGroup?: boolean } = {},
): ChildProcess & { out: () => string; err: () => string } {
  const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: Boolean(opts.ownGroup) });
  live.add(p);
  let out = "";
  let err = "";
  p.stdout?.setEncoding("utf8").on("data", (d: string) => (out += d));
  p.stderr?.setEncoding("utf8").on("data", (d: string) => (err += d));
  p.on("exit", () => live.delete(p));
  return Object.assign(p, { out: () => out, err: () => err });
}

export function exited(p: ChildProcess, timeoutMs = 60_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve({ code: p.exitCode, signal: p.signalCode });
    const t = setTimeout(() => reject(new Error(`process ${p.pid} did not exit within ${timeoutMs} ms`)), timeoutMs);
    p.once("exit", (code, signal) => {
      clearTimeout(t);
      resolve({ code, signal });
    });
  });
}

/**
 * what is left in a child's pipe once it has exited: "exit" can come before its output has been
 * read, so a process that wrote its error and exited could seem to have said nothing. Waits for the
 * stream's end (at most 2 s: a grandchild may hold the pipe open).
 */
function drained(s: NodeJS.ReadableStream | null): Promise<void> {
  if (!s || (s as NodeJS.ReadableStream & { readableEnded?: boolean }).readableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, 2000);
    s.once("end", () => {
      clearTimeout(t);
      resolve();
    });
  });
}

export async function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<CliResult> {
  const t0 = Date.now();
  const p = startCli(args, env);
  try {
    const { code, signal } = await exited(p, timeoutMs);
    const ms = Date.now() - t0;
    await Promise.all([drained(p.stdout), drained(p.stderr)]);
    return { code, signal, stdout: p.out(), stderr: p.err(), ms };
  } catch (err) {
    p.kill("SIGKILL");
    throw new Error(`${(err as Error).message}\nstdout:\n${p.out()}\nstderr:\n${p.err()}`);
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** pids of the processes whose parent is `ppid`, with their command lines */
export async function childrenOf(ppid: number): Promise<Array<{ pid: number; args: string }>> {
  const { execFileSync } = await import("node:child_process");
  let out = "";
  try {
    out = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(ppid)], { encoding: "utf8" }).trim();
  } catch {
    return []; // ps exits 1 when there are none
  }
  if (!out) return [];
  return out.split("\n").map((l) => {
    const m = /^\s*(\d+)\s+(.*)$/.exec(l);
    return { pid: Number(m?.[1]), args: m?.[2] ?? "" };
  });
}
