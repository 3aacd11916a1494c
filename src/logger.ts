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

export function createLogger(opts: { level: string; file?: string | null; role: string }): Logger {
  const base = { role: opts.role, pid: process.pid };
  if (opts.file) {
    mkdirSync(path.dirname(opts.file), { recursive: true });
    return pino(
      { level: opts.level, base, redact: { paths: REDACT, censor: "***" } },
      pino.destination({ dest: opts.file, append: true, sync: false, mkdir: true }),
    );
  }
  return pino({ level: opts.level, base, redact: { paths: REDACT, censor: "***" } }, pino.destination(2));
}
