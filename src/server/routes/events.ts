/**
 * GET /api/conversations/:id/events — Server-Sent Events: the run as it happens, from the same
 * Redis streams the terminal observer reads.
 *
 *   record   {record, html: {story, personas},    on connecting and whenever the record changes (no id);
 *             waiting, now}                        waiting: the person whose turn it is (observer/waiting.ts:
 *                                                  agent_id, name, seq, since, skip_at) or null; now: Redis'
 *                                                  clock (redis/clock.ts) when it was sent, so a browser counts
 *                                                  the seconds left on the clock skip_at is on
 *   message  {message, turn, html}                each recorded message, once, in order; turn: the turn it is (null
 *                                                  for a narrator's remark or a copied message: not turns)
 *   tokens   TokenChunk                           the chunks of the turn being generated
 *   unserved {no_manager, pools, prefix}          while the run goes on: what it waits for, by the processes'
 *                                                  heartbeats (redis/presence.ts unservedBy, read every second
 *                                                  for all pages: live/presence-watch.ts) — no live manager, the
 *                                                  run's pools no live worker serves — on connecting and
 *                                                  whenever it changes; prefix: the one the commands that start
 *                                                  them need (observer/unserved.ts)
 *   end      {record, html}                       the run is over: its final record and analysis
 *
 * Every message and tokens event has the id "<log stream id>/<token stream id>": a client that
 * reconnects (EventSource sends Last-Event-ID by itself; or ?last_event_id=) gets what came after
 * it, nothing twice. A new client gets every message, then the turn in flight.
 */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { agentIndex, analysisSection, htmlMessage, personasSection, storySection } from "../../analysis/export-html.js";
import { isFinal, poolsOfSpec, type ConversationRecord } from "../../protocol/record.js";
import type { DialogMessage } from "../../protocol/schemas.js";
import { waitingFor } from "../../observer/waiting.js";
import { analysisOf } from "../../redis/analysis-store.js";
import { now } from "../../redis/clock.js";
import { unservedBy } from "../../redis/presence.js";
import type { ServerContext } from "../context.js";
import { catchUp, nonTurnsUpTo } from "../live/catch-up.js";
import { turnCounter } from "../../protocol/turn-count.js";
import { decodeCursor, START } from "../live/cursor.js";
import { Outbox } from "../live/outbox.js";
import { redactRecord } from "../redact.js";
import { readRun } from "../runs.js";
import { ErrorSchema, IdParamsSchema } from "../schemas.js";

/** how long a client waits before reconnecting, ms */
const RETRY_MS = 1000;

