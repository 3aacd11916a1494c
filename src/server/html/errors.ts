/**
 * The pages a browser gets instead of the page it asked for: bad input in the address (400), no
 * such page or conversation (404), Redis unreachable (503). One line each: what is wrong, how to fix it, and a link back.
 * The API's routes keep their JSON errors (app.ts).
 */
import { esc } from "../../analysis/svg.js";
import { page } from "./layout.js";

export interface AddressProblem {
  /** the field of the address (a query parameter, or the id in the path) */
  field: string;
  /** what the address gave it */
  given: string;
  /** what it must be, in a sentence */
  fix: string;
}

const shown = (s: string): string => (s.length > 60 ? `${s.slice(0, 59)}…` : s);

/** `back`: the same page without the bad fields, or the runs */
export function badAddressPage(problems: readonly AddressProblem[], back: string): string {
  const link = `<a href="${esc(back)}">${back === "/" ? "all runs" : "the same page without it"}</a>`;
  return page(
    { title: "Bad address · DialogueLLM" },
    `<h1>This address cannot be shown</h1>
${problems.map((p) => `<p class="problem">${esc(p.field)}=${esc(shown(p.given))} is not accepted: ${esc(p.fix)}. Correct it in the address, or open ${link}.</p>`).join("\n")}`,
  );
}

/** `what`: "page /runs", "conversation 20261121-143005-k3f9a" */
export function notFoundPage(what: string): string {
  return page({ title: "Not found · DialogueLLM" }, `<h1>Not found</h1>\n<p class="problem">There is no ${esc(what)} here: see <a href="/">all runs</a>.</p>`);
}

/** `message`: which Redis is unreachable, and what to do (app.ts) */
export function unavailablePage(message: string): string {
  return page({ title: "Redis unreachable · DialogueLLM" }, `<h1>Redis is unreachable</h1>\n<p class="problem">${esc(message)}. This page does not reload by itself: <a href="">reload it</a>.</p>`);
}
