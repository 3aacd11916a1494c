// Are the npm dependencies of a checkout installed as its package.json and package-lock.json say?
// Decided on content, never on file times (a fresh `git clone` makes every file new): what
// package-lock.json pins is compared with what npm recorded it installed, node_modules/.package-lock.json
// (npm's own "hidden lockfile", rewritten by every install). Node built-ins only: it runs before
// anything is installed (scripts/ensure.mjs).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

const DEP_FIELDS = ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"];

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

/** the same keys with the same values, whatever their order */
function sameMap(a = {}, b = {}) {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/**
 * What `root` needs: `{ action: "ci" | "install" | null, why }`. "ci": no node_modules (a fresh
 * clone: exactly the lock file's versions); "install": node_modules differs from what
 * package.json and package-lock.json ask for (a dependency added, removed, or moved to another
 * version; or no record of what was installed); null: up to date.
 */
export function depsAction(root) {
  if (!existsSync(path.join(root, "node_modules"))) return { action: "ci", why: "no node_modules" };
  const installed = readJson(path.join(root, "node_modules", ".package-lock.json"));
  if (!installed?.packages) return { action: "install", why: "node_modules has no record of what was installed (node_modules/.package-lock.json)" };
  const pkg = readJson(path.join(root, "package.json"));
  if (!pkg) return { action: "install", why: "package.json cannot be read" };
  const lock = readJson(path.join(root, "package-lock.json"));
  const have = installed.packages;

  if (!lock?.packages) {
    // no lock file: every declared dependency is at least there
    const missing = DEP_FIELDS.filter((f) => f !== "peerDependencies" && f !== "optionalDependencies")
      .flatMap((f) => Object.keys(pkg[f] ?? {}))
      .find((name) => !have[`node_modules/${name}`]);
    return missing ? { action: "install", why: `${missing} is not installed` } : { action: null, why: "every dependency of package.json is installed" };
  }

  const top = lock.packages[""] ?? {};
  const changed = DEP_FIELDS.find((f) => !sameMap(pkg[f], top[f]));
  if (changed) return { action: "install", why: `package.json's ${changed} differ from package-lock.json's` };

  for (const [where, want] of Object.entries(lock.packages)) {
    if (where === "" || !where.includes("node_modules/")) continue;
    const got = have[where];
    if (!got) {
      // optional packages for other platforms (os, cpu) are not installed here, nor is a failed optional one
      if (want.optional || want.devOptional) continue;
      return { action: "install", why: `${where.slice(where.lastIndexOf("node_modules/") + 13)} ${want.version ?? ""} is not installed`.trimEnd() };
    }
    if ((want.version ?? null) !== (got.version ?? null) || (want.resolved ?? null) !== (got.resolved ?? null) || Boolean(want.link) !== Boolean(got.link)) {
      return { action: "install", why: `package-lock.json pins ${where} ${want.version ?? want.resolved ?? "?"}, node_modules has ${got.version ?? got.resolved ?? "?"}` };
    }
  }
  const extra = Object.keys(have).find((where) => where.includes("node_modules/") && !lock.packages[where]);
  if (extra) return { action: "install", why: `${extra} is installed but package-lock.json no longer has it` };
  return { action: null, why: "node_modules has what package-lock.json pins" };
}
