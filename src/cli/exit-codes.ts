/**
 * The exit codes of every `dialogue` command, in one place (README "Exit codes"):
 *
 *   0    done: for `run`, the conversation ended (completed, or stopped on request) and every
 *        turn succeeded
 *   1    runtime failure: Redis unreachable, an LLM server that cannot serve, or a run that
 *        failed (status failed: no turn succeeded, a turn failed for good, or it was abandoned)
 *   2    bad input: configuration, arguments, files
 *   3    unknown conversation id
 *   4    `run` ended (completed or stopped) but some turns failed or stalled: see `dialogue show`
 *   130  interrupted (a second Ctrl-C); 143 when SIGTERM had to end it the hard way
 */
import type { Status } from "../protocol/record.js";

export const EXIT = { ok: 0, failure: 1, usage: 2, notFound: 3, troubledTurns: 4, interrupted: 130 } as const;

/** the exit code a finished run gives `dialogue run` */
export function exitCodeFor(r: { status: Status; failed_turns: number | null; stalled_turns: number | null }): number {
  if (r.status === "failed") return EXIT.failure;
  if ((r.failed_turns ?? 0) + (r.stalled_turns ?? 0) > 0) return EXIT.troubledTurns;
  return EXIT.ok;
}
