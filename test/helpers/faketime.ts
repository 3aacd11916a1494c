/**
 * A process with a skewed clock: Debian's libfaketime preloaded (what the `faketime` command does,
 * without a wrapper process in between, so signals reach the process itself).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

/** libfaketime, as Debian's `faketime` package installs it */
export const LIBFAKETIME = ["x86_64-linux-gnu", "aarch64-linux-gnu", "i386-linux-gnu"].map((d) => `/usr/lib/${d}/faketime/libfaketime.so.1`).find((f) => existsSync(f)) ?? null;

/** env that makes a process see the clock shifted by `offset` ("+200s", "-200s"): what `faketime -f` sets */
export const fakeEnv = (env: NodeJS.ProcessEnv, offset: string): NodeJS.ProcessEnv => ({ ...env, LD_PRELOAD: LIBFAKETIME ?? "", FAKETIME: offset });

/** does libfaketime shift what node sees? */
export function faketimeWorks(): boolean {
  if (!LIBFAKETIME) return false;
  try {
    const seen = Number(execFileSync(process.execPath, ["-e", "process.stdout.write(String(Date.now()))"], { encoding: "utf8", env: fakeEnv(process.env, "+200s") }));
    return Math.abs(seen - Date.now() - 200_000) < 5_000;
  } catch {
    return false;
  }
}
