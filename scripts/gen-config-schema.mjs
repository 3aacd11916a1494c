// Writes config/config.schema.json from the zod schema in dist/ (run by `npm run build`),
// so editors can complete and check configuration files.
import { writeFileSync } from "node:fs";
import { z } from "zod";
import { ConfigSchema } from "../dist/config/schema.js";

const schema = z.toJSONSchema(ConfigSchema, { io: "input", unrepresentable: "any" });
schema.title = "DialogueLLM configuration";
const out = new URL("../config/config.schema.json", import.meta.url);
writeFileSync(out, `${JSON.stringify(schema, null, 2)}\n`);
