// Writes docs/analysis.schema.json from the zod schema in dist/ (run by `npm run build`): the
// documented contract of `dialogue analyze <id> --json` and of the stored analysis.
import { writeFileSync } from "node:fs";
import { z } from "zod";
import { ANALYSIS_VERSION, AnalysisSchema } from "../dist/analysis/schema.js";

const schema = z.toJSONSchema(AnalysisSchema, { io: "output" });
schema.title = `DialogueLLM analysis, version ${ANALYSIS_VERSION}`;
schema.description =
  "What `dialogue analyze <id> --json` prints and what is stored with a run. Times in milliseconds unless a name says _s; ratios 0..1; null when there is no data. See README, Analysis.";
const out = new URL("../docs/analysis.schema.json", import.meta.url);
writeFileSync(out, `${JSON.stringify(schema, null, 2)}\n`);
