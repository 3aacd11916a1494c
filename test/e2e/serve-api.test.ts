/**
 * `dialogue serve`'s HTTP API, over real HTTP against the test Redis, with the real manager and
 * workers as separate processes: starting a run (every problem of a bad body listed with its
 * path; 401 without the token; a good body runs, and `dialogue list` shows it), reading runs,
 * messages and analyses, the event stream resuming from Last-Event-ID, /healthz following Redis
 * down and up, bull-board's queues and retained jobs (read-only), body limits and bad JSON,
 * secrets kept out, and refusing to listen off loopback without a token.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { cliEnv, runCli, startCli, waitFor } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { startTestRedis } from "../helpers/redis-server.js";
import { startServe, TOKEN, type Served } from "../helpers/serve.js";

const prefix = freshPrefix();
let served: Served;
let redis: Redis;

const GOOD = {
  provider: "simulated",
  scenario: { title: "Over HTTP", premise: "Two people compare notes on trains." },
  agents: [
    { id: "asker", role: "commuter" },
    { id: "answerer", role: "conductor" },
  ],
  limits: { max_turns: 4 },
  simulated: { tokens_per_second: 400, time_to_first_token_ms: 20 },
  openai: { api_key: "sk-test-NEVER-SHOWN" },
};

const post = (path: string, body: unknown, auth = true) =>
  served.api(path, { method: "POST", auth, headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });

beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  served = await startServe(prefix);
}, 30_000);
afterAll(async () => {
  await served?.stop();
  await redis.quit();
});

describe("dialogue serve: a run started with nobody to serve it", () => {
  it("says what it waits for: a manager, a worker for each pool (a person's agent needs none)", async () => {
    const alone = freshPrefix();
    const server = await startServe(alone);
    try {
      const body = { ...GOOD, agents: [...GOOD.agents, { id: "guest", role: "passenger", kind: "human" }] };
      const r = await server.api("/api/conversations", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      expect(r.status).toBe(201);
      const started = (await r.json()) as { id: string; status: string; pools: string[]; waiting_for: string[] };
      expect(started.status).toBe("pending");
      expect(started.pools).toEqual(["asker", "answerer"]);
      expect(started.waiting_for).toEqual([
        `no manager is running against this Redis: the run starts when one does (dialogue manager --prefix ${alone})`,
        `no worker serves pool asker: its turns wait for one (dialogue worker --pool asker --prefix ${alone})`,
        `no worker serves pool answerer: its turns wait for one (dialogue worker --pool answerer --prefix ${alone})`,
      ]);
    } finally {
      await server.stop();
    }
  });
});

describe("dialogue serve: starting runs", () => {
  it("a bad body gets a 400 listing every problem with its path", async () => {
    const r = await post("/api/conversations", { agents: [{ id: "a", role: "x", provider: "nope" }, { id: "b", role: "y" }], limits: { max_turns: -1 }, bogus: 1, redis: { prefix: "elsewhere" } });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { error: string; problems: Array<{ path: string; message: string }> };
    expect(body.error).toBe("invalid_configuration");
    const paths = body.problems.map((p) => p.path);
    for (const p of ["agents.0.provider", "limits.max_turns", "bogus", "redis.prefix"]) expect(paths).toContain(p);
    // the default provider is "auto", which a server that only talks to Redis cannot resolve: said, with the path
    const auto = await post("/api/conversations", { limits: { max_turns: 2 } });
    expect(auto.status).toBe(400);
    expect(((await auto.json()) as { problems: Array<{ path: string }> }).problems.map((p) => p.path)).toContain("provider");
    expect(await new Store(redis, prefix).listIds()).toEqual([]); // nothing was created
  });

  it("a body that sets a file on the server's machine (log.file, embedded.model_file) gets a 400 naming each path and why; left null, it starts", async () => {
    const r = await post("/api/conversations", { ...GOOD, log: { file: "/tmp/run.log" }, embedded: { model_file: "/models/tiny.gguf" } });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { error: string; message: string; problems: Array<{ path: string; message: string }> };
    expect(body.error).toBe("invalid_configuration");
    expect(body.problems).toEqual([
      { path: "log.file", message: expect.stringMatching(/^the server writes no files on its machine .*: leave it out$/) },
      { path: "embedded.model_file", message: expect.stringMatching(/^the server reads no files on its machine; .*the worker's, on its host: leave it out and set it there/) },
    ]);
    expect(body.message).toMatch(/^invalid configuration \(2 problems\): log\.file: .+; embedded\.model_file: .+$/);
    expect(body.message).not.toContain("\n");
    expect(await new Store(redis, prefix).listIds()).toEqual([]); // nothing was created
    // null is the default, not a file: such a body starts (on a server of its own, so this file's runs stay as they are)
    const other = freshPrefix();
    const server = await startServe(other);
    try {
      const ok = await server.api("/api/conversations", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...GOOD, log: { file: null }, embedded: { model_file: null } }) });
      expect(ok.status).toBe(201);
      expect(await new Store(redis, other).listIds()).toHaveLength(1);
    } finally {
      await server.stop();
    }
  });

  it("without the token the same request gets a 401; bad JSON a 400; a body over the limit a 413", async () => {
    expect((await post("/api/conversations", GOOD, false)).status).toBe(401);
    const wrong = await served.api("/api/conversations", { method: "POST", auth: false, headers: { "content-type": "application/json", authorization: "Bearer nope" }, body: JSON.stringify(GOOD) });
    expect(wrong.status).toBe(401);
    const bad = await post("/api/conversations", "{not json");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/JSON/);
    const big = await post("/api/conversations", { ...GOOD, scenario: { title: "x", premise: "y".repeat(300_000) } });
    expect(big.status).toBe(413);
    // each error says what to do
    expect(await big.json()).toMatchObject({ error: "body_too_large", message: expect.stringMatching(/\(at most [\d,]+ bytes: send less\)$/) });
    const text = await served.api("/api/conversations", { method: "POST", headers: { "content-type": "text/plain" }, body: "x" });
    expect(text.status).toBe(415);
    expect(await text.json()).toMatchObject({ error: "unsupported_media_type", message: expect.stringMatching(/\(send JSON, with Content-Type: application\/json\)$/) });
    const none = await served.api("/api/nothing");
    expect(none.status).toBe(404);
    expect(await none.json()).toEqual({ error: "not_found", message: "no route GET /api/nothing (the API's routes: GET /api/openapi.json)" });
    expect(await new Store(redis, prefix).listIds()).toEqual([]);
  });

  it("a good body, with a manager and workers running, starts a run that dialogue list shows; it can be read and followed", async () => {
    const env = cliEnv(testRedisUrl());
    startCli(["manager", "--prefix", prefix, "--log-level", "warn"], env);
    for (const pool of ["asker", "answerer"]) startCli(["worker", "--pool", pool, "--prefix", prefix, "--log-level", "warn"], env);
    // /healthz counts them from their heartbeats once they have reported
    const presence = async () => ((await (await served.api("/healthz", { auth: false })).json()) as { checks: { presence: { ok: boolean; managers: number | null; workers: Record<string, number> | null } } }).checks.presence;
    await waitFor("the manager and workers in /healthz", async () => {
      const p = await presence();
      return p.managers === 1 && p.workers?.asker === 1 && p.workers.answerer === 1;
    }, 20_000, 100);
    expect(await presence()).toMatchObject({ ok: true, managers: 1, workers: { asker: 1, answerer: 1 } });
    const r = await post("/api/conversations", GOOD);
    expect(r.status).toBe(201);
    const started = (await r.json()) as { id: string; pools: string[]; waiting_for: string[]; links: { events: string } };
    expect(started.pools).toEqual(["asker", "answerer"]);
    expect(started.waiting_for).toEqual([]); // the manager and both pools' workers are live
    const store = new Store(redis, prefix);
    await waitFor("the run to end", async () => (await store.get(started.id))?.status === "completed", 60_000, 100);
    const list = await runCli(["list", "--prefix", prefix, "--json"], env);
    expect(list.code).toBe(0);
    const listed = list.stdout.trim().split("\n").map((l) => JSON.parse(l) as { id: string; status: string; turns: number });
    expect(listed).toEqual([expect.objectContaining({ id: started.id, status: "completed", turns: 4 })]);

    // the API agrees with Redis
    const api = (await (await served.api(`/api/conversations?status=max_turns`)).json()) as { conversations: Array<{ id: string; turns: number; tokens_per_second: number | null }> };
    expect(api.conversations.map((c) => c.id)).toEqual([started.id]);
    expect(api.conversations[0]?.tokens_per_second).toBeGreaterThan(0);
    expect(((await (await served.api(`/api/conversations?status=failed`)).json()) as { conversations: unknown[] }).conversations).toEqual([]);
    const badFilter = await served.api(`/api/conversations?since=yesterday`);
    expect(badFilter.status).toBe(400);
    const msgs = (await (await served.api(`/api/conversations/${started.id}/messages?limit=3`)).json()) as { messages: Array<{ metadata: { sequence_number: number } }>; next_from: number };
    expect(msgs.messages.map((m) => m.metadata.sequence_number)).toEqual([1, 2, 3]);
    expect(msgs.next_from).toBe(4);
    expect(msgs.messages).toEqual((await store.readLog(started.id)).slice(0, 3));
    const analysis = await (await served.api(`/api/conversations/${started.id}/analysis`)).json();
    const cli = await runCli(["analyze", started.id, "--json", "--prefix", prefix], env);
    const fromCli = JSON.parse(cli.stdout) as Record<string, unknown>;
    expect({ ...(analysis as Record<string, unknown>), computed_at: 0 }).toEqual({ ...fromCli, computed_at: 0 });
    expect((await served.api(`/api/conversations/20200101-000000-00000`)).status).toBe(404);
    expect((await served.api(`/api/conversations/..%2Fetc`)).status).toBe(400);

    // no secret in any answer: the record, the pages, the event stream
    const texts = await Promise.all(
      [`/api/conversations/${started.id}`, `/runs/${started.id}`, `/runs/${started.id}?live=1`, `/api/conversations`, `/`, `/api/openapi.json`].map(async (p) => (await served.api(p)).text()),
    );
    const events = await sse(`${served.url}${started.links.events}`, null, (t) => t.includes("event: end"));
    for (const t of [...texts, events]) expect(t).not.toContain("sk-test-NEVER-SHOWN");
    expect(texts[0]).toContain('"api_key":"***"');
  }, 90_000);
});

/** reads an event stream until `done(text)`, sending Last-Event-ID when given */
async function sse(url: string, lastEventId: string | null, done: (text: string) => boolean): Promise<string> {
  const ac = new AbortController();
  const r = await fetch(url, { headers: { accept: "text/event-stream", ...(lastEventId ? { "last-event-id": lastEventId } : {}) }, signal: ac.signal });
  expect(r.headers.get("content-type")).toContain("text/event-stream");
  const reader = (r.body as ReadableStream<Uint8Array>).getReader();
  const dec = new TextDecoder();
  let text = "";
  const t = setTimeout(() => ac.abort(), 20_000);
  try {
    while (!done(text)) {
      const { value, done: end } = await reader.read();
      if (end) break;
      text += dec.decode(value, { stream: true });
    }
  } finally {
    clearTimeout(t);
    ac.abort();
  }
  return text;
}

