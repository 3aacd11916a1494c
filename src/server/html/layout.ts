/**
 * The shell of every page of `dialogue serve`: the export's stylesheet plus the server's own, the
 * icon, a navigation bar, and the page's script (from this server: the Content-Security-Policy
 * allows no inline script). Everything put into a page from Redis is escaped by the caller (esc).
 */
import { esc } from "../../analysis/svg.js";

export const SERVER_CSS = `
nav{display:flex;gap:1.2em;align-items:baseline;border-bottom:1px solid #ddd;padding-bottom:.4em;margin-bottom:1em}
nav b{margin-right:auto}
.status{font-weight:bold}.status.running,.status.preparing,.status.pending,.status.stopping{color:#16a34a}.status.failed{color:#dc2626}.status.stopped{color:#ea580c}
form.filters{display:flex;gap:.6em;flex-wrap:wrap;align-items:end;margin:.5em 0}form.filters label{display:flex;flex-direction:column;font-size:.85em}
button{cursor:pointer}.live .text{white-space:pre-wrap}.live{opacity:.85}.live .who::after{content:" · generating…";font-weight:normal;color:#555}
#notice{color:#b45309}.hidden{display:none}table.runs{font-size:.85em}table.runs td,table.runs th{text-align:left;padding:.25em .4em}
table.runs td:nth-child(2),table.runs td:nth-child(5),table.runs td:nth-child(6),table.runs td:nth-child(8),.nobr{white-space:nowrap}
#agents span,#stats td:first-child{color:var(--agent)}
form.say{display:flex;flex-direction:column;gap:.4em;border:1px solid #ddd;border-left:4px solid var(--agent,#9ca3af);border-radius:6px;padding:.5em .8em;margin:.8em 0}
form.say textarea,form.say input{font:inherit;width:100%;box-sizing:border-box}form.say.hidden{display:none}
#waiting-for{color:#b45309;border-left:4px solid #f59e0b;margin:.5em 0;padding:.3em .6em .3em 1.6em}
.choice{color:#555;font-style:italic}.failed-attempt{color:#8a4b00}.failed-attempt:empty{display:none}
`;

/** the pages' icon: two speech bubbles */
export const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#2563eb"/><path d="M2.5 3.5h7v4.5h-4l-3 2.5z" fill="#fff"/><path d="M11 6.5h2.5v4.5h-1v2l-2.5-2h-3.5v-1.5" fill="none" stroke="#fff"/></svg>`;

/**
 * the icon, in the page itself (the Content-Security-Policy allows data: images), so a browser
 * asks for no /favicon.ico (that route serves the same, for the answers that are not pages)
 */
export const ICON_LINK = `<link rel="icon" type="image/svg+xml" href="data:image/svg+xml,${encodeURIComponent(ICON_SVG)}">`;

export interface PageOptions {
  title: string;
  /** scripts under /assets/ */
  scripts?: string[];
  /** data for the page's script, as data-* attributes of <main> (escaped) */
  data?: Record<string, string>;
}

export function page(opts: PageOptions, body: string): string {
  const data = Object.entries(opts.data ?? {})
    .map(([k, v]) => ` data-${k}="${esc(v)}"`)
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(opts.title)}</title>${ICON_LINK}<link rel="stylesheet" href="/assets/app.css">
${(opts.scripts ?? []).map((s) => `<script defer src="/assets/${esc(s)}"></script>`).join("")}</head>
<body>
<nav><b>DialogueLLM</b><a href="/">Runs</a><a href="/compare">Compare</a><a href="/queues">Queues</a><a href="/api/openapi.json">API</a></nav>
<main id="main"${data}>
${body}
</main>
</body></html>
`;
}
