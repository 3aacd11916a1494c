/**
 * redis.cluster set against what the Redis really is: a plain Redis with "yes", a node of a real
 * local Redis Cluster with "no". Each is one line that says which, and how to fix it, exit 2 —
 * not "cannot reach Redis: Failed to refresh slots cache" (the Redis answered) or a bare
 * "MOVED 5837 127.0.0.1:7102" (the client could not follow the cluster).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliEnv, runCli } from "../helpers/cli.js";
import { startTestCluster, type TestCluster } from "../helpers/redis-cluster.js";
import { getFreePort } from "../helpers/redis-server.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startTestCluster(3);
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

function errorLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.startsWith("error:"));
}

describe("redis.cluster that does not match the Redis", () => {
  it('"yes" against a plain Redis says it is no cluster, and how to fix the setting', async () => {
    const r = await runCli(["list", "--set", "redis.cluster=yes", "--prefix", freshPrefix()], cliEnv(testRedisUrl()));
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/is not a Redis Cluster \(its cluster mode is off\), but redis\.cluster is "yes"/)]);
    expect(r.stderr).toMatch(/hint: set redis\.cluster to "auto"/);
    expect(r.stderr).not.toMatch(/slots cache|cannot reach/);
  });

  it('"yes" with nothing listening still says the connection was refused', async () => {
    const port = await getFreePort();
    const r = await runCli(["list", "--set", "redis.cluster=yes"], cliEnv(`redis://127.0.0.1:${port}`));
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toEqual([`error: cannot reach Redis at redis://127.0.0.1:${port}: connection refused`]);
  });

  it('"no" against a node of a cluster says so, for list and show alike, through the env too', async () => {
    const env = cliEnv(cluster.seedUrl);
    for (const [args, e] of [
      [["list", "--set", "redis.cluster=no"], env],
      [["show", "20261130-000000-abcde"], cliEnv(cluster.seedUrl, { DIALOGUE_REDIS_CLUSTER: "no" })],
    ] as const) {
      const r = await runCli([...args], e);
      expect(r.code, r.stderr).toBe(2);
      expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/is a node of a Redis Cluster, but redis\.cluster is "no"/)]);
      expect(r.stderr).toMatch(/hint: set redis\.cluster to "auto" or "yes"/);
      expect(r.stderr).not.toMatch(/MOVED/);
    }
  });

  it('"auto" (the default) still finds the cluster from one node, and "yes" uses it', async () => {
    for (const mode of ["auto", "yes"]) {
      const r = await runCli(["list", "--set", `redis.cluster=${mode}`, "--prefix", freshPrefix()], cliEnv(cluster.seedUrl));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/no conversations under prefix/);
    }
  });
});
