/**
 * What may be shown of a configuration: secrets by the name of their setting, URL passwords, and
 * JSON syntax errors that tell where the mistake is without quoting the text around it.
 */
import { describe, expect, it } from "vitest";
import { load } from "../../src/config/load.js";
import { describeJsonError, isSecretName, redactUrl, scrub, secretsIn, shownSetArg } from "../../src/config/redact.js";

const SECRET = "sk-live-NEVER-SHOWN-4c1a9e";

describe("secret settings, by name", () => {
  it.each(["openai.api_key", "OPENAI_API_KEY", "api_key", "apiKey", "x.access_token", "GITHUB_TOKEN", "redis.password", "db_password", "client_secret", "clientSecret", "x.private_key", "authorization", "apikey"])(
    "%s holds a secret",
    (name) => expect(isSecretName(name)).toBe(true),
  );

  it.each(["limits.max_total_tokens", "redis.token_stream_maxlen", "context.reserve_tokens", "DIALOGUE_MAX_TOTAL_TOKENS", "ollama.keep_alive", "openai.base_url", "redis.url", "model", "keys"])(
    "%s does not",
    (name) => expect(isSecretName(name)).toBe(false),
  );
});

describe("URLs", () => {
  it.each([
    ["redis://:pw@host:6379/0", "redis://:***@host:6379/0"],
    ["redis://user:pw@host", "redis://user:***@host"],
    ["rediss://default:p@ss:w0rd@host:6380", "rediss://default:***@host:6380"],
    ["https://user:tok@ollama.example", "https://user:***@ollama.example"],
    ["redis://host:6379", "redis://host:6379"],
    ["redis://user@host", "redis://user@host"],
    ["from redis://:pw@a and redis://u:pw2@b too", "from redis://:***@a and redis://u:***@b too"],
    // ioredis takes a password from the query too
    ["redis://host:6379?password=s3cret", "redis://host:6379?password=***"],
    ["redis://host:6379/0?db=1&password=s3cret&tls=true", "redis://host:6379/0?db=1&password=***&tls=true"],
  ])("%s is shown as %s", (url, shown) => expect(redactUrl(url)).toBe(shown));
});

describe("--set arguments and problems", () => {
  it("a malformed --set keeps the setting's name and hides a secret's value", () => {
    expect(shownSetArg(`openai.api_key:${SECRET}`)).toBe("openai.api_key:***");
    expect(shownSetArg(`openai.api_key ${SECRET}`)).toBe("openai.api_key ***");
    expect(shownSetArg("limits.max_turns")).toBe("limits.max_turns");
    expect(shownSetArg("limits.max_turns:6")).toBe("limits.max_turns:6");
    expect(shownSetArg("redis.url:redis://:pw@h")).toBe("redis.url:redis://:***@h");
  });

  it("secretsIn finds secret settings and URL passwords at any depth; scrub hides every one", () => {
    const found = secretsIn({ openai: { api_key: SECRET }, redis: { url: "redis://:hunter22@h" }, agents: [{ options: { auth_token: "tok-1234" } }], limits: { max_total_tokens: 5000 } });
    expect(found).toEqual(expect.arrayContaining([SECRET, "hunter22", "tok-1234"]));
    expect(found).not.toContain("5000");
    expect(scrub(`a ${SECRET} b hunter22 c`, found)).toBe("a *** b *** c");
  });

  it("no problem load() reports shows a secret, from --set, env or a file", () => {
    const problems = [
      load({ env: {}, sets: [`openai.api_key=740019932551846`] }),
      load({ env: {}, sets: [`openai.api_key:${SECRET}`] }),
      load({ env: { OPENAI_API_KEY: SECRET, DIALOGUE_MAX_TURNS: SECRET } }),
      load({ env: { REDIS_URL: `redis://:${SECRET}@no host` } }),
      load({ env: {}, overrides: { "redis.url": `redis://:${SECRET}@no host` } }),
    ].flatMap((r) => r.problems);
    expect(problems.length).toBe(5);
    const text = JSON.stringify(problems);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain("740019932551846");
  });
});

describe("JSON syntax errors", () => {
  const errorOf = (text: string): string => {
    try {
      JSON.parse(text);
    } catch (err) {
      return describeJsonError(err, text);
    }
    throw new Error("parsed");
  };

  it.each([
    [`{"openai": {"api_key": ${SECRET}}}`, /^Unexpected token 's'/],
    [`{\n  "a": 1,\n  "openai": {"api_key": ${SECRET}}\n}`, /^Unexpected token 's' at line 3, column 25$/],
    [`{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": 1, "api_key": ${SECRET}}`, /^Unexpected token 's' at line 1, column 56$/],
    [`{"api_key": ${SECRET}, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb": 1}`, /^Unexpected token 's' at line 1, column 13$/],
    [`{"api_key": "${SECRET}"\n "b": 1}`, /^Expected ',' or '}' after property value at line 2, column 2$/],
    [`{"api_key": "${SECRET}"`, /^Expected ',' or '}' after property value at line 1, column 41$/],
    [`{"api_key": "${SECRET}`, /^Unterminated string at line 1, column 40$/],
    ["", /^Unexpected end of JSON input$/],
  ])("%j: says where, never what", (text, says) => {
    const message = errorOf(text);
    expect(message).toMatch(says);
    expect(message).not.toContain("NEVER");
    expect(message).not.toContain("\n");
  });
});
