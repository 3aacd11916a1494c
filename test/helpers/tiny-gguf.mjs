// A tiny random-weight GGUF (v3) model that llama.cpp loads and runs: llama architecture,
// 2 layers, embedding 64, 4 heads, feed-forward 128, context 4096, F32 weights; a byte-level
// BPE ("gpt2") tokenizer with the 256 byte tokens, a few dozen merges and the ChatML special
// tokens; a ChatML chat template. Its output is gibberish. Two tricks make it usable in tests:
//   - every token embedding carries a constant in dimension 0, and the output layer turns that
//     constant into a fixed bias toward <|im_end|>, so replies end after tens of tokens;
//   - the same constant pushes non-printable tokens (control bytes, lone bytes >= 0x80, the
//     other special tokens) far down, so the output is valid, printable text.
// Deterministic: the same bytes every time. Plain JavaScript so that scripts/make-tiny-gguf.mjs
// can use it without a build.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const N_EMBD = 64;
const N_HEAD = 4;
const N_LAYER = 2;
const N_FF = 128;
const N_CTX = 4096;
const ALIGN = 32;
/** logit bias of <|im_end|> (through the constant dimension) */
const END_BIAS = 0.55;
const SUPPRESS = -4;

// GGUF value types
const T = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9, UINT64: 10 };

/** GPT-2's byte -> printable unicode character map (byte-level BPE token spelling) */
function bytesToUnicode() {
  const bs = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const map = Array.from({ length: 256 }, () => "");
  bs.forEach((b, i) => (map[b] = String.fromCodePoint(cs[i])));
  return map;
}

const MERGE_WORDS = [
  ["Ġ", "t"], ["h", "e"], ["Ġ", "a"], ["i", "n"], ["e", "r"], ["o", "n"], ["r", "e"], ["a", "n"],
  ["Ġt", "he"], ["Ġ", "s"], ["Ġ", "w"], ["o", "u"], ["Ġ", "o"], ["e", "n"], ["a", "t"], ["i", "s"],
  ["Ġ", "c"], ["o", "r"], ["i", "t"], ["Ġ", "b"], ["e", "s"], ["Ġ", "f"], ["Ġ", "m"], ["a", "r"],
  ["l", "e"], ["Ġ", "p"], ["Ġ", "i"], ["in", "g"], ["Ġ", "d"], ["e", "d"], ["Ġa", "n"], ["Ġ", "h"],
  ["Ġan", "d"], ["Ġo", "f"], ["Ġt", "o"], ["Ġ", "I"], ["Ġi", "n"], ["Ġ", "y"], ["Ġy", "ou"], ["a", "l"],
];

export function tinyVocab() {
  const byteTok = bytesToUnicode();
  const tokens = [...byteTok];
  const types = tokens.map(() => 1); // NORMAL
  const merges = [];
  for (const [a, b] of MERGE_WORDS) {
    merges.push(`${a} ${b}`);
    tokens.push(a + b);
    types.push(1);
  }
  const special = { endoftext: tokens.length, im_start: tokens.length + 1, im_end: tokens.length + 2 };
  tokens.push("<|endoftext|>", "<|im_start|>", "<|im_end|>");
  types.push(3, 3, 3); // CONTROL
  /** printable: not a control byte, not a lone byte >= 0x80, not a special token */
  const printable = tokens.map((_, id) => {
    if (id >= 256) return id < special.endoftext;
    return id === 0x0a || (id >= 0x20 && id < 0x7f);
  });
  return { tokens, types, merges, special, printable };
}

/** mulberry32 + Box-Muller: deterministic normal samples */
function gaussian(seed) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
}

const CHATML =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

class Writer {
  constructor() {
    this.parts = [];
    this.size = 0;
  }
  push(buf) {
    this.parts.push(buf);
    this.size += buf.length;
  }
  u32(v) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v) {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v) {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  str(s) {
    const b = Buffer.from(s, "utf8");
    this.u64(b.length);
    this.push(b);
  }
  pad() {
    const n = (ALIGN - (this.size % ALIGN)) % ALIGN;
    if (n) this.push(Buffer.alloc(n));
  }
  kv(key, type, value) {
    this.str(key);
    this.u32(type);
    this.value(type, value);
  }
  value(type, value) {
    if (type === T.UINT32) this.u32(value);
    else if (type === T.INT32) this.i32(value);
    else if (type === T.FLOAT32) this.f32(value);
    else if (type === T.BOOL) this.push(Buffer.from([value ? 1 : 0]));
    else if (type === T.STRING) this.str(value);
    else if (type === T.UINT64) this.u64(value);
    else if (type === T.ARRAY) {
      this.u32(value.type);
      this.u64(value.items.length);
      for (const it of value.items) this.value(value.type, it);
    } else throw new Error(`unsupported GGUF type ${type}`);
  }
}

