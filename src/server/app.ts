/**
 * The web server of `dialogue serve`: Fastify with its plugins — zod schemas for validation,
 * serialization and the OpenAPI document (@fastify/swagger, /api/openapi.json), Server-Sent Events
 * (@fastify/sse), cookies for the token (@fastify/cookie), bull-board at /queues — and a plugin per
 * resource (routes/*.ts). An observer: it reads Redis, and writes only what a user asks for.
 */
import cookie from "@fastify/cookie";
import { fastifySSE } from "@fastify/sse";
import swagger from "@fastify/swagger";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from "fastify";
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import { ConflictError, DialogueError } from "../errors/index.js";
import { installAuth } from "./auth.js";
import { notFoundPage, unavailablePage } from "./html/errors.js";
import { isCluster, type RedisClient } from "../redis/cluster.js";
import type { ServerContext } from "./context.js";
import { assetRoutes } from "./routes/assets.js";
import { conversationRoutes } from "./routes/conversations.js";
import { eventsRoutes } from "./routes/events.js";
import { healthRoutes } from "./routes/health.js";
import { pageRoutes } from "./routes/pages.js";
import { QUEUES_PREFIX, queuesRoutes } from "./routes/queues.js";
import { installSecurityHeaders } from "./security.js";

export interface App {
  app: FastifyInstance;
  /** ends every open event stream (before the server closes) */
  closeStreams(): void;
}

/** which Redis, host:port only (never a password) */
function redisWhere(c: RedisClient): string {
  if (isCluster(c)) return `the Redis Cluster at ${c.nodes().map((n) => `${n.options.host}:${n.options.port}`).join(",")}`;
  return `Redis at ${c.options.host ?? "127.0.0.1"}:${c.options.port ?? 6379}`;
}

export async function buildApp(ctx: ServerContext): Promise<App> {
  const app = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: ctx.options.bodyLimit,
    // on close: event streams are ended in preClose, then every connection left is closed (an
    // observer has nothing to lose by cutting a request short)
    forceCloseConnections: true,
    routerOptions: { ignoreTrailingSlash: true },
  });
  // bodies are JSON only (a cross-site form cannot send JSON)
  app.removeContentTypeParser("text/plain");
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? "request";
      const problems = err.validation.map((v) => ({
        path: [where, ...v.instancePath.split("/").filter(Boolean)].join("."),
        message: v.message ?? "invalid",
      }));
      return reply.code(400).send({ error: "bad_request", message: problems.map((p) => `${p.path}: ${p.message}`).join("; "), problems });
    }
    if (err instanceof DialogueError) {
      // bad input as the CLI says it: 400; bad only because of where things stand: 409; not found: 404
      const code = err instanceof ConflictError ? 409 : err.exitCode === 3 ? 404 : err.exitCode === 2 ? 400 : 500;
      const error = { 400: "bad_request", 404: "not_found", 409: "conflict" }[code as 400 | 404 | 409] ?? "error";
      if (code === 500) req.log.error({ err, url: req.url }, "request failed");
      return reply.code(code).send({ error, message: `${err.message}${err.hint ? ` (${err.hint})` : ""}` });
    }
    const status = err.statusCode ?? 500;
    if (status >= 500) req.log.error({ err, url: req.url }, "request failed");
    // 4xx from Fastify itself: bad JSON, a body over the limit, a wrong content type — each with its fix
    const fix =
      status === 413
        ? ` (at most ${ctx.options.bodyLimit.toLocaleString("en-US")} bytes: send less)`
        : status === 415
          ? " (send JSON, with Content-Type: application/json)"
          : err.code === "FST_ERR_CTP_EMPTY_JSON_BODY"
            ? " (send {} or no Content-Type header)"
            : "";
    const message = status >= 500 ? "internal error (see the server's log)" : `${err.message}${fix}`;
    return reply.code(status).send({ error: status === 413 ? "body_too_large" : status === 415 ? "unsupported_media_type" : status >= 500 ? "error" : "bad_request", message });
  });

  // no such route: a page saying so for a browser asking for a page, the API's JSON error for the rest
  app.setNotFoundHandler((req, reply) => {
    const path = new URL(req.url, "http://x").pathname;
    if (req.method === "GET" && !path.startsWith("/api/") && (req.headers.accept ?? "").includes("text/html")) {
      return reply.code(404).type("text/html; charset=utf-8").send(notFoundPage(`page ${path}`));
    }
    return reply.code(404).send({ error: "not_found", message: `no route ${req.method} ${path} (the API's routes: GET /api/openapi.json)` });
  });

  await app.register(cookie);
  await app.register(fastifySSE, { heartbeatInterval: 15_000 });
  // while Redis is away, a request that needs it is answered at once — 503, one line, Retry-After —
  // rather than held until Redis is back (a browser would spin): /healthz says so too; a page's
  // event stream waits for Redis as before (EventSource does not retry a 503); the assets need none
  app.addHook("onRequest", async (req, reply) => {
    if (ctx.redis.status === "ready") return;
    const path = new URL(req.url, "http://x").pathname;
    if (path === "/healthz" || path === "/favicon.ico" || path.startsWith("/assets/") || path === "/api/openapi.json" || path.endsWith("/events")) return;
    const message = `${redisWhere(ctx.redis)} is unreachable (${ctx.redis.status}): try again once it answers (GET /healthz says when)`;
    reply.header("retry-after", "5");
    if (req.method === "GET" && !path.startsWith("/api/") && (req.headers.accept ?? "").includes("text/html")) {
      return reply.code(503).type("text/html; charset=utf-8").send(unavailablePage(message));
    }
    return reply.code(503).send({ error: "redis_unavailable", message });
  });
  installAuth(app, ctx.options);
  installSecurityHeaders(app, QUEUES_PREFIX);
  await app.register(swagger, {
    openapi: {
      info: {
        title: "DialogueLLM",
        version: "0.1.0",
        description:
          "Timed conversations between LLMs over Redis: list, read, follow, start and stop them, and say something in them (as a person taking part, or a narrator). Requests that change something need the token (Authorization: Bearer <token>); a server bound to a non-loopback address needs it for every request.",
      },
      components: { securitySchemes: { token: { type: "http", scheme: "bearer" } } },
    },
    transform: jsonSchemaTransform,
  });

  const streams = new Set<() => void>();
  const onStream = (close: () => void): (() => void) => {
    streams.add(close);
    return () => streams.delete(close);
  };
  await app.register(healthRoutes, { ctx });
  await app.register(conversationRoutes, { ctx });
  await app.register(eventsRoutes, { ctx, onStream });
  await app.register(pageRoutes, { ctx });
  await app.register(assetRoutes);
  await app.register(queuesRoutes, { ctx });
  app.get("/api/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  app.addHook("preClose", async () => {
    ctx.hub.close();
    ctx.presence.close();
    for (const close of streams) close();
  });
  return {
    app,
    closeStreams: () => {
      for (const close of streams) close();
    },
  };
}
