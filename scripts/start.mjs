#!/usr/bin/env node
// `npm start [-- <run options>]`: set up what a fresh machine lacks (see ensure.mjs), then
// `dialogue run` with the given options.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureBuild, ensureDeps, ensureNode, ensureRedisForRun } from "./ensure.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
ensureNode();
ensureDeps();
ensureBuild();
if (!(await ensureRedisForRun())) process.exit(1);

const child = spawn(process.execPath, [path.join(root, "bin", "dialogue.js"), "run", ...process.argv.slice(2)], {
  stdio: "inherit",
});
// the terminal sends Ctrl-C to the whole process group: let `dialogue run` handle it
process.on("SIGINT", () => {});
process.on("SIGTERM", () => child.kill("SIGTERM"));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 + 1 : 1)));
