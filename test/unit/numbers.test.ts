/**
 * Numbers a person types — flags, environment variables, --set values, ages, dates, windows — are
 * read in plain decimal only; every other form JavaScript's Number() would take is refused.
 */
import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { parseWindow } from "../../src/analysis/windows.js";
import { nonNegativeNumber, positiveInt, positiveNumber, wholeNumber } from "../../src/cli/common.js";
import { parseAge, parseDate, parseWhen } from "../../src/cli/when.js";
import { load, parseValue } from "../../src/config/load.js";
import { parseDecimal } from "../../src/config/numbers.js";

/** forms Number() accepts (or reads as 0) that a person did not mean as a plain decimal */
const NOT_DECIMAL = ["0x10", "0X1F", "0o17", "0b101", "010", "00", "1e3", "1E3", "2.5e1", "Infinity", "-Infinity", "NaN", "", " ", " 5", "5 ", "5\n", "\t5", "+5", "5s", "5x", "1_000", "1,000", ".5", "5.", "1.2.3", "--5", "- 5", "٣"];

describe("parseDecimal", () => {
  it.each(["0", "7", "12", "100000", "2.5", "0.25", "10.0"])("reads %j", (raw) => {
    expect(parseDecimal(raw)).toBe(Number(raw));
  });

  it.each(NOT_DECIMAL)("refuses %j", (raw) => {
    expect(parseDecimal(raw)).toBeNull();
    expect(parseDecimal(raw, { whole: true, negative: true })).toBeNull();
  });

  it("refuses a minus sign unless negatives are allowed, and a decimal part where whole numbers are asked", () => {
    expect(parseDecimal("-3")).toBeNull();
    expect(parseDecimal("-3", { negative: true })).toBe(-3);
    expect(parseDecimal("-0.5", { negative: true })).toBe(-0.5);
    expect(parseDecimal("2.5", { whole: true })).toBeNull();
    expect(parseDecimal("3.0", { whole: true })).toBeNull();
  });

  it("refuses whole numbers past what a double holds exactly", () => {
    expect(parseDecimal("9007199254740991", { whole: true })).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseDecimal("9007199254740993", { whole: true })).toBeNull();
    expect(parseDecimal("1".repeat(400))).toBeNull();
  });
});

describe("number flags", () => {
  const flags: Array<[string, (raw: string) => number, string[], string[]]> = [
    ["--duration", positiveNumber("--duration"), ["30", "2.5", "0.1"], ["0", "-5", "0.0"]],
    ["--max-turns", positiveInt("--max-turns"), ["1", "12", "100000"], ["0", "-2", "1.5"]],
    ["--seed", wholeNumber("--seed"), ["0", "42", "-7"], ["4.2"]],
    ["--speed", nonNegativeNumber("--speed"), ["0", "10", "0.5"], ["-1"]],
  ];
  for (const [flag, parse, good, bad] of flags) {
    it(`${flag} takes ${good.join(", ")}`, () => {
      for (const raw of good) expect(parse(raw)).toBe(Number(raw));
    });
    it(`${flag} refuses ${bad.join(", ")} and every non-decimal form, naming itself and the form it takes`, () => {
      for (const raw of [...bad, ...NOT_DECIMAL]) {
        let err: unknown = null;
        try {
          parse(raw);
        } catch (e) {
          err = e;
        }
        expect(err, raw).toBeInstanceOf(InvalidArgumentError);
        const message = (err as Error).message;
        expect(message).toContain(flag);
        expect(message).toMatch(/like \d/);
        expect(message).toContain(JSON.stringify(raw));
        expect(message).not.toContain("\n");
      }
    });
  }
});

