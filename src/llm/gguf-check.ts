/**
 * Is a file a GGUF model that llama.cpp can load? A read of its header, never a load: the magic
 * "GGUF", a version llama.cpp reads (2 or 3), then the metadata and the tensor list walked to
 * where the tensor data starts, and the data as long as the tensors need. So a text file, an
 * empty file or a copy cut short is told apart before a run starts, in one line, instead of
 * failing in llama.cpp once the processes are up. Reads the metadata (a few MB for a real
 * model's vocabulary) in 1 MiB chunks; nothing is written.
 *
 * GGUF layout (ggml/docs/gguf.md): magic (4 bytes), version (u32), tensor count (u64),
 * metadata count (u64), the metadata (key string, value type u32, value), the tensor infos
 * (name string, dimension count u32, dimensions u64 each, type u32, offset u64), padding to
 * `general.alignment` (32), the tensor data. Little-endian; a string is a u64 length and bytes.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/** what is wrong with a file, phrased to follow its name ("<file> is empty") */
export interface GgufProblem {
  /** missing: no such file (the default model may be downloaded); unusable: there, but not a loadable GGUF */
  kind: "missing" | "unusable";
  what: string;
}

/** magic, version, tensor count, metadata count */
export const GGUF_MIN_HEADER = 24;
const CHUNK = 1 << 20;
const DEFAULT_ALIGNMENT = 32;
const MAX_DIMS = 4;

/** bytes of the fixed-size metadata value types; 8 is a string, 9 an array */
const VALUE_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const STRING = 8;
const ARRAY = 9;

/** ggml tensor types: [elements per block, bytes per block] (from llama.cpp's own tables); others are not checked */
const TENSOR_TYPE: Record<number, readonly [number, number]> = {
  0: [1, 4], 1: [1, 2], 2: [32, 18], 3: [32, 20], 6: [32, 22], 7: [32, 24], 8: [32, 34], 9: [32, 36],
  10: [256, 84], 11: [256, 110], 12: [256, 144], 13: [256, 176], 14: [256, 210], 15: [256, 292],
  16: [256, 66], 17: [256, 74], 18: [256, 98], 19: [256, 50], 20: [32, 18], 21: [256, 110], 22: [256, 82],
  23: [256, 136], 24: [1, 1], 25: [1, 2], 26: [1, 4], 27: [1, 8], 28: [1, 8], 29: [256, 56], 30: [1, 2],
  34: [256, 54], 35: [256, 66], 39: [32, 17], 40: [64, 36], 41: [128, 18], 42: [64, 18],
};

/** the file ends before `needed` bytes */
class CutShort extends Error {
  constructor(readonly needed: number) {
    super("cut short");
  }
}

/** the header says something no GGUF writer writes */
class Invalid extends Error {}

/** sequential little-endian reads through a 1 MiB window */
class Reader {
  pos = 0;
  private buf = Buffer.alloc(0);
  private at = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  private ensure(n: number): Buffer {
    if (this.pos + n > this.size) throw new CutShort(this.pos + n);
    if (this.pos < this.at || this.pos + n > this.at + this.buf.length) {
      const len = Math.min(Math.max(n, CHUNK), this.size - this.pos);
      const buf = Buffer.allocUnsafe(len);
      let got = 0;
      while (got < len) {
        const r = readSync(this.fd, buf, got, len - got, this.pos + got);
        if (r === 0) throw new CutShort(this.pos + n);
        got += r;
      }
      this.buf = buf;
      this.at = this.pos;
    }
    return this.buf;
  }

  u32(): number {
    const v = this.ensure(4).readUInt32LE(this.pos - this.at);
    this.pos += 4;
    return v;
  }

  u64(what: string): number {
    const v = this.ensure(8).readBigUInt64LE(this.pos - this.at);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Invalid(`its ${what} is ${v}`);
    return Number(v);
  }

  /** the next `n` bytes (fewer at the end of the file), copied */
  take(n: number): Buffer {
    const m = Math.min(n, this.size - this.pos);
    const out = Buffer.from(this.ensure(m).subarray(this.pos - this.at, this.pos - this.at + m));
    this.pos += m;
    return out;
  }

  skip(n: number): void {
    if (this.pos + n > this.size) throw new CutShort(this.pos + n);
    this.pos += n;
  }

  /** a string's bytes, as text (for keys) */
  string(): string {
    const n = this.u64("string length");
    if (n > 65_536) {
      this.skip(n);
      return "";
    }
    const s = this.ensure(n).toString("utf8", this.pos - this.at, this.pos - this.at + n);
    this.pos += n;
    return s;
  }

  skipString(): void {
    this.skip(this.u64("string length"));
  }
}

