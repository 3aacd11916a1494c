/**
 * The child processes `dialogue run` starts (one manager, one worker per pool): spawned with an
 * IPC channel so they exit when the launcher dies (no orphans), restarted with backoff when they
 * crash, and stopped with SIGTERM then SIGKILL at the end.
 *
 * The configuration reaches each child over that IPC channel, not on its command line or in its
 * environment, so a configuration of any size gets through (an environment variable stops at
 * 128 KB: `spawn E2BIG`) and a key in it is never in `ps` or /proc/<pid>/environ: the child asks
 * (`{ type: "config?" }`, see receiveConfig in roles.ts) and the launcher answers
 * (`{ type: "config", config }`), on every start and restart.
 *
 * Restart policy (per child): a child that exits on its own is started again after 250 ms, 500 ms,
 * 1 s, then 2 s (doubling with each restart in the last minute, at most 2 s); after 10 restarts
 * within any 60 s it is given up and `onGiveUp` ends the run. A child that cannot be started at
 * all (the Node binary gone, no processes left) is given up at once.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { DialogueError } from "../errors/index.js";

export const CLI_BIN = fileURLToPath(new URL("../../bin/dialogue.js", import.meta.url));

/** the environment variable telling a child to ask its launcher for the configuration */
export const CONFIG_FROM_ENV = "DIALOGUE_CONFIG_FROM";

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
  /** the configuration every child is handed over IPC when it asks */
  config: Record<string, unknown>;
  say: (s: string) => void;
  /** restarts allowed per child within any 60 s; @defaultValue 10 */
  maxRestartsPerMinute?: number;
  /** called when a child crashes more often than that, or cannot be started again */
  onGiveUp?: (name: string, lastError: string) => void;
}

/** a child process that could not be started (not one that started and then failed) */
export class ChildStartError extends DialogueError {
  constructor(
    readonly child: string,
    readonly reason: Error,
  ) {
    super(`could not start the ${child} process: ${reason.message.split("\n")[0] ?? reason.message}`, 1);
  }
}

