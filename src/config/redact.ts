/**
 * Secrets never echoed: which settings hold one (by name: an API key, a token, a password, a
 * secret — openai.api_key, OPENAI_API_KEY, and any such setting added later), the password in a
 * URL (redis.url, REDIS_URL), and the text of a configuration file a JSON syntax error would
 * otherwise quote. Problems about the configuration pass through here before anyone sees them.
 */

const SECRET_WORDS = new Set(["key", "apikey", "token", "password", "passwd", "secret", "credential", "credentials", "authorization"]);

/**
 * Whether a setting or variable holds a secret, by its name: its last part ends in one of the
 * words above (api_key, OPENAI_API_KEY, access_token, redis_password, clientSecret), or names a
 * password or secret anywhere. Counts that merely mention tokens (max_total_tokens,
 * token_stream_maxlen) are not secrets.
 */
export function isSecretName(name: string): boolean {
  const last = name.split(".").at(-1) ?? name;
  const words = last
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .split(/[_\-\s]+/)
    .filter(Boolean);
  const end = words.at(-1) ?? "";
  return SECRET_WORDS.has(end) || /password|passwd|secret|apikey/i.test(last);
}

/**
 * scheme://user:secret@host -> scheme://user:***@host, wherever a URL stands in `text` (the last
 * @ before the next space ends the credentials, so a password with an @ in it is hidden whole)
 */
export function redactUrl(text: string): string {
  return (
    text
      .replace(/([a-z][\w+.-]*:\/\/)([^:@/\s]*):(\S*)@(?=[^@\s]*(?:\s|$))/gi, (_m, scheme: string, user: string) => `${scheme}${user}:***@`)
      // a password in the query (redis://h:6379?password=…, which ioredis takes as one)
      .replace(/([?&](?:password|pass|pwd)=)[^&\s#]*/gi, "$1***")
  );
}

/** a value as it may be shown: *** for a secret setting, a URL without its password */
export function shownValue(name: string, value: string): string {
  return isSecretName(name) ? "***" : redactUrl(value);
}

/** a raw `--set` argument as it may be shown, even when malformed ("openai.api_key:sk-…") */
export function shownSetArg(arg: string): string {
  const m = /^\s*([\w.[\]-]*)([\s\S]*)$/.exec(arg);
  const name = m?.[1] ?? "";
  const rest = m?.[2] ?? "";
  if (rest === "") return arg;
  return isSecretName(name) ? `${name}${rest[0]}***` : redactUrl(arg);
}

const URL_PASSWORD = /^[a-z][\w+.-]*:\/\/[^:@/]*:(.*)@[^@]*$/i;

/** every secret value in a configuration-shaped value: strings under secret names, URL passwords */
export function secretsIn(value: unknown, name = ""): string[] {
  if (typeof value === "string") {
    const out: string[] = [];
    if (name && isSecretName(name)) out.push(value);
    const pw = URL_PASSWORD.exec(value)?.[1];
    if (pw) out.push(pw, decodeURIComponentSafe(pw));
    return out;
  }
  if (typeof value === "number" && name && isSecretName(name)) return [String(value)];
  if (Array.isArray(value)) return value.flatMap((v) => secretsIn(v, name));
  if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([k, v]) => secretsIn(v, k));
  return [];
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `text` with every one of `secrets` (of 4 characters or more) replaced by *** */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...new Set(secrets)].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length)) {
    out = out.split(s).join("***");
  }
  return out;
}

/** the (1-based) line and column of character `pos` of `text` */
function lineColumn(text: string, pos: number): string {
  const before = text.slice(0, pos);
  const line = before.split("\n").length;
  return `line ${line}, column ${pos - before.lastIndexOf("\n")}`;
}

/**
 * A JSON syntax error of `text` in one line that never quotes the text (V8 quotes up to 20
 * characters around the fault, which may be a key): its cause and, where it can be told, the line
 * and column.
 */
export function describeJsonError(err: unknown, text: string): string {
  const message = err instanceof Error ? err.message : String(err);
  // what comes before any quote, on one line: never a piece of the text
  const cause = (message.split('"')[0] ?? "").split("\n")[0]?.replace(/[\s,.]+$/, "") ?? "";
  const at = /^([^"\n]*?) in JSON at position (\d+)/.exec(message);
  if (at) return `${at[1]} at ${lineColumn(text, Number(at[2]))}`;
  // V8: Unexpected token 'x', "<the text>" is not valid JSON, or ..."<context>"... around the fault
  const quoted = /^[^"]*?, (\.\.\.)?"([\s\S]*)"(\.\.\.)? is not valid JSON$/.exec(message);
  if (!quoted) return cause || "not valid JSON";
  const [, lead, context = "", trail] = quoted;
  const found = text.indexOf(context);
  let pos: number | null = null;
  if (lead && found >= 0) pos = found + 10;
  else if (!lead && trail) pos = context.length - 10;
  return pos === null || pos < 0 ? cause : `${cause} at ${lineColumn(text, pos)}`;
}
