/**
 * Processes for the bench: the real CLI (bin/dialogue.js) and the bench's own helper scripts
 * (compiled next to this file), their CPU time read from /proc, and one-shot commands measured
 * by a small wrapper (procs/measure.ts) that reports the process's own CPU time and peak RSS.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** the repository: .bench-build/bench/lib/ is three levels down */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const BIN = path.join(ROOT, "bin", "dialogue.js");
/** compiled helper scripts (bench/procs/*.ts) */
export const PROCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "procs");

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const p of live) p.kill("SIGKILL");
});

export interface Spawned {
  proc: ChildProcess;
  pid: number;
  out: () => string;
  err: () => string;
  /** resolves with the exit code when the process exits */
  exit: Promise<number | null>;
}

/** `node [nodeArgs] <script> ...args`, stdout and stderr collected */
export function spawnNode(script: string, args: string[], env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Spawned {
  const proc = spawn(process.execPath, [...nodeArgs, script, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  live.add(proc);
  let out = "";
  let err = "";
  proc.stdout?.setEncoding("utf8").on("data", (d: string) => (out += d));
  proc.stderr?.setEncoding("utf8").on("data", (d: string) => (err = (err + d).slice(-20_000)));
  const exit = new Promise<number | null>((resolve) => {
    proc.once("exit", (code) => {
      live.delete(proc);
      resolve(code);
    });
  });
  if (proc.pid === undefined) throw new Error(`could not start ${script}`);
  return { proc, pid: proc.pid, out: () => out, err: () => err, exit };
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Spawned {
  return spawnNode(BIN, args, env, nodeArgs);
}

export function spawnProc(name: string, args: string[], env: NodeJS.ProcessEnv): Spawned {
  return spawnNode(path.join(PROCS, `${name}.js`), args, env);
}

/** waits until `p` printed `word` on stdout (or stderr) */
export async function readyLine(p: Spawned, word = "ready", timeoutMs = 30_000, on: "stdout" | "stderr" = "stdout"): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(on === "stdout" ? p.out() : p.err()).includes(word)) {
    if (p.proc.exitCode !== null) throw new Error(`process exited (${p.proc.exitCode}) before "${word}": ${p.err().slice(-500)}`);
    if (Date.now() > end) throw new Error(`no "${word}" within ${timeoutMs} ms: ${p.err().slice(-500)}`);
    await sleep(20);
  }
}

export async function stopProc(p: Spawned, graceMs = 10_000): Promise<void> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  p.proc.kill("SIGTERM");
  const t = setTimeout(() => p.proc.kill("SIGKILL"), graceMs);
  await p.exit;
  clearTimeout(t);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux

/**
 * CPU time a process has used so far, in ms; null when it is gone. The sum of its threads'
 * time on a CPU (/proc/<pid>/task/<tid>/schedstat, in ns), else user + system time from
 * /proc/<pid>/stat (in 10 ms ticks, too coarse for short runs).
 */
export function cpuMs(pid: number): number | null {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    if (Number.isFinite(ns) && ns > 0) return ns / 1e6;
  } catch {
    // no schedstat here: the coarser figure below
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(rest[11]) + Number(rest[12])) * TICK_MS;
  } catch {
    return null;
  }
}

/** CPU time of each pid between start() and stop() */
export function cpuMeter(pids: Record<string, number>): { stop(): Record<string, number | null> } {
  const start = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)]));
  return {
    stop: () =>
      Object.fromEntries(
        Object.entries(pids).map(([k, pid]) => {
          const a = start[k];
          const b = cpuMs(pid);
          return [k, a === null || a === undefined || b === null ? null : b - a];
        }),
      ),
  };
}

export interface Measured {
  code: number | null;
  stdout: string;
  stderr: string;
  /** spawn to exit, as the caller saw it */
  wall_ms: number;
  /** the process's own user + system CPU time */
  cpu_ms: number | null;
  /** its peak resident set size */
  max_rss_mb: number | null;
}

/** runs `dialogue <args>` to its end under procs/measure.js, which reports CPU time and peak RSS */
export function runMeasured(args: string[], env: NodeJS.ProcessEnv): Promise<Measured> {
  return measureScript(BIN, args, env);
}

/** runs `node <script> <args>` to its end under procs/measure.js */
export async function measureScript(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<Measured> {
  const dir = mkdtempSync(path.join(tmpdir(), "dialogue-bench-m-"));
  const file = path.join(dir, "usage.json");
  try {
    const t0 = performance.now();
    const p = spawnProc("measure", [file, script, ...args], env);
    const code = await p.exit;
    const wall = performance.now() - t0;
    let usage: { cpu_ms: number; max_rss_kb: number } | null = null;
    try {
      usage = JSON.parse(readFileSync(file, "utf8")) as { cpu_ms: number; max_rss_kb: number };
    } catch {
      usage = null;
    }
    return {
      code,
      stdout: p.out(),
      stderr: p.err(),
      wall_ms: wall,
      cpu_ms: usage?.cpu_ms ?? null,
      max_rss_mb: usage ? usage.max_rss_kb / 1024 : null,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** the environment of a CLI process: this Redis, no stray DIALOGUE_* settings, logs in `logFile` */
export function cliEnv(redisUrl: string, logFile: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: redisUrl, DIALOGUE_LOG_FILE: logFile, ...extra };
  for (const k of Object.keys(env)) if (k.startsWith("DIALOGUE_") && !(k in extra) && k !== "DIALOGUE_LOG_FILE") delete env[k];
  if (!("NODE_OPTIONS" in extra)) delete env.NODE_OPTIONS;
  return env;
}
