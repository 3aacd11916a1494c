/**
 * The web page's script (src/server/client/live.ts) shares the TUI's state and stats code: what it
 * loads, following every import that is not type-only, must stay free of Node (node:*) and of the
 * schemas (zod), or the page would carry them (or fail to build for the browser).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli.js";

/** the files `entry` loads at run time, and the packages they import */
function graph(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const src = readFileSync(file, "utf8");
    for (const m of src.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?from\s+["']([^"']+)["']/gms)) {
      if (m[1]) continue; // type-only: gone at run time
      const spec = m[2]!;
      if (!spec.startsWith(".")) {
        packages.add(spec);
        continue;
      }
      const base = path.resolve(path.dirname(file), spec).replace(/\.js$/, "");
      const next = [".ts", ".tsx"].map((ext) => base + ext).find((f) => existsSync(f));
      if (next) visit(next);
    }
  };
  visit(entry);
  return { files: [...files].map((f) => path.relative(ROOT, f)), packages: [...packages] };
}

describe("the web page's script", () => {
  it("loads neither Node modules nor the schemas", () => {
    const { files, packages } = graph(path.join(ROOT, "src", "server", "client", "live.ts"));
    expect(files).toContain("src/observer/tui/stats.ts");
    expect(files).toContain("src/observer/who.ts");
    expect(files).toContain("src/server/client/say.ts");
    expect(packages.filter((p) => p.startsWith("node:") || p === "zod")).toEqual([]);
    expect(files).not.toContain("src/protocol/schemas.ts");
    expect(files).not.toContain("src/protocol/record.ts");
  });
});
