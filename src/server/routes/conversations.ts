/**
 * /api/conversations — the runs: list (the filters of `dialogue list`), one run, its messages, its
 * analysis; start one (the CLI's configuration and validation), stop one (as `dialogue stop`), and
 * say something in one (as `dialogue say`: manager/say.ts, the same checks and the same job).
 *
 * Reads: the index, record(ID), log(ID), analysis(ID). Writes only what a user asks for: a new
 * run (record, index, the start job), a stop (the record's status, the abort notice, a finalize
 * job) and what is said (a say job on the control queue). An analysis computed here is never
 * stored.
 */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { say, saidText } from "../../manager/say.js";
import { requestStop } from "../../manager/stop.js";
import { analysisOf } from "../../redis/analysis-store.js";
import { now } from "../../redis/clock.js";
import type { ServerContext } from "../context.js";
import { isFinal, poolsOfSpec, type ConversationRecord, type ConversationSpec } from "../../protocol/record.js";
import { alreadyEndedText } from "../../observer/already-ended.js";
import { prefixFlag } from "../../observer/commands.js";
import { waitingForLines } from "../../observer/unserved.js";
import { lackingOf, unservedNow, unservedPools, type UnservedPool } from "../../cli/lacking.js";
import { redactRecord } from "../redact.js";
import { listRuns, readRun } from "../runs.js";
import {
  AnalysisSchema,
  ConversationResponseSchema,
  ErrorSchema,
  IdParamsSchema,
  ListQuerySchema,
  ListResponseSchema,
  MessagesQuerySchema,
  MessagesResponseSchema,
  SayBodySchema,
  SayResponseSchema,
  StartBodySchema,
  StartResponseSchema,
  StopResponseSchema,
} from "../schemas.js";
import { startFromRequest } from "../start.js";

const links = (id: string) => ({
  page: `/runs/${id}`,
  conversation: `/api/conversations/${id}`,
  messages: `/api/conversations/${id}/messages`,
  analysis: `/api/conversations/${id}/analysis`,
  events: `/api/conversations/${id}/events`,
});

const notFound = (id: string) => ({ error: "not_found", message: `no conversation ${id}; see GET /api/conversations` });

/** the body is validated as the CLI validates a config file (start.ts), so every problem is listed with its path */
const objectOnly = () => (data: unknown) =>
  data !== null && typeof data === "object" && !Array.isArray(data)
    ? { value: data }
    : { error: Object.assign(new Error("the body must be a JSON object (a configuration document)"), { statusCode: 400, code: "bad_request" }) };

