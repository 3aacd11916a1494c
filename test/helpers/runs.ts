/**
 * Runs made with the real CLI for the analysis end-to-end tests: `dialogue run` with the
 * simulated provider (fast, but with real token timing) under a fresh prefix.
 */
import { expect } from "vitest";
import { cliEnv, runCli, type CliResult } from "./cli.js";
import { testRedisUrl } from "./redis.js";

export const FAST = ["--set", "simulated.tokens_per_second=400", "--set", "simulated.time_to_first_token_ms=20"];

export const idFrom = (stderr: string): string => {
  const m = /conversation (\d{8}-\d{6}-[0-9a-f]+)/.exec(stderr);
  if (!m?.[1]) throw new Error(`no conversation id in:\n${stderr}`);
  return m[1];
};

/** `dialogue run --provider simulated --plain` plus `args`; returns the result and the id */
export async function simulatedRun(prefix: string, args: string[]): Promise<CliResult & { id: string }> {
  const r = await runCli(["run", "--provider", "simulated", "--plain", "--prefix", prefix, ...args], cliEnv(testRedisUrl()), 90_000);
  expect(r.code, r.stderr).toBe(0);
  return { ...r, id: idFrom(r.stderr) };
}

/** the CLI against the test Redis under `prefix` */
export function cli(prefix: string, args: string[], timeoutMs?: number): Promise<CliResult> {
  return runCli([...args, "--prefix", prefix], cliEnv(testRedisUrl()), timeoutMs);
}
