/**
 * Response headers every page and answer carries: a strict Content-Security-Policy (scripts only
 * from this server, no inline script or event handler — so even HTML that slipped past escaping
 * could not run), no sniffing, no framing, no referrer (a page address may carry the token once).
 * bull-board's UI (under /queues) sets inline styles, so its policy allows those, and nothing else.
 */
import type { FastifyInstance } from "fastify";

const BASE = ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "img-src 'self' data:", "font-src 'self' data:", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'self'"];
export const CSP = [...BASE, "style-src 'self'"].join("; ");
export const QUEUES_CSP = [...BASE, "style-src 'self' 'unsafe-inline'"].join("; ");

export function installSecurityHeaders(app: FastifyInstance, queuesPrefix: string): void {
  app.addHook("onSend", async (req, reply, payload) => {
    const queues = req.url === queuesPrefix || req.url.startsWith(`${queuesPrefix}/`);
    void reply.header("content-security-policy", queues ? QUEUES_CSP : CSP);
    void reply.header("x-content-type-options", "nosniff");
    void reply.header("x-frame-options", "DENY");
    void reply.header("referrer-policy", "no-referrer");
    return payload;
  });
}
