/**
 * /assets/* — the pages' stylesheet (the export's, plus the server's) and their scripts, bundled
 * by `npm run build` (scripts/bundle.mjs) into dist/public/. Read once, kept in memory. And
 * /favicon.ico, the icon the pages carry inline, for a browser that asks for it anyway (an answer
 * that is not a page, such as JSON opened in a tab).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { CSS } from "../../analysis/export-html.js";
import { packageRoot } from "../../config/load.js";
import { ICON_SVG, SERVER_CSS } from "../html/layout.js";

const SCRIPTS = ["live.js", "list.js"] as const;

export const assetRoutes: FastifyPluginAsync = async (app) => {
  const css = `${CSS}\n${SERVER_CSS}`;
  const scripts = new Map<string, string>();
  const script = (name: string): string => {
    let s = scripts.get(name);
    if (s === undefined) {
      s = readFileSync(path.join(packageRoot(), "dist", "public", name), "utf8");
      scripts.set(name, s);
    }
    return s;
  };
  const web = app.withTypeProvider<ZodTypeProvider>();
  web.get("/assets/app.css", { schema: { hide: true } }, async (_req, reply) => reply.type("text/css; charset=utf-8").header("cache-control", "no-cache").send(css));
  web.get("/favicon.ico", { schema: { hide: true } }, async (_req, reply) => reply.type("image/svg+xml").header("cache-control", "max-age=86400").send(ICON_SVG));
  web.get("/assets/:name", { schema: { hide: true, params: z.object({ name: z.enum(SCRIPTS) }) } }, async (req, reply) =>
    reply.type("text/javascript; charset=utf-8").header("cache-control", "no-cache").send(script(req.params.name)),
  );
};