/** bytes as they may be shown: printable ASCII as is, anything else as \xNN (never a raw control byte) */
export function shownBytes(bytes: Buffer): string {
  let out = "";
  for (const b of bytes) out += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`;
  return out;
}

function skipValue(r: Reader, type: number, depth = 0): void {
  const fixed = VALUE_SIZE[type];
  if (fixed !== undefined) return r.skip(fixed);
  if (type === STRING) return r.skipString();
  if (type !== ARRAY || depth > 2) throw new Invalid(`a metadata value at byte ${r.pos} has an unknown type (${type})`);
  const itemType = r.u32();
  const count = r.u64("array length");
  const itemSize = VALUE_SIZE[itemType];
  if (itemSize !== undefined) return r.skip(count * itemSize);
  for (let i = 0; i < count; i++) skipValue(r, itemType, depth + 1);
}

const bytes = (n: number): string => `${n.toLocaleString("en-US")} byte${n === 1 ? "" : "s"}`;
const CUT_HINT = "a download or a copy that did not finish?";

/** what is wrong with `file` as a GGUF model, or null when its header and size are a model's */
export function ggufProblem(file: string): GgufProblem | null {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { kind: "missing", what: "does not exist" };
    if (code === "EISDIR") return { kind: "unusable", what: "is a directory, not a GGUF model file" };
    return { kind: "unusable", what: `cannot be read (${code ?? (err as Error).message})` };
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) return { kind: "unusable", what: "is a directory, not a GGUF model file" };
    if (!stat.isFile()) return { kind: "unusable", what: "is not a regular file" };
    if (stat.size === 0) return { kind: "unusable", what: "is empty (0 bytes), not a GGUF model file" };
    const r = new Reader(fd, stat.size);
    try {
      return walk(r);
    } catch (err) {
      if (err instanceof CutShort) {
        return { kind: "unusable", what: `is cut short: its GGUF header runs past the end of the file (${bytes(stat.size)}; ${CUT_HINT})` };
      }
      if (err instanceof Invalid) return { kind: "unusable", what: `is not a valid GGUF file: ${err.message}` };
      const code = (err as NodeJS.ErrnoException).code;
      return { kind: "unusable", what: `cannot be read (${code ?? (err as Error).message})` };
    }
  } finally {
    closeSync(fd);
  }
}

function walk(r: Reader): GgufProblem | null {
  const head = r.take(4);
  if (head.length < 4 || head.toString("latin1") !== "GGUF") {
    return { kind: "unusable", what: `is not a GGUF model file (it starts with "${shownBytes(head)}"; llama.cpp loads GGUF only)` };
  }
  if (r.size < GGUF_MIN_HEADER) {
    return { kind: "unusable", what: `is cut short: ${bytes(r.size)}, less than a GGUF header (${GGUF_MIN_HEADER}; ${CUT_HINT})` };
  }
  const version = r.u32();
  if (version === 1) return { kind: "unusable", what: "is a GGUF version 1 file, which llama.cpp no longer loads (convert it again, or get a newer file)" };
  if (version !== 2 && version !== 3) return { kind: "unusable", what: `is a GGUF file of a version llama.cpp here does not read (${version}; it reads 2 and 3)` };
  const tensors = r.u64("tensor count");
  const kvs = r.u64("metadata count");
  let alignment = DEFAULT_ALIGNMENT;
  for (let i = 0; i < kvs; i++) {
    const key = r.string();
    const type = r.u32();
    if (key === "general.alignment" && type === 4) {
      alignment = r.u32();
      if (alignment === 0 || (alignment & (alignment - 1)) !== 0) throw new Invalid(`its general.alignment is ${alignment}`);
    } else skipValue(r, type);
  }
  if (tensors === 0) return { kind: "unusable", what: "is a GGUF file with no tensors (a vocabulary file, not a model)" };
  let needed = 0;
  for (let i = 0; i < tensors; i++) {
    r.skipString();
    const dims = r.u32();
    if (dims > MAX_DIMS) throw new Invalid(`tensor ${i} has ${dims} dimensions`);
    let elements = 1;
    for (let d = 0; d < dims; d++) elements *= r.u64("tensor dimension");
    const type = r.u32();
    const offset = r.u64("tensor offset");
    const size = TENSOR_TYPE[type];
    needed = Math.max(needed, offset + (size ? Math.ceil(elements / size[0]) * size[1] : 0));
  }
  const dataStart = Math.ceil(r.pos / alignment) * alignment;
  if (dataStart + needed > r.size) {
    return { kind: "unusable", what: `is cut short: ${bytes(r.size)}, but its tensors need ${bytes(dataStart + needed)} (${CUT_HINT})` };
  }
  return null;
}
