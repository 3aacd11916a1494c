/**
 * `node measure.js <usage.json> <script.js> <args…>`: runs a script (bin/dialogue.js, or a bench
 * baseline) in this process and, when it exits, writes the process's own CPU time (user + system)
 * and peak RSS to usage.json. The same as `/usr/bin/time -f "%U %S %M"`, with nothing to install.
 */
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [file, script, ...args] = process.argv.slice(2);
if (!file || !script) throw new Error("usage: measure.js <usage.json> <script.js> <args…>");
process.on("exit", () => {
  const u = process.resourceUsage();
  writeFileSync(file, JSON.stringify({ cpu_ms: (u.userCPUTime + u.systemCPUTime) / 1000, max_rss_kb: u.maxRSS }));
});
process.argv = [process.argv[0] as string, script, ...args];
await import(pathToFileURL(script).href);
