/**
 * `node scripts/make-tiny-gguf.mjs`: -h/--help prints its usage and writes nothing; an output
 * path that starts with "-" (a mistyped option) is refused, exit 2, and nothing is written; a
 * path writes the model.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ggufProblem } from "../../src/llm/gguf-check.js";
import { ROOT } from "../helpers/cli.js";

const SCRIPT = path.join(ROOT, "scripts", "make-tiny-gguf.mjs");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const make = (args: string[]) => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), "make-tiny-"));
  dirs.push(cwd);
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { cwd, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, cwd, files: readdirSync(cwd) };
};

describe("scripts/make-tiny-gguf.mjs", () => {
  it("-h and --help print the usage and write no file", () => {
    for (const flag of ["--help", "-h"]) {
      const r = make([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^usage: node scripts\/make-tiny-gguf\.mjs \[out\.gguf\]\n/);
      expect(r.files).toEqual([]);
    }
  });

  it("an output path that starts with - is refused: exit 2, the usage, no file", () => {
    const r = make(["--out"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: make-tiny-gguf takes an output file, not the option "--out" \(to name a file that starts with "-", write \.\/--out\)\n/);
    expect(r.stderr).toContain("usage:");
    expect(r.files).toEqual([]);
  });

  it("writes a GGUF model to the path given", () => {
    const r = make(["m.gguf"]);
    expect(r.code).toBe(0);
    expect(r.files).toEqual(["m.gguf"]);
    expect(ggufProblem(path.join(r.cwd, "m.gguf"))).toBeNull();
  });
});
