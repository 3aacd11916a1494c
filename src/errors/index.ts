/**
 * Errors that know their exit code. Library code throws these; the CLI's single top-level
 * catch prints `error: <message>` (and `hint: <hint>`) on one line each and exits with the code.
 *
 * Exit codes: 1 runtime failure (Redis unreachable, LLM failed), 2 bad input (config, arguments),
 * 3 not found (unknown conversation id), 130 interrupted.
 */
import type { Problem } from "../config/load.js";

export class DialogueError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class UsageError extends DialogueError {
  constructor(message: string, hint?: string) {
    super(message, 2, hint);
  }
}

const where = (p: Problem): string => (p.source ? `${p.path} (${p.source})` : p.path);

export class ConfigError extends DialogueError {
  constructor(readonly problems: Problem[]) {
    const only = problems.length === 1 ? problems[0] : undefined;
    super(
      only
        ? `invalid configuration: ${where(only)}: ${only.message}`
        : `invalid configuration (${problems.length} problems):\n` + problems.map((p) => `  ${where(p)}: ${p.message}`).join("\n"),
      2,
      "fix the value(s) named above (every setting is described in config/config.schema.json)",
    );
  }
}

export class NotFoundError extends DialogueError {
  constructor(message: string, hint?: string) {
    super(message, 3, hint);
  }
}

export class RedisUnavailableError extends DialogueError {}

/**
 * An LLM provider could not do what was asked. `retryable`: the same request may succeed later
 * (server busy, rate limited, an error in the middle of a stream), so a worker lets its queue retry
 * the turn; otherwise (missing model, refused key, no model file) retrying cannot help.
 */
export class ProviderError extends DialogueError {
  readonly retryable: boolean;
  constructor(message: string, opts: { hint?: string; retryable?: boolean; exitCode?: number } = {}) {
    super(message, opts.exitCode ?? 1, opts.hint);
    this.retryable = opts.retryable ?? false;
  }
}

/** one line, never a stack: the message of anything thrown */
export function describe(err: unknown): string {
  if (err instanceof Error) return err.message.split("\n")[0] ?? err.message;
  return String(err);
}
