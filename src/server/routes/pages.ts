/**
 * The pages: / (the runs, with the filters of `dialogue list`), /runs/:id (live while the run goes
 * on, its analysis once it is over), /compare?ids=a,b (several runs side by side), and the runs
 * table alone (/fragments/runs) that the runs page fetches to stay live. Server-rendered HTML;
 * the live page's script follows the run over Server-Sent Events.
 */
import { Readable } from "node:stream";
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { DialogueError } from "../../errors/index.js";
import { isSafeId } from "../../protocol/keys.js";
import { isFinal } from "../../protocol/record.js";
import { analysisOf } from "../../redis/analysis-store.js";
import type { Analysis } from "../../analysis/schema.js";
import type { ServerContext } from "../context.js";
import { comparePage, finishedPage, livePage, runRows, runsPage } from "../html/pages.js";
import { redactRecord } from "../redact.js";
import { listRuns } from "../runs.js";
import { IdParamsSchema, ListQuerySchema } from "../schemas.js";

const HTML = "text/html; charset=utf-8";

/**
 * the runs page's filters as its form sends them: a field left empty ("any", no model, no date,
 * no number) is no filter, not a bad value
 */
const blank = (v: unknown): unknown => (v === "" ? undefined : v);
const PageListQuerySchema = z.object({
  status: z.preprocess(blank, ListQuerySchema.shape.status),
  model: z.preprocess(blank, ListQuerySchema.shape.model),
  since: z.preprocess(blank, ListQuerySchema.shape.since),
  limit: z.preprocess(blank, ListQuerySchema.shape.limit),
});

export const pageRoutes: FastifyPluginAsync<{ ctx: ServerContext }> = async (app, { ctx }) => {
  const { store } = ctx;
  const web = app.withTypeProvider<ZodTypeProvider>();
  const hide = { hide: true };

  /** a bad `since` is said on the page, not a bare 400 */
  const runs = async (q: z.infer<typeof ListQuerySchema>) => {
    try {
      return { ...(await listRuns(store, q)), error: null };
    } catch (err) {
      if (err instanceof DialogueError) return { conversations: [], unreadable: [], error: `${err.message}${err.hint ? ` (${err.hint})` : ""}` };
      throw err;
    }
  };

  web.get("/", { schema: { ...hide, querystring: PageListQuerySchema } }, async (req, reply) => {
    const r = await runs(req.query);
    return reply.type(HTML).send(runsPage(r.conversations, req.query, r.error));
  });

  web.get("/fragments/runs", { schema: { ...hide, querystring: PageListQuerySchema } }, async (req, reply) => {
    const r = await runs(req.query);
    return reply.type(HTML).send(runRows(r.conversations));
  });

  web.get(
    "/runs/:id",
    { schema: { ...hide, params: IdParamsSchema, querystring: z.object({ live: z.string().optional() }) } },
    async (req, reply) => {
      const found = await store.get(req.params.id);
      if (!found) return reply.code(404).type(HTML).send(`<!doctype html><meta charset="utf-8"><title>Not found</title><p>No conversation ${req.params.id}. <a href="/">All runs</a></p>`);
      const rec = redactRecord(found);
      if (!isFinal(rec.status) || req.query.live !== undefined) return reply.type(HTML).send(livePage(rec));
      const { analysis } = await analysisOf(store, found, { readOnly: true });
      return reply.type(HTML).send(Readable.from(finishedPage(rec, analysis, store.pages(rec.spec.id))));
    },
  );

  web.get(
    "/compare",
    { schema: { ...hide, querystring: z.object({ ids: z.union([z.string(), z.array(z.string())]).optional() }) } },
    async (req, reply) => {
      const raw = req.query.ids === undefined ? [] : Array.isArray(req.query.ids) ? req.query.ids : [req.query.ids];
      const ids = [...new Set(raw.flatMap((s) => s.split(/[\s,]+/)).filter((s) => s !== ""))].slice(0, 20);
      const analyses: Analysis[] = [];
      const missing: string[] = [];
      for (const id of ids) {
        const rec = isSafeId(id) ? await store.get(id) : null;
        if (!rec) missing.push(id);
        else analyses.push((await analysisOf(store, rec, { readOnly: true })).analysis);
      }
      return reply.type(HTML).send(comparePage(analyses, missing));
    },
  );
};