export const conversationRoutes: FastifyPluginAsync<{ ctx: ServerContext }> = async (app, { ctx }) => {
  const { store, queues } = ctx;
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get(
    "/api/conversations",
    {
      schema: {
        summary: "list retained conversations, newest first (the filters of dialogue list)",
        tags: ["conversations"],
        querystring: ListQuerySchema,
        response: { 200: ListResponseSchema, 400: ErrorSchema },
      },
    },
    async (req) => listRuns(store, req.query),
  );

  api.get(
    "/api/conversations/:id",
    {
      schema: {
        summary: "a conversation's record, and what a run going on lacks to go on",
        description:
          "A run no live manager drives any more (its lease ran out) is finalized as abandoned as it is read, as dialogue show does. Of a run going on, waiting_for and unserved_pools say what it lacks by the processes' heartbeats (no live manager, a pool no live worker serves), as dialogue show --json does; empty for a run that is over.",
        tags: ["conversations"],
        params: IdParamsSchema,
        response: { 200: ConversationResponseSchema, 404: ErrorSchema },
      },
    },
    async (req, reply) => {
      const rec = await readRun(store, req.params.id);
      if (!rec) return reply.code(404).send(notFound(req.params.id));
      const { page, messages, analysis, events } = links(req.params.id);
      return { record: redactRecord(rec), ...(await lackingOf(store, rec, prefixFlag(ctx.config.redis.prefix))), links: { page, messages, analysis, events } };
    },
  );

  api.get(
    "/api/conversations/:id/messages",
    {
      schema: {
        summary: "a conversation's messages, with their metadata, a page at a time",
        tags: ["conversations"],
        params: IdParamsSchema,
        querystring: MessagesQuerySchema,
        response: { 200: MessagesResponseSchema, 404: ErrorSchema },
      },
    },
    async (req, reply) => {
      if (!(await store.exists(req.params.id))) return reply.code(404).send(notFound(req.params.id));
      const { from, limit } = req.query;
      const page = await store.readLog(req.params.id, from, undefined, limit + 1);
      const messages = page.slice(0, limit);
      const last = messages.at(-1)?.metadata.sequence_number;
      return { messages, next_from: page.length > limit && last !== undefined ? last + 1 : null };
    },
  );

  api.get(
    "/api/conversations/:id/analysis",
    {
      schema: {
        summary: "a conversation's analysis (as dialogue analyze <id> --json): the stored one, or computed from the log",
        tags: ["conversations"],
        params: IdParamsSchema,
        response: { 200: AnalysisSchema, 404: ErrorSchema },
      },
    },
    async (req, reply) => {
      const rec = await readRun(store, req.params.id);
      if (!rec) return reply.code(404).send(notFound(req.params.id));
      return (await analysisOf(store, rec, { readOnly: true })).analysis;
    },
  );

  api.post(
    "/api/conversations",
    {
      validatorCompiler: objectOnly,
      schema: {
        summary: "start a conversation",
        description:
          "The body is a configuration document, as a config file: layered over the server's configuration and validated as the CLI does; a 400 lists every problem with its path. Providers must be named (the server cannot resolve auto). The server reads and writes no files on its machine for a run: a body that sets scenario.materials, log.file or embedded.model_file gets a 400 (materials are given to dialogue run --material; a log file and the embedded model's file are set on the worker's and manager's hosts). A manager and a worker per pool must be running against this Redis (dialogue manager, dialogue worker --pool <pool>): the 201 says which are missing, by their heartbeats (waiting_for, unserved_pools), and the run's page says so until they come. Needs the token.",
        tags: ["conversations"],
        body: StartBodySchema,
        response: { 201: StartResponseSchema, 400: ErrorSchema, 401: ErrorSchema },
      },
    },
    async (req, reply) => {
      const r = await startFromRequest(ctx, req.body as Record<string, unknown>);
      if (!r.ok) {
        const n = r.problems.length;
        return reply.code(400).send({
          error: "invalid_configuration",
          message: `invalid configuration (${n} problem${n === 1 ? "" : "s"}): ${r.problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`,
          problems: r.problems,
        });
      }
      const { page, conversation, events } = links(r.spec.id);
      const pools = poolsOfSpec(r.spec);
      return reply.code(201).send({ id: r.spec.id, status: "pending", pools, ...(await missing(ctx, r.spec)), links: { page, conversation, events } });
    },
  );

  api.post(
    "/api/conversations/:id/stop",
    {
      schema: {
        summary: "ask a running conversation to stop (a user stop; the turn in flight is kept, cut), as dialogue stop",
        description:
          "As dialogue stop: the run is marked stopping and its managers end it (a model's turn being generated is kept, cut; a person's turn still open is recorded skipped); a 202 means it was asked. A run that had already ended gets a 409 saying how and when it ended, in one line (as dialogue stop says it), and nothing is written. Needs the token.",
        tags: ["conversations"],
        params: IdParamsSchema,
        response: { 202: StopResponseSchema, 401: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema },
      },
    },
    async (req, reply) => {
      const id = req.params.id;
      // a run no live manager drives any more has ended (abandoned), as dialogue stop finds it
      const rec = await readRun(store, id);
      if (!rec) return reply.code(404).send(notFound(id));
      const ended = (r: ConversationRecord) => reply.code(409).send({ error: "conflict", message: alreadyEndedText(r) });
      if (isFinal(rec.status)) return ended(rec);
      const result = await requestStop(store, queues, id);
      if (result !== "already-ended") return reply.code(202).send({ id, result });
      // it ended between the two reads
      const after = await store.get(id);
      return after ? ended(after) : reply.code(404).send(notFound(id));
    },
  );

  api.post(
    "/api/conversations/:id/say",
    {
      schema: {
        summary: "say something in a running conversation, as dialogue say: as the person whose turn it is, or a narrator's remark",
        description:
          'As dialogue say, with the same checks: `as` names a person (an agent of kind human; by default the one whose turn it is) or "narrator" for a remark, recorded before the next turn, which every later speaker sees. `turn` names the turn it answers (as dialogue say --turn): that turn only; without it, the person\'s turn waiting when the request comes — a say is never held for a later turn. A 400 says what is wrong with the request (nothing to say, too long, a model agent, someone not in the conversation, a turn for a narrator\'s remark); a 409 says why it cannot be said now, in one line (it is not that person\'s turn; the turn named was skipped, answered, someone else\'s or has not come yet, and which turn is waiting; the turn already has an answer — a turn takes one, the first, even of two requests at once —; the conversation has ended), and nothing is recorded. The managers record it: a 202 means it was handed to them. Needs the token.',
        tags: ["conversations"],
        params: IdParamsSchema,
        body: SayBodySchema,
        response: { 202: SayResponseSchema, 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema },
      },
    },
    async (req, reply) => {
      const id = req.params.id;
      // said now: without a turn named, a turn offered after this request came is not the one it answers
      const issuedAt = now();
      // refusals are thrown by say() as the CLI's errors; the error handler makes them 400, 404 or 409
      const r = await say(store, queues, id, req.body.text, { as: req.body.as, turn: req.body.turn, via: "the web (dialogue serve)", issuedAt, reach: prefixFlag(ctx.config.redis.prefix) });
      return reply.code(202).send({ id, as: r.as, seq: r.seq, result: "queued" as const, message: saidText(r, id) });
    },
  );
};

/**
 * what a run just started waits for, by the heartbeats (redis/presence.ts, the check run --no-spawn
 * makes): a manager, a worker for each pool — in words, and each pool with no live worker with its
 * agents and the command that starts one
 */
async function missing(ctx: ServerContext, spec: ConversationSpec): Promise<{ waiting_for: string[]; unserved_pools: UnservedPool[] }> {
  const reach = prefixFlag(ctx.config.redis.prefix);
  // null: the heartbeats could not be read, nothing is claimed either way
  const u = await unservedNow(ctx.store, spec);
  return { waiting_for: u ? waitingForLines(u, reach) : [], unserved_pools: unservedPools(u, spec, reach) };
}
