import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import {
  defaultDataDir,
  ensureManagedRedis,
  findRedisServer,
  RedisServerMissingError,
  stopManagedRedis,
} from "../../src/redis/managed.js";
import { getFreePort } from "../helpers/redis-server.js";

const dataDir = mkdtempSync(join(tmpdir(), "dialogue-managed-"));

afterAll(async () => {
  await stopManagedRedis({ dataDir });
  rmSync(dataDir, { recursive: true, force: true });
});

async function withClient<T>(url: string, fn: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.quit();
  }
}

describe("managed redis-server", () => {
  it("starts a daemonized server, reuses it, and keeps data across stop and start (AOF)", async () => {
    const port = await getFreePort();

    const first = await ensureManagedRedis({ dataDir, port });
    expect(first).toMatchObject({ started: true, port, dataDir, url: `redis://127.0.0.1:${port}` });
    expect(first.pid).toBeGreaterThan(0);
    const state = JSON.parse(readFileSync(join(dataDir, "managed.json"), "utf8"));
    expect(state).toMatchObject({ port, pid: first.pid, url: first.url });
    expect(typeof state.started_at).toBe("string");

    await withClient(first.url, async (client) => {
      await client.set("managed:test", "survives");
      expect(await client.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
    });
    expect(readdirSync(join(dataDir, "appendonlydir")).some((file) => file.includes(".aof"))).toBe(true);

    const second = await ensureManagedRedis({ dataDir, port });
    expect(second).toMatchObject({ started: false, pid: first.pid, port, url: first.url });

    expect(await stopManagedRedis({ dataDir })).toBe(true);
    expect(existsSync(join(dataDir, "managed.json"))).toBe(false);
    expect(await stopManagedRedis({ dataDir })).toBe(false);

    const third = await ensureManagedRedis({ dataDir, port });
    expect(third.started).toBe(true);
    expect(third.pid).not.toBe(first.pid);
    await withClient(third.url, async (client) => {
      expect(await client.get("managed:test")).toBe("survives");
    });
  });

  it("refuses a port held by another Redis or by something else, naming the config key", async () => {
    const ours = await ensureManagedRedis({ dataDir, port: await getFreePort() });
    const otherDir = mkdtempSync(join(tmpdir(), "dialogue-managed-other-"));
    const silent = createServer(() => {}); // accepts connections, never answers
    try {
      await expect(ensureManagedRedis({ dataDir: otherDir, port: ours.port })).rejects.toThrow(
        new RegExp(`^port ${ours.port} is in use by another Redis.*redis\\.managed\\.port`),
      );
      const port = await getFreePort();
      await new Promise<void>((done) => silent.listen(port, "127.0.0.1", done));
      await expect(ensureManagedRedis({ dataDir: otherDir, port })).rejects.toThrow(
        new RegExp(`^port ${port} is in use by something that is not Redis.*redis\\.managed\\.port`),
      );
    } finally {
      silent.close();
      rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it("reports a missing binary in one line with install hints", async () => {
    expect(findRedisServer("definitely-not-here")).toBeNull();
    expect(findRedisServer()).toMatch(/^\//);

    const otherDir = mkdtempSync(join(tmpdir(), "dialogue-managed-missing-"));
    try {
      const error = await ensureManagedRedis({
        dataDir: otherDir,
        port: await getFreePort(),
        redisServerBin: "definitely-not-here",
      }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RedisServerMissingError);
      const message = (error as Error).message;
      expect(message).not.toContain("\n");
      expect(message).toContain("apt-get");
      expect(message).toContain("brew");
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it("defaults the data dir to XDG_DATA_HOME, else ~/.local/share", () => {
    expect(defaultDataDir({ XDG_DATA_HOME: "/xdg" })).toBe("/xdg/dialogue-llm/redis");
    expect(defaultDataDir({ HOME: "/home/u" })).toBe("/home/u/.local/share/dialogue-llm/redis");
    expect(defaultDataDir({ HOME: "/home/u", XDG_DATA_HOME: "relative" })).toBe("/home/u/.local/share/dialogue-llm/redis");
  });
});
