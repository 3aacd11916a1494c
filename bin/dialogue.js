#!/usr/bin/env node
// The `dialogue` command: runs the compiled CLI (npm run build compiles it into dist/ and bundles
// it into dist/bundle/, which starts in about half the time).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = new URL("../dist/bundle/index.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write("error: dialogue is not built yet\nhint: run `npm run build` (or `npm start`, which installs and builds) in the project folder\n");
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv);