export const eventsRoutes: FastifyPluginAsync<{ ctx: ServerContext; onStream: (close: () => void) => () => void }> = async (app, { ctx, onStream }) => {
  const { store, hub } = ctx;
  const analysisHtml = new Map<string, string>();
  /** an event's data is made once however many clients get it (the live feed hands each the same objects) */
  const json = new WeakMap<object, string>();
  const once = <T extends object>(o: T, make: (o: T) => unknown): string => {
    let s = json.get(o);
    if (s === undefined) {
      s = JSON.stringify(make(o));
      json.set(o, s);
    }
    return s;
  };

  /** the analysis section of a finished run, computed once per state of its record (never stored: the server only reads) */
  async function endHtml(rec: ConversationRecord): Promise<string> {
    const key = `${rec.spec.id}:${rec.turns}:${rec.status}:${rec.ended_at}`;
    let html = analysisHtml.get(key);
    if (html === undefined) {
      const { analysis } = await analysisOf(store, rec, { readOnly: true });
      html = analysisSection(analysis, { summary: true });
      analysisHtml.set(key, html);
      if (analysisHtml.size > 50) analysisHtml.delete(analysisHtml.keys().next().value as string);
    }
    return html;
  }

  app.withTypeProvider<ZodTypeProvider>().get(
    "/api/conversations/:id/events",
    {
      // data is JSON already (made once per event, see once()), anything else is serialized here
      sse: { kind: "only", heartbeat: true, serializer: (d: unknown) => (typeof d === "string" ? d : JSON.stringify(d)) },
      schema: {
        summary: "follow a conversation live (Server-Sent Events)",
        description:
          "Events: record {record, html, waiting, now} (waiting: the person whose turn it is, with skip_at on the clock of now), message {message, turn, html} (turn: the turn it is; null for a narrator's remark or a copied message, which are not turns), tokens (a token chunk), unserved {no_manager, pools, prefix} (while the run goes on, on connecting and whenever it changes: whether no manager is live, and the run's pools no live worker serves — their turns wait until one starts: dialogue worker --pool <pool>), end {record, html}. Message and tokens events carry the id <log stream id>/<token stream id>; reconnect with Last-Event-ID (or ?last_event_id=) to resume after it.",
        tags: ["conversations"],
        params: IdParamsSchema,
        querystring: z.object({ last_event_id: z.string().max(100).optional().describe("resume after this event id (when the Last-Event-ID header cannot be set)") }),
        response: { 404: ErrorSchema },
      },
    },
    async (req, reply) => {
      const id = req.params.id;
      // a run whose processes are gone is told as what it is, abandoned, and ended (runs.ts readRun)
      const first = await readRun(store, id);
      if (!first) return reply.code(404).send({ error: "not_found", message: `no conversation ${id}` });
      const cursor = decodeCursor(reply.sse.lastEventId ?? req.query.last_event_id) ?? { ...START };
      const index = agentIndex(first);
      // each message is marked by its turn: a browser resuming has the messages up to its cursor, and their remarks
      const placeIn = turnCounter(cursor.log === START.log ? 0 : await nonTurnsUpTo(store, id, cursor.log));
      const out = new Outbox(reply.sse, cursor, {
        message: (m: DialogMessage) => {
          const place = placeIn(m);
          return once(m, () => ({ message: m, turn: place.kind === "turn" ? place.turn : null, html: htmlMessage(m, index.get(m.metadata.agent_id) ?? 0, [], first.spec.turn_order, place) }));
        },
        tokens: (c) => once(c, (x) => x),
        record: (r) => ({
          record: redactRecord(r),
          html: { story: r.story ? storySection(r) : null, personas: r.personas ? personasSection(r) : null },
          waiting: waitingFor(r),
          now: now(),
        }),
      });
      reply.sse.keepAlive();
      const unregister = onStream(() => reply.sse.close());
      reply.sse.onClose(unregister);
      await reply.sse.send({ retry: RETRY_MS, data: "{}", event: "hello" });

      // join the live feed first (its events wait here), catch up to where it was, then go live
      let live = false;
      const waiting: Array<() => void> = [];
      let unwatch = (): void => undefined;
      const finish = (rec: ConversationRecord | null, error: string | null): void => {
        unwatch();
        if (error || !rec) {
          out.end(async () => ({ record: null, error: error ?? "the conversation is gone", html: null }));
        } else {
          out.end(async () => ({ record: redactRecord(rec), html: await endHtml(rec) }));
        }
        // the client closes on "end"; if it does not, the server does
        void out.flushed().then(() => setTimeout(() => reply.sse.close(), 1000).unref());
      };
      const joined = isFinal(first.status)
        ? null
        : await hub.join(id, {
            event: (e) => (live ? out.entry(e) : waiting.push(() => out.entry(e))),
            end: (rec, error) => (live ? finish(rec, error) : waiting.push(() => finish(rec, error))),
          });
      if (joined) reply.sse.onClose(joined.leave);
      out.record((await store.get(id)) ?? first);
      // what the run waits for (no live manager, a pool no live worker serves): said when it changes
      if (joined) {
        const pools = poolsOfSpec(first.spec);
        let said: string | null = null;
        unwatch = ctx.presence.subscribe((processes) => {
          const u = unservedBy(processes, pools);
          const key = JSON.stringify(u);
          if (key === said) return;
          said = key;
          out.note("unserved", { ...u, prefix: ctx.config.redis.prefix });
        });
        reply.sse.onClose(unwatch);
        if (!reply.sse.isConnected) unwatch(); // gone before it could be told
      }
      try {
        await catchUp(store, id, { ...cursor }, joined?.position ?? { log: "+", tokens: "+" }, (e) => out.entry(e));
      } catch (err) {
        req.log.warn({ err, id }, "catching up failed");
        reply.sse.close();
        return;
      }
      for (const w of waiting) w();
      live = true;
      if (!joined) {
        const rec = (await store.get(id)) ?? first;
        finish(rec, null);
      }
    },
  );
};
