/**
 * The GGUF header check (src/llm/gguf-check.ts) on the tiny model the tests run, and on files that
 * are not one: text, empty, the first bytes of a model, a model cut inside its tensor data, a
 * directory, an old or unknown version, a vocabulary-only file. What is wrong is said in words,
 * never with the file's raw bytes.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { printable } from "../../src/errors/index.js";
import { ggufProblem, shownBytes } from "../../src/llm/gguf-check.js";
import { buildTinyGguf } from "../helpers/tiny-gguf.mjs";

const dir = mkdtempSync(path.join(os.tmpdir(), "gguf-check-"));
const tiny = buildTinyGguf();
const file = (name: string, data: Buffer | string): string => {
  const f = path.join(dir, name);
  writeFileSync(f, data);
  return f;
};
const what = (f: string): string => ggufProblem(f)?.what ?? "ok";
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

describe("ggufProblem", () => {
  it("a real (tiny) GGUF model passes", () => {
    expect(ggufProblem(file("tiny.gguf", tiny))).toBeNull();
  });

  it("a text file is not a GGUF model; its first bytes are quoted", () => {
    expect(ggufProblem(file("text.gguf", "hello world\n"))).toEqual({
      kind: "unusable",
      what: 'is not a GGUF model file (it starts with "hell"; llama.cpp loads GGUF only)',
    });
  });

  it("an empty file is empty", () => {
    expect(what(file("empty.gguf", ""))).toBe("is empty (0 bytes), not a GGUF model file");
  });

  it("control bytes and NULs are escaped, never shown raw", () => {
    const w = what(file("nul.gguf", Buffer.from([0, 0, 0x1b, 0x5b, 0x31])));
    expect(w).toContain('"\\x00\\x00\\x1b["');
    expect(w).not.toMatch(CONTROL);
    expect(shownBytes(Buffer.from("a\u0007\"b"))).toBe("a\\x07\\x22b");
    expect(printable("/tmp/a\u001b[2Jb.gguf")).toBe("/tmp/a\\x1b[2Jb.gguf");
  });

  it("the first 100 bytes of a model are cut short inside the header", () => {
    expect(what(file("head.gguf", tiny.subarray(0, 100)))).toMatch(/^is cut short: its GGUF header runs past the end of the file \(100 bytes; /);
  });

  it("fewer bytes than a GGUF header are cut short", () => {
    expect(what(file("tiny-head.gguf", tiny.subarray(0, 10)))).toMatch(/^is cut short: 10 bytes, less than a GGUF header/);
  });

  it("a model cut inside its tensor data (one byte short) is cut short, with the size it needs", () => {
    const w = what(file("short.gguf", tiny.subarray(0, tiny.length - 1)));
    expect(w).toBe(`is cut short: ${(tiny.length - 1).toLocaleString("en-US")} bytes, but its tensors need ${tiny.length.toLocaleString("en-US")} bytes (a download or a copy that did not finish?)`);
  });

  it("a missing file, a directory", () => {
    expect(ggufProblem(path.join(dir, "nope.gguf"))).toEqual({ kind: "missing", what: "does not exist" });
    const d = path.join(dir, "adir.gguf");
    mkdirSync(d);
    expect(what(d)).toBe("is a directory, not a GGUF model file");
  });

  it("versions: 1 is too old, an unknown one is named", () => {
    const v = (n: number): Buffer => {
      const b = Buffer.from(tiny);
      b.writeUInt32LE(n, 4);
      return b;
    };
    expect(what(file("v1.gguf", v(1)))).toMatch(/version 1 file, which llama\.cpp no longer loads/);
    expect(what(file("v9.gguf", v(9)))).toMatch(/version llama\.cpp here does not read \(9; it reads 2 and 3\)/);
  });

  it("a GGUF file without tensors is not a model", () => {
    const b = Buffer.alloc(24);
    b.write("GGUF", 0, "latin1");
    b.writeUInt32LE(3, 4);
    expect(what(file("vocab.gguf", b))).toMatch(/no tensors/);
  });

  it("reads the file, never writes it", () => {
    const f = file("again.gguf", tiny);
    ggufProblem(f);
    expect(readFileSync(f).equals(tiny)).toBe(true);
  });
});
