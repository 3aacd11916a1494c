/**
 * The one logger (pino). Never console: the observer owns stdout. Logs go to stderr, or to a
 * file when one is configured (`dialogue run` points its child processes at a file in the data dir).
 * Secrets are redacted wherever they appear under the usual names, and Redis URLs lose their password.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import pino, { type Logger } from "pino";

export type { Logger };

const REDACT = [
  "api_key",
  "apiKey",
  "password",
  "*.api_key",
  "*.apiKey",
  "*.password",
  "config.openai.api_key",
  "*.authorization",
  "headers.authorization",
];

/** redis://user:secret@host -> redis://user:***@host */
export { redactUrl } from "./config/redact.js";

/**
 * a line's level (pino's numbers: 40 warn, 50 error) and its fields: true when it is told
 * elsewhere instead of written (a role's "Redis is away" lines: redis/connect-outage.ts)
 */
export type Divert = (level: number, fields: Record<string, unknown>) => boolean;

export function createLogger(opts: { level: string; file?: string | null; role: string; divert?: Divert }): Logger {
  const base = { role: opts.role, pid: process.pid };
  const divert = opts.divert;
  const options: pino.LoggerOptions = {
    level: opts.level,
    base,
    redact: { paths: REDACT, censor: "***" },
    ...(divert
      ? {
          hooks: {
            logMethod(args, method, level) {
              const fields = args[0];
              if (typeof fields === "object" && fields !== null && divert(level, fields as Record<string, unknown>)) return;
              method.apply(this, args);
            },
          },
        }
      : {}),
  };
  if (opts.file) {
    mkdirSync(path.dirname(opts.file), { recursive: true });
    return pino(options, pino.destination({ dest: opts.file, append: true, sync: false, mkdir: true }));
  }
  return pino(options, pino.destination(2));
}
