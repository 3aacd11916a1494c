/**
 * The command that answers a person's turn from a terminal, as the live page shows it: with
 * `--prefix` exactly when the server keeps its runs under another prefix than the default (without
 * it, `dialogue say` would look for the run under the default one). Free of Node: the page's
 * script uses it.
 */
import { DEFAULT_PREFIX } from "../../protocol/keys.js";

export const sayCommand = (id: string, as: string, prefix: string): string =>
  `dialogue say ${id} --as ${as}${prefix === DEFAULT_PREFIX ? "" : ` --prefix ${prefix}`} "…"`;
