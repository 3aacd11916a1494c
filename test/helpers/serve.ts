/**
 * `dialogue serve` as a separate process for the web tests: started on a free port (or a given
 * one) against the test Redis, its address (this machine's) read from what it prints; killed when
 * the file ends.
 */
import type { ChildProcess } from "node:child_process";
import { cliEnv, exited, startCli, waitFor } from "./cli.js";
import { testRedisUrl } from "./redis.js";

export interface Served {
  proc: ChildProcess & { out: () => string; err: () => string };
  url: string;
  port: number;
  token: string;
  /** fetch relative to the server, with the token unless `auth: false` */
  api(path: string, init?: RequestInit & { auth?: boolean }): Promise<Response>;
  stop(): Promise<number | null>;
}

export const TOKEN = "test-token-1234";

export async function startServe(prefix: string, opts: { port?: number; args?: string[]; redisUrl?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Served> {
  const args = ["serve", "--prefix", prefix, "--port", String(opts.port ?? 0), "--token", TOKEN, "--log-level", "warn", ...(opts.args ?? [])];
  const proc = startCli(args, cliEnv(opts.redisUrl ?? testRedisUrl(), opts.env ?? {}));
  const line = await waitFor(
    "dialogue serve to listen",
    async () => {
      if (proc.exitCode !== null) throw new Error(`dialogue serve exited ${proc.exitCode}: ${proc.err()}`);
      // on every interface (0.0.0.0) the address for this machine is on the line after
      return /(?:dialogue serve:|on this machine:) (http:\/\/\S+)/.exec(proc.out());
    },
    20_000,
    20,
  );
  const url = (line[1] as string).replace("://0.0.0.0", "://127.0.0.1");
  const port = Number(new URL(url).port);
  return {
    proc,
    url,
    port,
    token: TOKEN,
    api: (path, init = {}) => {
      const { auth = true, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (auth) headers.set("authorization", `Bearer ${TOKEN}`);
      return fetch(`${url}${path}`, { ...rest, headers });
    },
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      return (await exited(proc, 15_000)).code;
    },
  };
}
