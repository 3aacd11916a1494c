/**
 * What a command this CLI prints for the user to copy needs to reach the same runs as the command
 * that printed it, as flags to add: `--prefix` when the prefix is not the default
 * (observer/commands.ts), and `--redis-url` when Redis was chosen otherwise than by REDIS_URL (by
 * --redis-url, --set redis.url or a config file): a command copied into the same shell finds
 * REDIS_URL by itself, not the others. A password is never printed: it shows as <password>, for
 * the user to fill in; the URL is quoted when the shell would read it otherwise.
 */
import type { Config } from "../config/schema.js";
import { redactUrl } from "../config/redact.js";
import { prefixFlag } from "../observer/commands.js";

/** what the shell takes as one word unquoted, as it is */
const SHELL_SAFE = /^[\w.:/@,%+=-]+$/;

const shellWord = (s: string): string => (SHELL_SAFE.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** ` --redis-url URL` when the Redis in use came from elsewhere than REDIS_URL, else nothing */
export function redisFlag(config: Config, env: NodeJS.ProcessEnv = process.env): string {
  const url = config.redis.url;
  if (url === null || url === env["REDIS_URL"]) return "";
  // redactUrl's *** (its one way to hide a password) as the placeholder a command shows
  return ` --redis-url ${shellWord(redactUrl(url).replace(/:\*\*\*@/, ":<password>@").replace(/=\*\*\*/g, "=<password>"))}`;
}

/** the flags a printed command needs to reach the runs this configuration reaches (empty for the defaults) */
export const reachFlags = (config: Config, env: NodeJS.ProcessEnv = process.env): string => prefixFlag(config.redis.prefix) + redisFlag(config, env);