/** what a child says on stderr that is not an error: its start-up banner and its "ready" line (roles.ts) */
const NOT_AN_ERROR = [/^(manager|worker): Redis /, /^(manager|worker)\b.* ready \(/, /^Redis: /, /^hint: /, /^\s+at /];
/** an error line: the CLI's `error: …`, or an uncaught exception's `TypeError: …` */
const AN_ERROR = /^(error: |\w*(Error|Exception)\b)/;

/**
 * How a child ended, for the one who gives up on it: its last error line on stderr (not its
 * banner), with how it ended — `error: cannot reach Redis … (exit code 1)` — or, when it said no
 * error, only that: `killed by SIGKILL`, `exited with code 3`.
 */
export function lastWords(stderr: readonly string[], code: number | null, signal: NodeJS.Signals | null): string {
  const how = signal ? `killed by ${signal}` : `exited with code ${code ?? "?"}`;
  const said = stderr.filter((l) => l.trim() !== "" && !NOT_AN_ERROR.some((re) => re.test(l)));
  const error = said.findLast((l) => AN_ERROR.test(l.trim()));
  return error ? `${error.trim()} (${signal ? how : `exit code ${code ?? "?"}`})` : how;
}

const isConfigRequest = (m: unknown): boolean => typeof m === "object" && m !== null && (m as { type?: unknown }).type === "config?";

export class Supervisor {
  private readonly children = new Map<string, Running>();
  private stopping = false;

  constructor(private readonly opts: SupervisorOptions) {}

  /** starts a child; resolves once its process runs, rejects with a ChildStartError when it cannot */
  start(spec: ChildSpec, restarts: number[] = []): Promise<void> {
    let proc: ChildProcess;
    try {
      proc = spawn(process.execPath, [CLI_BIN, ...spec.args], {
        env: { ...this.opts.env, [CONFIG_FROM_ENV]: "ipc" },
        stdio: ["ignore", "ignore", "pipe", "ipc"],
      });
    } catch (err) {
      // thrown at once for some causes (E2BIG, …), emitted as "error" for others (ENOENT, EAGAIN, …)
      return Promise.reject(new ChildStartError(spec.name, err as Error));
    }
    const running: Running = { spec, proc, restarts, stderr: [] };
    this.children.set(spec.name, running);
    proc.on("message", (m) => {
      if (!isConfigRequest(m)) return;
      proc.send({ type: "config", config: this.opts.config }, (err) => {
        if (err) running.stderr.push(`error: could not hand over the configuration: ${err.message}`);
      });
    });
    proc.stderr?.setEncoding("utf8");
    proc.stderr?.on("data", (d: string) => {
      running.stderr.push(...d.split("\n").filter(Boolean));
      if (running.stderr.length > 20) running.stderr.splice(0, running.stderr.length - 20);
    });
    const started = new Promise<void>((resolve, reject) => {
      proc.once("spawn", () => resolve());
      proc.on("error", (err) => {
        running.stderr.push(err.message);
        if (proc.pid === undefined) reject(new ChildStartError(spec.name, err));
      });
    });
    proc.on("exit", (code, signal) => {
      if (this.stopping || this.children.get(spec.name) !== running) return;
      const how = signal ?? `exit code ${code}`;
      const last = lastWords(running.stderr, code, signal);
      const max = this.opts.maxRestartsPerMinute ?? 10;
      const now = Date.now();
      const recent = running.restarts.filter((t) => now - t < 60_000);
      if (recent.length >= max) {
        this.opts.say(`${spec.name} (pid ${proc.pid}) exited (${how}) after ${max} restarts within a minute; giving up: ${last}`);
        this.opts.onGiveUp?.(spec.name, last);
        return;
      }
      const delay = Math.min(250 * 2 ** recent.length, 2000);
      this.opts.say(`${spec.name} (pid ${proc.pid}) exited (${how}); restarting in ${delay} ms (${recent.length + 1} of at most ${max} a minute)`);
      setTimeout(() => {
        if (this.stopping) return;
        this.start(spec, [...recent, Date.now()]).catch((err: unknown) => {
          const why = err instanceof Error ? err.message : String(err);
          this.opts.say(`${why}; giving up`);
          this.opts.onGiveUp?.(spec.name, why);
        });
      }, delay);
    });
    return started;
  }

  pids(): Record<string, number | undefined> {
    return Object.fromEntries([...this.children.entries()].map(([k, v]) => [k, v.proc.pid]));
  }

  /** SIGTERM, then SIGKILL after `graceMs` */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    const all = [...this.children.values()].map((c) => c.proc).filter((p) => p.pid !== undefined && p.exitCode === null && p.signalCode === null);
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

/**
 * In a child started by `dialogue run`: the configuration its launcher hands over (see above), or
 * undefined when this process was not started that way. Rejects when the launcher goes away or
 * does not answer within `timeoutMs`.
 */
export function receiveConfig(timeoutMs = 30_000): Promise<Record<string, unknown> | undefined> {
  const send = process.send?.bind(process);
  if (process.env[CONFIG_FROM_ENV] !== "ipc" || !send) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      process.off("message", onMessage);
      process.off("disconnect", onGone);
    };
    const onMessage = (m: unknown): void => {
      const config = (m as { type?: unknown; config?: unknown } | null)?.config;
      if ((m as { type?: unknown } | null)?.type !== "config" || typeof config !== "object" || config === null) return;
      done();
      resolve(config as Record<string, unknown>);
    };
    const onGone = (): void => {
      done();
      reject(new DialogueError("the launcher went away before handing over the configuration"));
    };
    const timer = setTimeout(() => {
      done();
      reject(new DialogueError(`no configuration from the launcher within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    process.on("message", onMessage);
    process.once("disconnect", onGone);
    send({ type: "config?" });
  });
}
