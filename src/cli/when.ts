/**
 * Ages and dates on the command line: "7d", "12h", "30m", "2w", "90s", "1.5d" (an age, counted
 * back from now) or an ISO date/time ("2026-11-01", "2026-11-01T09:30Z"). Strict: a plain decimal
 * number right before its unit (no spaces, signs, exponents or leading zeros), a real calendar date.
 */
import { UsageError } from "../errors/index.js";

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** an age like "7d" in ms, or null if `raw` is not one */
export function parseAge(raw: string): number | null {
  const m = /^((?:0|[1-9]\d*)(?:\.\d+)?)([smhdw])$/i.exec(raw);
  return m ? Number(m[1]) * (UNIT_MS[(m[2] as string).toLowerCase()] as number) : null;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

/** epoch ms of an ISO date or date-time whose fields are a real date and time, else null */
export function parseDate(raw: string): number | null {
  const m = ISO.exec(raw);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Date.parse would roll 2026-02-30 over into March: the day must exist in its month
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > days) return null;
  if (Number(m[4] ?? 0) > 23 || Number(m[5] ?? 0) > 59 || Number(m[6] ?? 0) > 59) return null;
  const t = Date.parse(raw);
  return Number.isFinite(t) ? t : null;
}

/** epoch ms of an age ago or of a date; throws a UsageError naming `flag` otherwise */
export function parseWhen(raw: string, flag: string, now = Date.now()): number {
  const age = parseAge(raw);
  if (age !== null) return now - age;
  const t = parseDate(raw);
  if (t !== null) return t;
  throw new UsageError(
    `${flag} ${JSON.stringify(raw)} is neither an age nor a date`,
    "use an age (a number and a unit: s, m, h, d or w, like 7d, 12h, 1.5d) or a date like 2026-11-01 or 2026-11-01T09:30Z",
  );
}
