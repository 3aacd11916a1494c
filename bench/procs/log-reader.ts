/**
 * The baseline of `dialogue analyze`: read a conversation's whole log the way the analysis does
 * (XRANGE pages of 1,000) and JSON.parse every message, nothing more. Prints the count.
 */
import { Redis } from "ioredis";
import { args, required } from "../raw/options.js";

const a = args(process.argv.slice(2));
const redis = new Redis(required(a, "redis-url"));
const key = required(a, "key");
let n = 0;
let chars = 0;
let start = "-";
for (;;) {
  const page = await redis.xrange(key, start, "+", "COUNT", 1000);
  for (const [, fields] of page) {
    const m = JSON.parse(fields[fields.indexOf("m") + 1] ?? "null") as { content: { message: string } };
    chars += m.content.message.length;
    n++;
  }
  if (page.length < 1000) break;
  start = `(${(page.at(-1) as [string, string[]])[0]}`;
}
process.stdout.write(`${JSON.stringify({ messages: n, chars })}\n`);
redis.disconnect();
