/**
 * The house rule for the TUI: logic folders (manager, worker, analysis, llm) never import Ink,
 * React or the TUI, so they run in processes that have no terminal.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli.js";

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));

describe("module boundaries", () => {
  for (const folder of ["manager", "worker", "analysis", "llm"]) {
    it(`src/${folder} imports neither Ink, React nor the TUI`, () => {
      const sources = files(path.join(ROOT, "src", folder)).filter((f) => /\.tsx?$/.test(f));
      expect(sources.length).toBeGreaterThan(0);
      for (const f of sources) {
        const imports = [...readFileSync(f, "utf8").matchAll(/from\s+["']([^"']+)["']/g)].map((m) => m[1]);
        expect(imports.filter((i) => i === "ink" || i === "react" || i?.startsWith("ink-") || i?.includes("observer/tui")), f).toEqual([]);
      }
    });
  }
});
