/**
 * The token. Every request that changes something (POST, PUT, PATCH, DELETE: starting or stopping
 * a run, saying something in one, a bull-board action) needs it; when the server listens on an address other machines can
 * reach, every request does. It is accepted as `Authorization: Bearer <token>`, as the
 * `dialogue_token` cookie, or once as `?token=<token>` on a page, which sets the cookie (HttpOnly,
 * SameSite=Strict) and redirects to the same page without it, so the token leaves the address bar.
 *
 * Cross-site requests cannot use the cookie (SameSite=Strict), and the API takes only JSON bodies,
 * which a cross-site form cannot send.
 */
import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isLoopback, type ServeOptions } from "./context.js";
import { ICON_LINK } from "./html/layout.js";

export const TOKEN_COOKIE = "dialogue_token";
const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function presented(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (h?.startsWith("Bearer ")) return h.slice(7).trim();
  return req.cookies[TOKEN_COOKIE] ?? null;
}

export function installAuth(app: FastifyInstance, options: ServeOptions): void {
  const open = isLoopback(options.host);
  app.addHook("onRequest", async (req: FastifyRequest, reply: FastifyReply) => {
    const url = new URL(req.url, "http://x");
    const fromQuery = url.searchParams.get("token");
    if (fromQuery !== null && req.method === "GET") {
      if (!same(fromQuery, options.token)) return deny(req, reply, "the token in the address is wrong");
      url.searchParams.delete("token");
      void reply
        .setCookie(TOKEN_COOKIE, options.token, { path: "/", httpOnly: true, sameSite: "strict" })
        .redirect(`${url.pathname}${url.search}`, 303);
      return reply;
    }
    if (open && !MUTATING.has(req.method)) return;
    const token = presented(req);
    if (token === null) return deny(req, reply, MUTATING.has(req.method) ? "this request changes something and needs the server's token" : "this server needs its token for every request");
    if (!same(token, options.token)) return deny(req, reply, "the token is wrong");
  });
}

function deny(req: FastifyRequest, reply: FastifyReply, why: string): FastifyReply {
  const hint = "send Authorization: Bearer <token>, or open a page once with ?token=<token> (the token is the one dialogue serve was started with: --token or DIALOGUE_SERVE_TOKEN)";
  void reply.code(401).header("www-authenticate", 'Bearer realm="dialogue"');
  if (req.method === "GET" && (req.headers.accept ?? "").includes("text/html")) {
    return reply.type("text/html; charset=utf-8").send(`<!doctype html><meta charset="utf-8"><title>Token needed</title>${ICON_LINK}<p>${why}.</p><p>Open this page with <code>?token=…</code> added to its address.</p>`);
  }
  return reply.send({ error: "unauthorized", message: `${why}; ${hint}` });
}
