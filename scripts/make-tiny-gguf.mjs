#!/usr/bin/env node
// `node scripts/make-tiny-gguf.mjs [out.gguf]`: writes the tiny random-weight GGUF model the
// tests use (llama architecture, 2 layers, byte-level BPE, ChatML), so the embedded provider can
// be tried on a machine with no model: dialogue run --provider embedded --model-file out.gguf.
// Its replies are gibberish; loading, streaming, token counts and JSON grammars are real.
// -h / --help prints the usage; an output path starting with "-" is refused (it is an option
// mistyped, not a file name: write ./-name to mean one).
import path from "node:path";
import { writeTinyGguf } from "../test/helpers/tiny-gguf.mjs";

const USAGE = `usage: node scripts/make-tiny-gguf.mjs [out.gguf]

Writes the tiny random-weight GGUF model the tests use (about 0.5 MB; default ./tiny.gguf), so the
embedded provider can be tried with no model: its replies are gibberish, but loading, streaming,
token counts and JSON grammars are real.

  npx dialogue run --provider embedded --model-file out.gguf --max-turns 4
`;

const args = process.argv.slice(2);
if (args.includes("-h") || args.includes("--help")) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (args.length > 1 || args[0]?.startsWith("-")) {
  const what = args.length > 1 ? `one output file, not ${args.length} arguments` : `an output file, not the option ${JSON.stringify(args[0])} (to name a file that starts with "-", write ./${args[0]})`;
  process.stderr.write(`error: make-tiny-gguf takes ${what}\n\n${USAGE}`);
  process.exit(2);
}
const out = path.resolve(args[0] ?? "tiny.gguf");
writeTinyGguf(out);
process.stderr.write(`wrote ${out}\ntry: npx dialogue run --provider embedded --model-file ${out} --max-turns 4\n`);