describe("--set values and environment variables", () => {
  it("a --set value is a number only in plain decimal; other number-like text stays a string", () => {
    expect(parseValue("12")).toBe(12);
    expect(parseValue("-3")).toBe(-3);
    expect(parseValue("2.5")).toBe(2.5);
    for (const raw of ["0x10", "1e3", "Infinity", "NaN", " 12", "12 ", "010", "+5"]) expect(parseValue(raw), raw).toBe(raw);
    expect(parseValue("true")).toBe(true);
    expect(parseValue("null")).toBeNull();
    expect(parseValue('{"temperature":0.5}')).toEqual({ temperature: 0.5 });
    expect(parseValue('"12"')).toBe("12");
    expect(parseValue("llama3.2")).toBe("llama3.2");
  });

  it.each(["0x10", "1e3", "Infinity", " 30", "30s"])("--set limits.duration_seconds=%s is a problem saying how to write a number", (raw) => {
    const r = load({ env: {}, sets: [`limits.duration_seconds=${raw}`] });
    expect(r.config).toBeNull();
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.path).toBe("limits.duration_seconds");
    expect(r.problems[0]!.message).toMatch(/plain decimal digits, like 30 or 2\.5/);
  });

  it.each([
    ["DIALOGUE_DURATION_SECONDS", "0x10"],
    ["DIALOGUE_MAX_TURNS", "1e3"],
    ["DIALOGUE_SEED", "Infinity"],
    ["DIALOGUE_REDIS_PORT", "06479"],
    ["DIALOGUE_THREADS", " 2"],
    ["DIALOGUE_MAX_TOTAL_TOKENS", "500k"],
  ])("%s=%j is a problem naming the variable and the form", (name, raw) => {
    const r = load({ env: { [name]: raw } });
    expect(r.config).toBeNull();
    expect(r.problems.map((p) => p.path)).toEqual([name]);
    expect(r.problems[0]!.message).toMatch(/expected a (whole )?number like \d/);
  });

  it("plain decimals from the environment are read, negative seeds too", () => {
    const r = load({ env: { DIALOGUE_DURATION_SECONDS: "2.5", DIALOGUE_MAX_TURNS: "16", DIALOGUE_SEED: "-4", DIALOGUE_REDIS_PORT: "6480" } });
    expect(r.problems).toEqual([]);
    expect(r.config?.limits.duration_seconds).toBe(2.5);
    expect(r.config?.limits.max_turns).toBe(16);
    expect(r.config?.seed).toBe(-4);
    expect(r.config?.redis.managed.port).toBe(6480);
  });
});

describe("ages, dates and windows", () => {
  it("an age is a plain decimal right before its unit", () => {
    expect(parseAge("7d")).toBe(7 * 86_400_000);
    expect(parseAge("1.5h")).toBe(5_400_000);
    expect(parseAge("0s")).toBe(0);
    expect(parseAge("2W")).toBe(14 * 86_400_000);
    for (const raw of ["7 d", " 7d", "7d ", "0x7d", "1e2s", "07d", "-7d", "7", "d", "7dd", "Infinityd", "7days"]) expect(parseAge(raw), raw).toBeNull();
  });

  it("a date is an ISO date (or date-time) that exists", () => {
    expect(parseDate("2026-11-01")).toBe(Date.UTC(2026, 10, 1));
    expect(parseDate("2026-11-01T09:30Z")).toBe(Date.UTC(2026, 10, 1, 9, 30));
    expect(parseDate("2024-02-29")).toBe(Date.UTC(2024, 1, 29));
    for (const raw of ["2026-02-30", "2026-13-01", "2026-11-01x", " 2026-11-01", "2026-11-01T25:00Z", "11/01/2026", "2026-1-1", "20261101"]) expect(parseDate(raw), raw).toBeNull();
  });

  it("--since and --older-than name the flag and the forms they take", () => {
    expect(() => parseWhen("0x10", "--since")).toThrow(/--since "0x10" is neither an age nor a date/);
    expect(parseWhen("2d", "--since", 10 * 86_400_000)).toBe(8 * 86_400_000);
  });

  it("--window takes 5t, 30s, 500ms, 1.5m or auto, and nothing with spaces, prefixes or exponents", () => {
    expect(parseWindow("5t")).toEqual({ kind: "turns", size: 5 });
    expect(parseWindow("1.5m")).toEqual({ kind: "time", size_ms: 90_000 });
    expect(parseWindow("auto")).toBeNull();
    for (const raw of ["5 t", " 5t", "5t ", "0x5t", "1e1s", "05t", "-5t", "Infinitys", "5", "t"]) expect(() => parseWindow(raw), raw).toThrow(/--window/);
  });
});
