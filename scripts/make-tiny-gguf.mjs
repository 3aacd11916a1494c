#!/usr/bin/env node
// `node scripts/make-tiny-gguf.mjs [out.gguf]`: writes the tiny random-weight GGUF model the
// tests use (llama architecture, 2 layers, byte-level BPE, ChatML), so the embedded provider can
// be tried on a machine with no model: dialogue run --provider embedded --model-file out.gguf.
// Its replies are gibberish; loading, streaming, token counts and JSON grammars are real.
import path from "node:path";
import { writeTinyGguf } from "../test/helpers/tiny-gguf.mjs";

const out = path.resolve(process.argv[2] ?? "tiny.gguf");
writeTinyGguf(out);
process.stderr.write(`wrote ${out}\ntry: npx dialogue run --provider embedded --model-file ${out} --max-turns 4\n`);
