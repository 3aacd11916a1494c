/**
 * docs/analysis.schema.json is the documented contract of `analyze --json`: it must be what the
 * zod schema says (npm run build writes it), and accept an analysis while refusing a broken one.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { analyze } from "../../src/analysis/analyzer.js";
import { ANALYSIS_VERSION, AnalysisSchema } from "../../src/analysis/schema.js";
import { ROOT } from "../helpers/cli.js";
import { loadFixture } from "../helpers/fixtures.js";

const file = JSON.parse(readFileSync(path.join(ROOT, "docs", "analysis.schema.json"), "utf8")) as Record<string, unknown>;

describe("docs/analysis.schema.json", () => {
  it("is generated from the zod schema (run npm run build after changing src/analysis/schema.ts)", () => {
    const { title, description, ...rest } = file;
    expect(title).toBe(`DialogueLLM analysis, version ${ANALYSIS_VERSION}`);
    expect(description).toMatch(/analyze <id> --json/);
    expect(rest).toEqual(z.toJSONSchema(AnalysisSchema, { io: "output" }));
  });

  it("accepts the analysis of every fixture and refuses what does not fit", () => {
    const documented = z.fromJSONSchema(file as Parameters<typeof z.fromJSONSchema>[0]);
    for (const name of ["healthy", "looping", "troubled", "meeting", "panel", "failing"]) {
      const fx = loadFixture(name);
      expect(documented.safeParse(analyze(fx.record, fx.entries)).success).toBe(true);
    }
    const fx = loadFixture("healthy");
    const a = analyze(fx.record, fx.entries);
    expect(documented.safeParse({ ...a, version: 0 }).success).toBe(false);
    expect(documented.safeParse({ ...a, surprise: true }).success).toBe(false);
    expect(documented.safeParse({ ...a, flags: [{ type: "bored", agent_id: null, turn: 1, detected_turn: 1, until_turn: 1 }] }).success).toBe(false);
  });
});
