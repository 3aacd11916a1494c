/**
 * The baseline of `dialogue import`: read a JSON-lines file line by line and JSON.parse every
 * line, nothing more. Prints the count.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";

const file = process.argv[2];
if (!file) throw new Error("usage: file-reader <file.jsonl>");
let n = 0;
let chars = 0;
for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY })) {
  if (!line) continue;
  const row = JSON.parse(line) as { text: string };
  chars += row.text.length;
  n++;
}
process.stdout.write(`${JSON.stringify({ rows: n, chars })}\n`);
