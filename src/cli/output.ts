/**
 * Standard output closed under a command (EPIPE: `dialogue list | head`, a pager quit early). Most
 * commands exit quietly, as other tools do. `dialogue run` must not just vanish — it has a run to
 * stop and processes it started — so it sets a hook, called once, and what it would still print
 * is dropped (`write`).
 */

let hook: (() => void) | null = null;
let closed = false;

/** `fn` is called (once) instead of exiting when stdout is closed; null: exit quietly again */
export function onOutputClosed(fn: (() => void) | null): void {
  hook = fn;
}

/** whether stdout was closed under this process */
export const outputIsClosed = (): boolean => closed;

/** the 'error' listener of process.stdout */
export function stdoutError(err: NodeJS.ErrnoException): void {
  if (err.code !== "EPIPE" && err.code !== "ERR_STREAM_DESTROYED") throw err;
  if (!hook) process.exit(0);
  if (closed) return;
  closed = true;
  hook();
}

/**
 * the 'error' listener of process.stderr: a closed stderr (`dialogue run … 2>&1 | head`: the
 * reader went away) drops what is still said there, and the command goes on — without it the
 * process died at its next line, leaving its run to be found abandoned. When stdout is the same
 * pipe, its next write finds it closed too, and `run` stops the run as for stdout (the hook).
 */
export function stderrError(err: NodeJS.ErrnoException): void {
  if (err.code !== "EPIPE" && err.code !== "ERR_STREAM_DESTROYED") throw err;
}

/** stdout's write, dropped once stdout is closed */
export function write(s: string): void {
  if (!closed) process.stdout.write(s);
}
