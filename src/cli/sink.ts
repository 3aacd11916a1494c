/**
 * Where an export goes: stdout, or a file (written to a temporary name and renamed at the end,
 * so a failed export leaves no half file). Writes wait for the stream to drain, so memory holds
 * about one page however long the run.
 */
import { createWriteStream, renameSync, rmSync } from "node:fs";
import type { Writable } from "node:stream";

export interface Sink {
  write(s: string): Promise<void>;
  /** finish; `ok` false removes a partial file */
  close(ok: boolean): Promise<void>;
}

function writeTo(stream: Writable, s: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    stream.once("error", onError);
    const flushed = stream.write(s, () => stream.off("error", onError));
    if (flushed) resolve();
    else stream.once("drain", () => resolve());
  });
}

export function openSink(file: string | null): Sink {
  if (!file) {
    return { write: (s) => writeTo(process.stdout, s), close: async () => undefined };
  }
  const tmp = `${file}.partial-${process.pid}`;
  const stream = createWriteStream(tmp, { encoding: "utf8" });
  return {
    write: (s) => writeTo(stream, s),
    close: (ok) =>
      new Promise((resolve, reject) => {
        stream.end(() => {
          try {
            if (ok) renameSync(tmp, file);
            else rmSync(tmp, { force: true });
            resolve();
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      }),
  };
}
