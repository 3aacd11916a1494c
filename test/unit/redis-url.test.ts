import { describe, expect, it } from "vitest";
import { parseRedisUrl } from "../../src/redis/cluster.js";

describe("parseRedisUrl: one node, or a cluster named by several", () => {
  it("one node: host, port (6379 by default), database, credentials, TLS", () => {
    expect(parseRedisUrl("redis://127.0.0.1:6379")).toEqual({ nodes: [{ host: "127.0.0.1", port: 6379 }], tls: false, username: undefined, password: undefined, db: 0 });
    expect(parseRedisUrl("rediss://user:p%40ss@redis.example/2")).toEqual({ nodes: [{ host: "redis.example", port: 6379 }], tls: true, username: "user", password: "p@ss", db: 2 });
    expect(parseRedisUrl("redis://[::1]:7000").nodes).toEqual([{ host: "::1", port: 7000 }]);
  });

  it("several nodes: scheme and credentials once, later parts host:port or whole URLs", () => {
    const p = parseRedisUrl("redis://:secret@10.0.0.1:7000,10.0.0.2:7001, redis://10.0.0.3:7002");
    expect(p.nodes).toEqual([
      { host: "10.0.0.1", port: 7000 },
      { host: "10.0.0.2", port: 7001 },
      { host: "10.0.0.3", port: 7002 },
    ]);
    expect(p.password).toBe("secret");
    expect(p.tls).toBe(false);
    expect(parseRedisUrl("rediss://a:7000,b:7000").tls).toBe(true);
  });

  it("says what is wrong, never echoing a password", () => {
    expect(() => parseRedisUrl("http://x:1")).toThrow(/must start with redis:\/\/ or rediss:\/\//);
    expect(() => parseRedisUrl("redis://a:1,,b:2")).toThrow(/empty node/);
    expect(() => parseRedisUrl("redis://a:1/x")).toThrow(/names database "x"/);
    let message = "";
    try {
      parseRedisUrl("redis://:hunter2@a:1,redis://:hunter2@b:notaport");
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/not host:port/);
    expect(message).not.toContain("hunter2");
  });
});
