/**
 * The commands printed for the user to copy — `dialogue show <id>`, `dialogue say <id> "…"`,
 * `dialogue manager` — and what they need to reach the same runs as what printed them: `--prefix`
 * exactly when the runs are kept under another prefix than the default (without it, the command
 * would look for them under the default one). The CLI adds the Redis it was pointed at
 * (cli/reach.ts); the web pages name the prefix only. Free of Node: the page's script uses it.
 */
import { DEFAULT_PREFIX } from "../protocol/keys.js";

/** ` --prefix P` for runs kept under `prefix`, nothing for the default prefix */
export const prefixFlag = (prefix: string): string => (prefix === DEFAULT_PREFIX ? "" : ` --prefix ${prefix}`);

/**
 * The command that answers a person's turn from a terminal: as `as` (left out: as the person whose
 * turn it is), for turn `turn` only (`--turn`: a copy run late is refused, never taken for their
 * next turn); `reach`: what it needs to reach the run (prefixFlag, or the CLI's reachFlags)
 */
export const sayCommand = (id: string, as: string | null, reach: string, turn?: number): string =>
  `dialogue say ${id}${as === null ? "" : ` --as ${as}`}${turn === undefined ? "" : ` --turn ${turn}`}${reach} "…"`;
