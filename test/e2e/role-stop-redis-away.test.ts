/**
 * A hand-started role (`dialogue worker`, `dialogue manager`) told to stop while Redis is away: it
 * says at once that the clean stop waits for Redis, for how long, and what then. Redis staying
 * away: after those 10 s it says it could not stop cleanly and exits 1. Redis coming back within
 * them: the clean stop finishes, exit 0.
 */
import { afterAll, describe, expect, it } from "vitest";
import { cliEnv, exited, runCli, startCli, waitFor } from "../helpers/cli.js";
import { freshPrefix } from "../helpers/redis.js";
import { startTestRedis } from "../helpers/redis-server.js";

type Proc = ReturnType<typeof startCli>;
const started: Proc[] = [];
afterAll(async () => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  await Promise.all(started.map((p) => exited(p, 10_000).catch(() => undefined)));
});

function role(args: string[], env: NodeJS.ProcessEnv): Proc {
  const p = startCli([...args, "--set", "presence.heartbeat_ms=300"], env);
  started.push(p);
  return p;
}

describe("a hand-started role stopped while Redis is away", () => {
  it("worker, Redis staying away: says at once that the stop waits up to 10 s, then that it could not stop cleanly, exit 1", async () => {
    const server = await startTestRedis({ appendonly: true });
    try {
      const worker = role(["worker", "--pool", "traveller", "--prefix", freshPrefix()], cliEnv(server.url));
      await waitFor("the worker ready", async () => /ready/.test(worker.err()), 30_000);
      await server.shutdown();
      const where = `Redis at 127.0.0.1:${server.port}`;
      await waitFor("the worker says Redis is unreachable", async () => worker.err().includes(`${where} is unreachable`), 10_000);
      const t0 = Date.now();
      worker.kill("SIGTERM");
      await waitFor("the stop said", async () => worker.err().includes("stopping while"), 2_000, 20);
      expect(worker.err()).toMatch(
        new RegExp(`^stopping while Redis at 127\\.0\\.0\\.1:${server.port} is unreachable \\(for \\d+ s\\): the clean stop waits for it up to 10 s, then exits 1; another SIGTERM quits at once$`, "m"),
      );
      const { code } = await exited(worker, 20_000);
      expect(code).toBe(1);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(9_000);
      expect(worker.err()).toMatch(
        new RegExp(`^could not stop cleanly within 10 s \\(Redis at 127\\.0\\.0\\.1:${server.port} is unreachable\\): exiting 1; a job this process held is taken up again once its lock lapses$`, "m"),
      );
    } finally {
      await server.stop().catch(() => undefined);
    }
  }, 60_000);

  it("manager, Redis back within the 10 s: the clean stop finishes, exit 0", async () => {
    const server = await startTestRedis({ appendonly: true });
    try {
      const prefix = freshPrefix();
      const manager = role(["manager", "--prefix", prefix], cliEnv(server.url));
      await waitFor("the manager ready", async () => /ready/.test(manager.err()), 30_000);
      await server.shutdown();
      await waitFor("the manager says Redis is unreachable", async () => manager.err().includes(`Redis at 127.0.0.1:${server.port} is unreachable`), 10_000);
      manager.kill("SIGINT");
      await waitFor("the stop said", async () => manager.err().includes("stopping while"), 2_000, 20);
      expect(manager.err()).toContain("then exits 1; Ctrl-C again quits at once");
      await server.restart();
      const { code } = await exited(manager, 20_000);
      expect(code, manager.err()).toBe(0);
      expect(manager.err()).not.toContain("could not stop cleanly");
      // it said goodbye: `dialogue status` shows it stopped, not GONE
      const status = await runCli(["status", "--all", "--json", "--prefix", prefix], cliEnv(server.url));
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout.trim())).toMatchObject({ role: "manager", pid: manager.pid, status: "stopped" });
    } finally {
      await server.stop().catch(() => undefined);
    }
  }, 60_000);
});
