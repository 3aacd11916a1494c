/**
 * /queues — bull-board over the project's queues: the control queue, and a request and a response
 * queue per pool in use (names from protocol/keys.ts, through Queues). Read-only unless the server
 * was started with --queues-writable. Pools that appear later (a new run's agents) are added as
 * the board is opened.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { FastifyAdapter } from "@bull-board/fastify";
import type { Queue } from "bullmq";
import type { FastifyPluginAsync } from "fastify";
import type { ServerContext } from "../context.js";

export const QUEUES_PREFIX = "/queues";
/** bull-board's link to Google's fonts */
const FONTS_LINK = /<link[^>]+href="https:\/\/fonts\.(googleapis|gstatic)\.com[^>]*>\s*/g;
/** pools are looked up again at most this often, ms */
const REFRESH_MS = 1000;

export const queuesRoutes: FastifyPluginAsync<{ ctx: ServerContext }> = async (app, { ctx }) => {
  const { queues, store, options } = ctx;
  const readOnlyMode = !options.queuesWritable;
  const adapter = (q: Queue) => new BullMQAdapter(q, { readOnlyMode, allowRetries: !readOnlyMode });
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUES_PREFIX);
  const shown = new Set<string>();
  const board = createBullBoard({
    queues: [adapter(queues.control())],
    serverAdapter,
    options: {
      uiBasePath: path.dirname(createRequire(import.meta.url).resolve("@bull-board/ui/package.json")),
      uiConfig: { boardTitle: `dialogue · ${store.keys.prefix}` },
    },
  });
  shown.add(queues.control().name);

  let checked = 0;
  const refresh = async (): Promise<void> => {
    if (Date.now() - checked < REFRESH_MS) return;
    checked = Date.now();
    for (const pool of (await store.pools()).sort()) {
      for (const q of [queues.requests(pool), queues.responses(pool)]) {
        if (shown.has(q.name)) continue;
        shown.add(q.name);
        board.addQueue(adapter(q));
      }
    }
  };
  await refresh();
  app.addHook("onRequest", async () => {
    await refresh();
  });
  // bull-board's page links its fonts from Google: the dashboard reaches nothing off this server
  // (its policy would block the request and say so in the console), so the link is taken out and
  // the page uses the browser's fonts
  app.addHook("onSend", async (_req, reply, payload) => {
    if (typeof payload !== "string" || !String(reply.getHeader("content-type") ?? "").startsWith("text/html")) return payload;
    return payload.replace(FONTS_LINK, "");
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: QUEUES_PREFIX });
};
