/**
 * `dialogue serve` while its Redis is away: a page or an API request is answered at once with a
 * 503 naming the Redis (host:port, never a password) and what to do, rather than held until Redis
 * is back; /healthz says 503 as before; once Redis answers, the same requests answer again.
 */
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/cli.js";
import { startTestRedis, type TestRedis } from "../helpers/redis-server.js";
import { freshPrefix } from "../helpers/redis.js";
import { startServe, type Served } from "../helpers/serve.js";

let server: TestRedis | null = null;
let served: Served | null = null;
afterEach(async () => {
  await served?.stop();
  await server?.stop();
  served = null;
  server = null;
});

describe("dialogue serve while Redis is away", () => {
  it("answers pages and the API at once with a 503 naming the Redis, and again normally once it is back", async () => {
    server = await startTestRedis({ appendonly: true });
    const prefix = freshPrefix();
    served = await startServe(prefix, { redisUrl: server.url });
    expect((await served.api("/api/conversations")).status).toBe(200);

    await server.shutdown();
    await waitFor("healthz says down", async () => (await served!.api("/healthz")).status === 503, 10_000);

    const t0 = Date.now();
    const api = await served.api("/api/conversations", { signal: AbortSignal.timeout(5000) });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(api.status).toBe(503);
    expect(api.headers.get("retry-after")).toBe("5");
    const body = (await api.json()) as { error: string; message: string };
    expect(body.error).toBe("redis_unavailable");
    expect(body.message).toMatch(new RegExp(`^Redis at 127\\.0\\.0\\.1:${server.port} is unreachable \\(\\w+\\): try again once it answers \\(GET /healthz says when\\)$`));

    const page = await served.api("/", { headers: { accept: "text/html" }, signal: AbortSignal.timeout(5000) });
    expect(page.status).toBe(503);
    const html = await page.text();
    expect(html).toContain("Redis is unreachable");
    expect(html).toContain(`Redis at 127.0.0.1:${server.port} is unreachable`);

    await server.restart();
    await waitFor("the API answers again", async () => (await served!.api("/api/conversations")).status === 200, 20_000);
    expect((await served.api("/", { headers: { accept: "text/html" } })).status).toBe(200);
  }, 60_000);
});
