/**
 * A real terminal for end-to-end tests: a tmux server on a socket of its own (`tmux -L`), killed
 * after the test. Commands run under `sh -c` and the pane stays open after they exit (showing
 * "[exit N]"), so what they left on screen can still be read. The environment is the test's, minus
 * whatever would make the TUI behave differently from a user's terminal (CI variables make Ink
 * print only the last frame; stray DIALOGUE_* settings).
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll } from "vitest";
import { BIN, ROOT, waitFor } from "./cli.js";

const servers = new Set<Tmux>();
afterAll(() => {
  for (const t of servers) t.kill();
});

export function hasTmux(): boolean {
  try {
    execFileSync("tmux", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** `dialogue <args>` as a shell command that reports its exit status and keeps the pane open */
export function dialogueCommand(args: string[], opts: { pipe?: string } = {}): string {
  const cmd = [process.execPath, BIN, ...args].map(quote).join(" ");
  return `cd ${quote(ROOT)} && ${cmd}${opts.pipe ? ` | ${opts.pipe}` : ""}; echo "[exit $?]"; sleep 600`;
}

export class Tmux {
  readonly socket = `dialogue-test-${process.pid}-${randomBytes(3).toString("hex")}`;
  private readonly env: NodeJS.ProcessEnv;

  constructor(env: NodeJS.ProcessEnv) {
    const clean: NodeJS.ProcessEnv = { ...env, TERM: "xterm-256color" };
    for (const k of Object.keys(clean)) {
      if (k === "CI" || k === "CONTINUOUS_INTEGRATION" || k.startsWith("CI_") || k === "TMUX" || k === "TMUX_PANE") delete clean[k];
    }
    this.env = clean;
    servers.add(this);
  }

  tmux(...args: string[]): string {
    return execFileSync("tmux", ["-L", this.socket, ...args], { env: this.env, encoding: "utf8" });
  }

  /** a detached session `name` of the given size running `command` in window 0 */
  start(name: string, command: string, size: { width: number; height: number }, env: Record<string, string> = {}): string {
    const e = Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    this.tmux("new-session", "-d", "-s", name, "-x", String(size.width), "-y", String(size.height), ...e, "sh", "-c", command);
    this.tmux("set-option", "-t", name, "history-limit", "20000");
    return `${name}:0`;
  }

  /** a new window in `session` running `command`; returns its target */
  window(session: string, command: string, env: Record<string, string> = {}): string {
    const e = Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    const index = this.tmux("new-window", "-d", "-P", "-F", "#{window_index}", "-t", session, ...e, "sh", "-c", command).trim();
    return `${session}:${index}`;
  }

  /** the pane as text: the screen, or with `history` everything since it started; `escapes` keeps colours */
  capture(target: string, opts: { history?: boolean; escapes?: boolean } = {}): string {
    return this.tmux("capture-pane", "-p", "-t", target, ...(opts.history ? ["-S", "-"] : []), ...(opts.escapes ? ["-e"] : []));
  }

  /** appends every byte the pane receives to `file` */
  record(target: string, file: string): void {
    this.tmux("pipe-pane", "-t", target, "-o", `cat >> ${quote(file)}`);
  }

  keys(target: string, ...keys: string[]): void {
    this.tmux("send-keys", "-t", target, ...keys);
  }

  resize(target: string, width: number, height: number): void {
    this.tmux("resize-window", "-t", target, "-x", String(width), "-y", String(height));
  }

  async until(target: string, what: string, test: (screen: string) => boolean, timeoutMs = 30_000, opts: { history?: boolean } = {}): Promise<string> {
    let last = "";
    try {
      return await waitFor(
        what,
        async () => {
          last = this.capture(target, opts);
          return test(last) ? last : null;
        },
        timeoutMs,
        50,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; the pane shows:\n${last}`);
    }
  }

  kill(): void {
    try {
      this.tmux("kill-server");
    } catch {
      // already gone
    }
    servers.delete(this);
  }
}
