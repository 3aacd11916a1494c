/**
 * What `run` says on stderr when it ends (where the run is kept, the commands to see it again):
 * on a terminal, long lines are wrapped at spaces to its width, so the terminal never breaks one
 * inside a word (a conversation id, a command); piped, the lines are left as they are.
 */
import wrapAnsi from "wrap-ansi";
import { stderr } from "./common.js";

/** continuation rows are indented this much under their line */
const INDENT = "    ";

export function wrapForTerminal(text: string, columns: number): string {
  if (columns <= INDENT.length + 8) return text;
  return text
    .split("\n")
    .map((line) => {
      const lead = /^\s*/.exec(line)?.[0] ?? "";
      const rows = wrapAnsi(line.slice(lead.length), columns - lead.length - INDENT.length, { hard: false, trim: true }).split("\n");
      return rows.map((row, i) => (i === 0 ? lead : lead + INDENT) + row).join("\n");
    })
    .join("\n");
}

/** `text` on stderr, wrapped at spaces when stderr is a terminal */
export function sayWrapped(text: string): void {
  const columns = process.stderr.isTTY ? process.stderr.columns : 0;
  stderr(columns > 0 ? wrapForTerminal(text, columns) : text);
}

/**
 * where a finished run is kept and how to see it again, one command a line; `logFile`: the log of
 * the processes this launcher started (null under --no-spawn: theirs are on their own hosts);
 * `reach`: what the commands need to reach the run (cli/reach.ts)
 */
export function keptHint(where: string, id: string, logFile: string | null, reach: string): string {
  return [
    `\nKept in ${where}, conversation ${id}`,
    `  see it again: dialogue show ${id}${reach}`,
    `  analysis:     dialogue analyze ${id}${reach}`,
    `  all runs:     dialogue list${reach}`,
    logsLine(logFile),
  ].join("\n");
}

/** where the logs are: the launcher's file, or (null: --no-spawn, no file written) the processes' own */
export function logsLine(logFile: string | null): string {
  return logFile ? `  logs:         ${logFile}` : `  logs:         those of the dialogue manager and dialogue worker processes (--no-spawn)`;
}
