/**
 * `dialogue serve` that cannot listen: a port already in use, or an address this machine does not
 * have. One line saying which and why, a hint with what to do, exit 1 — not Node's raw
 * "listen EADDRINUSE". `dialogue serve` runs as its own process against a real Redis.
 */
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliEnv, runCli } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

let taken: Server;
let port: number;
beforeAll(async () => {
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  port = (taken.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => taken.close(() => resolve()));
});

const lines = (s: string): string[] => s.split("\n").filter((l) => l.trim() !== "");

describe("dialogue serve that cannot listen", () => {
  it("a port in use: one line naming it, a hint to pass another --port, exit 1", async () => {
    const r = await runCli(["serve", "--port", String(port), "--prefix", freshPrefix()], cliEnv(testRedisUrl()));
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      `error: cannot listen on 127.0.0.1:${port}: the port is in use (another dialogue serve, or another program)`,
      "hint: pass another --port (or --port 0 for any free one), or stop what listens there",
    ]);
    expect(r.stdout).not.toContain("dialogue serve: http");
  });

  it("an address this machine does not have: one line, a hint naming the addresses to use, exit 1", async () => {
    // 192.0.2.0/24 is reserved for documentation: no machine has it
    const r = await runCli(["serve", "--port", "0", "--host", "192.0.2.7", "--token", "t0k3n-for-the-test", "--prefix", freshPrefix()], cliEnv(testRedisUrl()));
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      "error: cannot listen on 192.0.2.7:0: this machine has no such address",
      "hint: pass a --host this machine has (127.0.0.1 for this machine only, 0.0.0.0 for every interface)",
    ]);
  });
});
