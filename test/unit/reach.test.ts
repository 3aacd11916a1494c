/**
 * What a command the CLI prints for the user to copy needs to reach the same runs (cli/reach.ts):
 * `--prefix` exactly when the prefix is not the default; `--redis-url` when Redis was named otherwise
 * than by REDIS_URL (a flag, --set, a config file), never with its password (a placeholder
 * instead), quoted for the shell when it must be. Nothing at all for the defaults, nor for a Redis
 * that REDIS_URL names (a command copied into the same shell finds it by itself).
 */
import { describe, expect, it } from "vitest";
import { load } from "../../src/config/load.js";
import { prefixFlag, sayCommand } from "../../src/observer/commands.js";
import { reachFlags } from "../../src/cli/reach.js";

/** the configuration as the CLI loads it: `flags` as --redis-url / --prefix give them, `env` the environment */
function configOf(flags: { url?: string; prefix?: string }, env: NodeJS.ProcessEnv = {}) {
  const overrides: Record<string, unknown> = {};
  if (flags.url !== undefined) overrides["redis.url"] = flags.url;
  if (flags.prefix !== undefined) overrides["redis.prefix"] = flags.prefix;
  const { config, problems } = load({ env, overrides });
  if (!config) throw new Error(JSON.stringify(problems));
  return config;
}

describe("reachFlags", () => {
  it("the defaults, and a Redis from REDIS_URL: nothing", () => {
    expect(reachFlags(configOf({}), {})).toBe("");
    const env = { REDIS_URL: "redis://:s3cret@gpu-box:6379" };
    expect(reachFlags(configOf({}, env), env)).toBe("");
    // the same URL given again with the flag: the shell's REDIS_URL still finds it
    expect(reachFlags(configOf({ url: "redis://:s3cret@gpu-box:6379" }, env), env)).toBe("");
  });

  it("another prefix: --prefix, from the flag or from DIALOGUE_PREFIX alike", () => {
    expect(reachFlags(configOf({ prefix: "nu3" }), {})).toBe(" --prefix nu3");
    const env = { DIALOGUE_PREFIX: "nu3" };
    expect(reachFlags(configOf({}, env), env)).toBe(" --prefix nu3");
    expect(reachFlags(configOf({ prefix: "dialogue" }), {})).toBe("");
  });

  it("a Redis named on the command line: --redis-url, its password a placeholder, quoted for the shell", () => {
    expect(reachFlags(configOf({ url: "redis://gpu-box:6379" }), {})).toBe(" --redis-url redis://gpu-box:6379");
    expect(reachFlags(configOf({ url: "redis://10.0.0.5:6379/2", prefix: "nu3" }), {})).toBe(" --prefix nu3 --redis-url redis://10.0.0.5:6379/2");
    const secret = reachFlags(configOf({ url: "rediss://app:s3cret@h1:7000,h2:7000" }), {});
    expect(secret).toBe(" --redis-url 'rediss://app:<password>@h1:7000,h2:7000'");
    expect(secret).not.toContain("s3cret");
    const query = reachFlags(configOf({ url: "redis://h1:6379?password=s3cret" }), {});
    expect(query).toBe(" --redis-url 'redis://h1:6379?password=<password>'");
    // REDIS_URL names another Redis than the flag: the flag's is the one used, so it is printed
    const env = { REDIS_URL: "redis://localhost:6379" };
    expect(reachFlags(configOf({ url: "redis://gpu-box:6379" }, env), env)).toBe(" --redis-url redis://gpu-box:6379");
  });
});

describe("prefixFlag and sayCommand (shared by the CLI and the web page's box)", () => {
  it("--prefix exactly when it is not the default", () => {
    expect(prefixFlag("dialogue")).toBe("");
    expect(prefixFlag("nu3")).toBe(" --prefix nu3");
    expect(sayCommand("20261121-143005-k3f9a", "local", prefixFlag("nu3"))).toBe('dialogue say 20261121-143005-k3f9a --as local --prefix nu3 "…"');
    expect(sayCommand("20261121-143005-k3f9a", null, "")).toBe('dialogue say 20261121-143005-k3f9a "…"');
  });
});
