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
  restarts: number;
  stderr: string[];
}

export interface SupervisorOptions {
  env: NodeJS.ProcessEnv;
  say: (s: string) => void;
  /** @defaultValue 5 */
  maxRestarts?: number;
  /** called when a child has crashed more than maxRestarts times */
  onGiveUp?: (name: string, lastError: string) => void;
}

export class Supervisor {
  private readonly children = new Map<string, Running>();
  private stopping = false;

  constructor(private readonly opts: SupervisorOptions) {}

  start(spec: ChildSpec, restarts = 0): void {
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
      const max = this.opts.maxRestarts ?? 5;
      if (running.restarts >= max) {
        this.opts.say(`${spec.name} (pid ${proc.pid}) exited (${how}) and was restarted ${max} times already; giving up${last ? `: ${last}` : ""}`);
        this.opts.onGiveUp?.(spec.name, last || how);
        return;
      }
      const delay = Math.min(250 * 2 ** running.restarts, 4000);
      this.opts.say(`${spec.name} (pid ${proc.pid}) exited (${how}); restarting in ${delay} ms (${running.restarts + 1}/${max})`);
      setTimeout(() => {
        if (!this.stopping) this.start(spec, running.restarts + 1);
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