type Ev = { event: string; id: string | null; data: string };
const parseSse = (text: string): Ev[] =>
  text
    .split("\n\n")
    .filter((b) => b.includes("event: "))
    .map((b) => ({
      event: /^event: (.*)$/m.exec(b)?.[1] ?? "",
      id: /^id: (.*)$/m.exec(b)?.[1] ?? null,
      data: b
        .split("\n")
        .filter((l) => l.startsWith("data: "))
        .map((l) => l.slice(6))
        .join("\n"),
    }));

describe("dialogue serve: the event stream", () => {
  it("gives every message once, and a client resuming from Last-Event-ID gets what came after it and nothing twice", async () => {
    const p = freshPrefix();
    const s = await startServe(p);
    try {
      const store = new Store(redis, p);
      const run = startCli(["run", "--provider", "simulated", "--max-turns", "4", "--plain", "--prefix", p, "--set", "simulated.tokens_per_second=150", "--set", "simulated.time_to_first_token_ms=20"], cliEnv(testRedisUrl()));
      const id = await waitFor("the run", async () => (await store.listIds())[0]);
      const url = `${s.url}/api/conversations/${id}/events`;
      // the first client leaves after its second message
      const first = parseSse(await sse(url, null, (t) => (t.match(/event: message/g) ?? []).length >= 2));
      const seen = first.filter((e) => e.event === "message" || e.event === "tokens");
      const last = seen.at(-1) as Ev;
      expect(last.id).toMatch(/^\d+-\d+\/\d+-\d+$/);
      // it comes back with its last id: it gets the rest, nothing it had
      const second = parseSse(await sse(url, last.id, (t) => t.includes("event: end")));
      expect(second.some((e) => e.event === "end")).toBe(true);
      const seqs = [...first, ...second].filter((e) => e.event === "message").map((e) => (JSON.parse(e.data) as { message: { metadata: { sequence_number: number } } }).message.metadata.sequence_number);
      expect(seqs).toEqual([1, 2, 3, 4]);
      const ids = [...seen, ...second.filter((e) => e.id)].map((e) => e.id as string);
      expect(new Set(ids).size).toBe(ids.length);
      // every token chunk of turns 3 and 4 arrived once, in order: they spell the recorded message
      const log = await store.readLog(id);
      for (const seq of [3, 4]) {
        const raw = [...first, ...second]
          .filter((e) => e.event === "tokens")
          .map((e) => JSON.parse(e.data) as { seq: number; text: string })
          .filter((c) => c.seq === seq)
          .map((c) => c.text)
          .join("");
        expect((JSON.parse(raw) as { message: string }).message).toBe(log[seq - 1]?.content.message);
      }
      expect((await exitedCode(run))).toBe(0);
    } finally {
      await s.stop();
    }
  }, 60_000);
});

