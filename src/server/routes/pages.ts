/**
 * The pages: / (the runs, with the filters of `dialogue list`), /runs/:id (live while the run goes
 * on, its analysis once it is over), /compare?ids=a,b (several runs side by side), and the runs
 * table alone (/fragments/runs) that the runs page fetches to stay live. Server-rendered HTML;
 * the live page's script follows the run over Server-Sent Events. Bad input in a page's address
 * gets a page too (html/errors.ts), not the API's JSON.
 */
import { Readable } from "node:stream";
import type { FastifyError, FastifyPluginAsync } from "fastify";
import { hasZodFastifySchemaValidationErrors, type ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { DialogueError } from "../../errors/index.js";
import { isSafeId } from "../../protocol/keys.js";
import { isFinal, type ConversationRecord } from "../../protocol/record.js";
import { analysisOf } from "../../redis/analysis-store.js";
import type { Analysis } from "../../analysis/schema.js";
import type { ServerContext } from "../context.js";
import { badAddressPage, notFoundPage, type AddressProblem } from "../html/errors.js";
import { comparePage, comparePicker, finishedPage, livePage, runRows, runsPage } from "../html/pages.js";
import { redactRecord } from "../redact.js";
import { listItem, listRuns, readRun } from "../runs.js";
import { IdParamsSchema, ListQuerySchema, ListStatusSchema } from "../schemas.js";

const HTML = "text/html; charset=utf-8";
/** how many of the newest runs compare offers to pick from when it has fewer than two */
const PICK_FROM = 20;

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

const { limit, model, since } = ListQuerySchema.shape;
/** what each field of a page's address must be, named as the runs page's form names it */
const FIELDS: Readonly<Record<string, string>> = {
  limit: `"how many" (limit) is a whole number from ${limit.unwrap().minValue} to ${limit.unwrap().maxValue}`,
  status: `"status or stop reason" (status) is one of ${ListStatusSchema.options.join(", ")}, or empty for any`,
  model: `"model or provider" (model) is at most ${model.unwrap().maxLength} characters`,
  since: `"since" is an age (7d, 12h, 30m) or a date (2026-11-01), at most ${since.unwrap().maxLength} characters`,
  id: "a conversation id looks like 20261121-143005-k3f9a",
};

export const pageRoutes: FastifyPluginAsync<{ ctx: ServerContext }> = async (app, { ctx }) => {
  const { store } = ctx;
  const web = app.withTypeProvider<ZodTypeProvider>();
  const hide = { hide: true };

  // bad input in a page's address gets a page saying what is wrong and the way back (this
  // plugin's routes only; any other error goes on to the app's handler, and the API's routes
  // keep their JSON errors)
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (!hasZodFastifySchemaValidationErrors(err)) throw err;
    const url = new URL(req.url, "http://x");
    const inPath = err.validationContext === "params";
    const problems: AddressProblem[] = err.validation.map((v) => {
      const field = v.instancePath.split("/").find(Boolean) ?? "";
      const given = inPath ? String((req.params as Record<string, unknown>)[field] ?? "") : url.searchParams.getAll(field).join(",");
      return { field, given, fix: FIELDS[field] ?? v.message ?? "invalid" };
    });
    for (const p of problems) url.searchParams.delete(p.field);
    return reply
      .code(400)
      .type(HTML)
      .send(badAddressPage(problems, inPath ? "/" : `${url.pathname}${url.search}`));
  });

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
      // a run whose processes are gone is shown as what it is: abandoned (runs.ts readRun)
      const found = await readRun(store, req.params.id);
      if (!found) return reply.code(404).type(HTML).send(notFoundPage(`conversation ${req.params.id}`));
      const rec = redactRecord(found);
      if (!isFinal(rec.status) || req.query.live !== undefined) return reply.type(HTML).send(livePage(rec, ctx.config.redis.prefix));
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
      const found: ConversationRecord[] = [];
      const missing: string[] = [];
      for (const id of ids) {
        const rec = isSafeId(id) ? await readRun(store, id) : null;
        if (!rec) missing.push(id);
        else found.push(rec);
      }
      if (found.length < 2) {
        // nothing to compare yet: why, and the runs to pick from, the picked ones ticked
        const recent = await listRuns(store, { limit: PICK_FROM });
        return reply.type(HTML).send(comparePicker(await Promise.all(found.map(async (r) => listItem(r, await store.endOf(r)))), recent.conversations, missing));
      }
      const analyses: Analysis[] = [];
      for (const rec of found) analyses.push((await analysisOf(store, rec, { readOnly: true })).analysis);
      return reply.type(HTML).send(comparePage(analyses, missing));
    },
  );
};
