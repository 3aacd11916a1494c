/**
 * Whether a command shows the TUI. Kept apart from the TUI itself, so deciding costs nothing: Ink
 * and React are loaded only by a process that shows it.
 */

/** the TUI when stdout is a terminal and no plain or JSON output was asked for */
export const wantsTui = (opts: { plain?: boolean; json?: boolean }): boolean => !opts.plain && !opts.json && process.stdout.isTTY === true;