const exitedCode = async (p: ReturnType<typeof startCli>): Promise<number | null> => (await import("../helpers/cli.js")).exited(p, 30_000).then((r) => r.code);

describe("dialogue serve: health, queues, shutdown, binding", () => {
  it("/healthz reports Redis down within 2 s of it stopping, and up again after it returns", async () => {
    const own = await startTestRedis({ appendonly: false });
    const s = await startServe(freshPrefix(), { redisUrl: own.url });
    try {
      const health = async () => {
        const r = await s.api("/healthz", { auth: false });
        return { status: r.status, body: (await r.json()) as { status: string; checks: { redis: { ok: boolean } } } };
      };
      expect(await health()).toMatchObject({ status: 200, body: { status: "ok", checks: { redis: { ok: true } } } });
      const client = new Redis(own.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      await client.connect();
      await client.call("SHUTDOWN", "NOSAVE").catch(() => undefined);
      client.disconnect();
      const stopped = Date.now();
      await waitFor("healthz to say down", async () => (await health()).status === 503, 5000, 50);
      expect(Date.now() - stopped).toBeLessThanOrEqual(2000);
      expect((await health()).body).toMatchObject({ status: "down", checks: { redis: { ok: false }, presence: { ok: false, managers: null } } });
      await own.restart();
      await waitFor("healthz to say up again", async () => (await health()).status === 200, 10_000, 100);
    } finally {
      await s.stop();
      await own.stop();
    }
  }, 40_000);

  it("/queues is bull-board over the request and response queues and shows a run's retained jobs; read-only", async () => {
    const store = new Store(redis, prefix);
    const [id] = await store.listIds();
    const page = await served.api("/queues", { auth: false });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("__UI_CONFIG__");
    const all = (await (await served.api("/queues/api/queues", { auth: false })).json()) as { queues: Array<{ name: string; readOnlyMode: boolean }> };
    expect(all.queues.map((q) => q.name).sort()).toEqual(["control", "requests.answerer", "requests.asker", "responses.answerer", "responses.asker"]);
    expect(all.queues.every((q) => q.readOnlyMode)).toBe(true);
    const one = (await (await served.api(`/queues/api/queues?activeQueue=requests.asker&status=completed&page=1&jobsPerPage=50`, { auth: false })).json()) as {
      queues: Array<{ name: string; jobs: Array<{ id: string }> }>;
    };
    const jobs = one.queues.find((q) => q.name === "requests.asker")?.jobs.map((j) => j.id) ?? [];
    expect(jobs.sort()).toEqual([`${id}.1`, `${id}.3`]);
    // an action on a read-only board is refused, even with the token
    const retry = await served.api(`/queues/api/queues/requests.asker/${id}.1/retry/completed`, { method: "PUT" });
    expect(retry.status).toBeGreaterThanOrEqual(400);
    expect(await redis.hget(`{${prefix}/asker}:requests.asker:${id}.1`, "finishedOn")).not.toBeNull();
    // and without the token it does not get that far
    expect((await served.api(`/queues/api/queues/requests.asker/${id}.1/retry/completed`, { method: "PUT", auth: false })).status).toBe(401);
  });

  it("refuses to listen off loopback without a token: one line, exit 2; with one, every request needs it", async () => {
    const env = cliEnv(testRedisUrl());
    const r = await runCli(["serve", "--host", "0.0.0.0", "--port", "0", "--prefix", freshPrefix()], env, 20_000);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: refusing to listen on 0\.0\.0\.0 without a token: pass --token/);
    const open = await startServe(freshPrefix(), { args: ["--host", "0.0.0.0"] });
    try {
      expect((await open.api("/api/conversations", { auth: false })).status).toBe(401);
      expect((await open.api("/healthz", { auth: false })).status).toBe(401);
      expect((await open.api("/api/conversations")).status).toBe(200);
      // the token once in a page's address sets a cookie and leaves the address
      const login = await fetch(`${open.url}/?token=${TOKEN}`, { redirect: "manual" });
      expect(login.status).toBe(303);
      expect(login.headers.get("location")).toBe("/");
      const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] as string;
      expect(login.headers.get("set-cookie")).toMatch(/HttpOnly; SameSite=Strict/i);
      expect((await fetch(`${open.url}/`, { headers: { cookie } })).status).toBe(200);
    } finally {
      expect(await open.stop()).toBe(0); // SIGTERM: a clean exit
    }
  }, 40_000);
});
