/**
 * The child processes `dialogue run` starts (one manager, one worker per pool): spawned with an
 * IPC channel so they exit when the launcher dies (no orphans), restarted with backoff when they
 * crash, and stopped with SIGTERM then SIGKILL at the end.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const CLI_BIN = fileURLToPath(new URL("../../bin/dialogue.js", import.meta.url));

export interface ChildSpec {
  name: string;
  args: string[];
}

interface Running {
  spec: ChildSpec;
  proc: ChildProcess;
  /** times of this child's restarts (epoch ms), for the per-minute limit */
  restarts: number[];
  stderr: string[];
}

export interface SupervisorOptions {
  env: NodeJS.ProcessEnv;
  say: (s: string) => void;
  /** restarts allowed per child within any 60 s; @defaultValue 10 */
  maxRestartsPerMinute?: number;
  /** called when a child crashes more often than that */
  onGiveUp?: (name: string, lastError: string) => void;
}

export class Supervisor {
  private readonly children = new Map<string, Running>();
  private stopping = false;

  constructor(private readonly opts: SupervisorOptions) {}

  start(spec: ChildSpec, restarts: number[] = []): void {
    const proc = spawn(process.execPath, [CLI_BIN, ...spec.args], {
      env: this.opts.env,
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    const running: Running = { spec, proc, restarts, stderr: [] };
    this.children.set(spec.name, running);
    proc.stderr?.setEncoding("utf8");
    proc.stderr?.on("data", (d: string) => {
      running.stderr.push(...d.split("\n").filter(Boolean));
      if (running.stderr.length > 20) running.stderr.splice(0, running.stderr.length - 20);
    });
    proc.on("error", (err) => running.stderr.push(err.message));
    proc.on("exit", (code, signal) => {
      if (this.stopping || this.children.get(spec.name) !== running) return;
      const how = signal ?? `exit code ${code}`;
      const last = running.stderr.at(-1) ?? "";
      const max = this.opts.maxRestartsPerMinute ?? 10;
      const now = Date.now();
      const recent = running.restarts.filter((t) => now - t < 60_000);
      if (recent.length >= max) {
        this.opts.say(`${spec.name} (pid ${proc.pid}) exited (${how}) after ${max} restarts within a minute; giving up${last ? `: ${last}` : ""}`);
        this.opts.onGiveUp?.(spec.name, last || how);
        return;
      }
      const delay = Math.min(250 * 2 ** recent.length, 2000);
      this.opts.say(`${spec.name} (pid ${proc.pid}) exited (${how}); restarting in ${delay} ms (${recent.length + 1} of at most ${max} a minute)`);
      setTimeout(() => {
        if (!this.stopping) this.start(spec, [...recent, Date.now()]);
      }, delay);
    });
  }

  pids(): Record<string, number | undefined> {
    return Object.fromEntries([...this.children.entries()].map(([k, v]) => [k, v.proc.pid]));
  }

  /** SIGTERM, then SIGKILL after `graceMs` */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    const all = [...this.children.values()].map((c) => c.proc).filter((p) => p.exitCode === null && p.signalCode === null);
    await Promise.all(
      all.map(
        (p) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(() => p.kill("SIGKILL"), graceMs);
            p.once("exit", () => {
              clearTimeout(t);
              resolve();
            });
            p.kill("SIGTERM");
          }),
      ),
    );
  }

  killNow(): void {
    this.stopping = true;
    for (const c of this.children.values()) c.proc.kill("SIGKILL");
  }
}
