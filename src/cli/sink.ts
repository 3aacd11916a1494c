/**
 * Where an export goes: stdout, or a file (written to a temporary name beside it and renamed at
 * the end, so a failed or interrupted export leaves no half file). Writes wait for the stream to
 * drain, so memory holds about one page however long the run.
 *
 * `checkOut` is the bad-input check of `--out`, made before anything is read or written: the
 * directory must exist, and the target may not be a directory, a pipe, a device or a socket
 * (renaming over those would replace them; writing into a pipe may wait forever).
 */
import { createWriteStream, openSync, renameSync, rmSync, statSync, type Stats } from "node:fs";
import path from "node:path";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { DialogueError, UsageError } from "../errors/index.js";

export interface Sink {
  write(s: string): Promise<void>;
  /** finish; `ok` false removes a partial file */
  close(ok: boolean): Promise<void>;
}

/**
 * a writer for `stream`: one 'error' listener for as long as the stream lives (not one a write:
 * a thousand quick writes to a redirected stdout would pile them up, and Node warns past ten).
 * A write resolves once the stream takes it (or drains), and rejects when the stream failed.
 */
function writerTo(stream: Writable): (s: string) => Promise<void> {
  let failure: Error | null = null;
  let waiting: ((err: Error) => void) | null = null;
  stream.on("error", (err) => {
    failure ??= err;
    waiting?.(err);
  });
  return (s) =>
    new Promise((resolve, reject) => {
      if (failure) return reject(failure);
      const flushed = stream.write(s, (err) => {
        if (err) reject(err);
      });
      if (flushed) return resolve();
      waiting = reject;
      stream.once("drain", () => {
        waiting = null;
        resolve();
      });
    });
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return "directory";
  if (st.isFIFO()) return "named pipe";
  if (st.isSocket()) return "socket";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "device";
  return "special file";
}

const WHY: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  ENAMETOOLONG: "file name too long",
  ENOTDIR: "a part of the path is not a directory",
  ENOENT: "the directory does not exist",
  EISDIR: "it is a directory",
};

/** one line for a failed file operation on `file`; bad input (where to write) exits 2, the rest 1 */
function writeError(file: string, err: unknown): DialogueError {
  const code = (err as NodeJS.ErrnoException).code ?? "";
  const why = WHY[code] ?? (err instanceof Error ? (err.message.split("\n")[0] ?? code) : String(err));
  const msg = `cannot write ${file}: ${why}${code && WHY[code] ? ` (${code})` : ""}`;
  if (code === "ENOSPC" || code === "EDQUOT" || code === "EIO") return new DialogueError(msg, 1, "free some space, or write elsewhere with --out");
  return new UsageError(msg, "choose a file in a directory you can write to with --out, or drop --out to write to stdout");
}

/** throws a UsageError (exit 2) when `file` cannot be an export's --out (`ext`: the extension of what is written, for the example a hint gives) */
export function checkOut(file: string, ext = "html"): void {
  if (file.trim() === "") throw new UsageError("--out needs a file name", "e.g. --out run.html, or drop --out to write to stdout");
  let st: Stats | undefined;
  try {
    st = statSync(file, { throwIfNoEntry: false });
  } catch (err) {
    throw writeError(file, err);
  }
  if (st?.isDirectory()) {
    throw new UsageError(`--out ${file} is a directory`, `name a file in it, e.g. --out ${path.join(file, `run.${ext}`)}`);
  }
  if (st && !st.isFile()) {
    throw new UsageError(`--out ${file} is a ${kindOf(st)}, not a regular file`, "to write into it, drop --out and redirect stdout: dialogue export <id> > …");
  }
  const dir = path.dirname(path.resolve(file));
  let d: Stats | undefined;
  try {
    d = statSync(dir, { throwIfNoEntry: false });
  } catch (err) {
    throw writeError(file, err);
  }
  if (!d) throw new UsageError(`cannot write ${file}: the directory ${dir} does not exist`, `create it first (mkdir -p ${dir}) or choose another --out`);
  if (!d.isDirectory()) throw new UsageError(`cannot write ${file}: ${dir} is not a directory`, "choose another --out");
}

export function openSink(file: string | null): Sink {
  if (!file) {
    return { write: writerTo(process.stdout), close: async () => undefined };
  }
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.partial-${process.pid}`);
  let fd: number;
  try {
    // created here, exclusively and synchronously, so an unwritable place fails before anything is read
    fd = openSync(tmp, "wx", 0o666);
  } catch (err) {
    throw writeError(file, err);
  }
  const stream = createWriteStream("", { fd, encoding: "utf8" });
  const writeOut = writerTo(stream);
  let failure: unknown = null;
  stream.on("error", (err) => {
    failure ??= err;
  });
  // an interrupted export leaves nothing behind either
  const onSignal = (sig: NodeJS.Signals): void => {
    rmSync(tmp, { force: true });
    process.exit(sig === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const ended = async (): Promise<void> => {
    if (!stream.destroyed && !stream.writableEnded) stream.end();
    await finished(stream).catch(() => undefined);
  };
  return {
    write: async (s) => {
      try {
        await writeOut(s);
      } catch (err) {
        throw writeError(file, err);
      }
    },
    close: async (ok) => {
      await ended();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      try {
        if (ok && failure === null) {
          renameSync(tmp, file);
          return;
        }
      } catch (err) {
        rmSync(tmp, { force: true });
        throw writeError(file, err);
      }
      rmSync(tmp, { force: true });
      if (ok && failure !== null) throw writeError(file, failure);
    },
  };
}