/** the GGUF file's bytes */
export function buildTinyGguf() {
  const vocab = tinyVocab();
  const nVocab = vocab.tokens.length;
  const rnd = gaussian(1234);
  const randn = (n, std) => Float32Array.from({ length: n }, () => rnd() * std);

  // token embeddings: dimension 0 is the constant that carries the output biases
  const embd = randn(nVocab * N_EMBD, 0.5);
  for (let t = 0; t < nVocab; t++) embd[t * N_EMBD] = 4;
  const output = randn(nVocab * N_EMBD, 0.35);
  for (let t = 0; t < nVocab; t++) {
    let bias = 0;
    if (t === vocab.special.im_end) bias = END_BIAS;
    else if (!vocab.printable[t]) bias = SUPPRESS;
    output[t * N_EMBD] = bias;
  }
  const ones = (n) => new Float32Array(n).fill(1);

  /** [name, dims (ne0 first), data] */
  const tensors = [
    ["token_embd.weight", [N_EMBD, nVocab], embd],
    ["output_norm.weight", [N_EMBD], ones(N_EMBD)],
    ["output.weight", [N_EMBD, nVocab], output],
  ];
  for (let l = 0; l < N_LAYER; l++) {
    const p = `blk.${l}.`;
    tensors.push(
      [`${p}attn_norm.weight`, [N_EMBD], ones(N_EMBD)],
      [`${p}attn_q.weight`, [N_EMBD, N_EMBD], randn(N_EMBD * N_EMBD, 0.1)],
      [`${p}attn_k.weight`, [N_EMBD, N_EMBD], randn(N_EMBD * N_EMBD, 0.1)],
      [`${p}attn_v.weight`, [N_EMBD, N_EMBD], randn(N_EMBD * N_EMBD, 0.1)],
      [`${p}attn_output.weight`, [N_EMBD, N_EMBD], randn(N_EMBD * N_EMBD, 0.02)],
      [`${p}ffn_norm.weight`, [N_EMBD], ones(N_EMBD)],
      [`${p}ffn_gate.weight`, [N_EMBD, N_FF], randn(N_EMBD * N_FF, 0.1)],
      [`${p}ffn_up.weight`, [N_EMBD, N_FF], randn(N_EMBD * N_FF, 0.1)],
      [`${p}ffn_down.weight`, [N_FF, N_EMBD], randn(N_FF * N_EMBD, 0.02)],
    );
  }

  const meta = [
    ["general.architecture", T.STRING, "llama"],
    ["general.name", T.STRING, "dialogue-tiny-random"],
    ["general.file_type", T.UINT32, 0],
    ["general.alignment", T.UINT32, ALIGN],
    ["llama.context_length", T.UINT32, N_CTX],
    ["llama.embedding_length", T.UINT32, N_EMBD],
    ["llama.block_count", T.UINT32, N_LAYER],
    ["llama.feed_forward_length", T.UINT32, N_FF],
    ["llama.attention.head_count", T.UINT32, N_HEAD],
    ["llama.attention.head_count_kv", T.UINT32, N_HEAD],
    ["llama.attention.layer_norm_rms_epsilon", T.FLOAT32, 1e-5],
    ["llama.rope.dimension_count", T.UINT32, N_EMBD / N_HEAD],
    ["llama.rope.freq_base", T.FLOAT32, 10000],
    ["llama.vocab_size", T.UINT32, nVocab],
    ["tokenizer.ggml.model", T.STRING, "gpt2"],
    ["tokenizer.ggml.pre", T.STRING, "gpt-2"],
    ["tokenizer.ggml.tokens", T.ARRAY, { type: T.STRING, items: vocab.tokens }],
    ["tokenizer.ggml.token_type", T.ARRAY, { type: T.INT32, items: vocab.types }],
    ["tokenizer.ggml.merges", T.ARRAY, { type: T.STRING, items: vocab.merges }],
    ["tokenizer.ggml.bos_token_id", T.UINT32, vocab.special.endoftext],
    ["tokenizer.ggml.eos_token_id", T.UINT32, vocab.special.im_end],
    ["tokenizer.ggml.eot_token_id", T.UINT32, vocab.special.im_end],
    ["tokenizer.ggml.padding_token_id", T.UINT32, vocab.special.endoftext],
    ["tokenizer.ggml.add_bos_token", T.BOOL, false],
    ["tokenizer.chat_template", T.STRING, CHATML],
  ];

  const w = new Writer();
  w.push(Buffer.from("GGUF", "ascii"));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(meta.length);
  for (const [k, type, v] of meta) w.kv(k, type, v);
  let offset = 0;
  for (const [name, dims, data] of tensors) {
    w.str(name);
    w.u32(dims.length);
    for (const d of dims) w.u64(d);
    w.u32(0); // F32
    w.u64(offset);
    offset += Math.ceil((data.length * 4) / ALIGN) * ALIGN;
  }
  w.pad();
  for (const [, , data] of tensors) {
    w.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    w.pad();
  }
  return Buffer.concat(w.parts);
}

/** writes the model to `file` (atomically) and returns its path */
export function writeTinyGguf(file) {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, buildTinyGguf());
  renameSync(tmp, file);
  return file;
}

/** the model in os.tmpdir(), written once per content version and reused */
export function tinyGgufPath() {
  const hash = createHash("sha256").update(buildTinyGguf()).digest("hex").slice(0, 12);
  const file = path.join(os.tmpdir(), `dialogue-tiny-${hash}.gguf`);
  if (!existsSync(file)) writeTinyGguf(file);
  return file;
}
