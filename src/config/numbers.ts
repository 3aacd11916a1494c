/**
 * Numbers typed by a person — flags, environment variables, `--set` values — are read in one plain
 * decimal form only: digits, at most one decimal point with digits after it, a minus sign where a
 * negative number makes sense. Everything else JavaScript's Number() would take is refused:
 * hexadecimal (0x10), octal and binary prefixes (0o17, 0b1), leading zeros (010), exponents (1e3),
 * Infinity, NaN, the empty string, spaces and trailing garbage.
 */

const WHOLE = /^-?(?:0|[1-9]\d*)$/;
const DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;

export interface DecimalForm {
  /** only whole numbers; @defaultValue false */
  whole?: boolean;
  /** a leading minus sign is allowed; @defaultValue false */
  negative?: boolean;
}

/** the number `raw` spells in plain decimal, or null when it is not in that form */
export function parseDecimal(raw: string, form: DecimalForm = {}): number | null {
  if (!(form.whole ? WHOLE : DECIMAL).test(raw)) return null;
  if (!form.negative && raw.startsWith("-")) return null;
  const n = Number(raw);
  if (form.whole && !Number.isSafeInteger(n)) return null;
  return Number.isFinite(n) ? n : null;
}

/** how the accepted form is described in errors, e.g. "a whole number like 12 (digits only)" */
export function describeForm(form: DecimalForm = {}): string {
  const what = form.whole ? "a whole number like 12" : "a number like 30 or 2.5";
  return `${what} (${form.whole ? "digits only" : "digits, with one optional decimal point"}${form.negative ? ", optionally after -" : ""})`;
}
