/**
 * Ages and dates on the command line: "7d", "12h", "30m", "2w", "90s" (an age, counted back
 * from now) or an ISO date/time ("2026-11-01", "2026-11-01T09:30Z").
 */
import { UsageError } from "../errors/index.js";

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** an age like "7d" in ms, or null if `raw` is not one */
export function parseAge(raw: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(raw.trim());
  return m ? Number(m[1]) * (UNIT_MS[(m[2] as string).toLowerCase()] as number) : null;
}

/** epoch ms of an age ago or of a date; throws a UsageError naming `flag` otherwise */
export function parseWhen(raw: string, flag: string, now = Date.now()): number {
  const age = parseAge(raw);
  if (age !== null) return now - age;
  if (/^\d{4}-\d{2}-\d{2}/.test(raw.trim())) {
    const t = Date.parse(raw.trim());
    if (Number.isFinite(t)) return t;
  }
  throw new UsageError(`${flag} "${raw}" is neither an age nor a date`, `use an age like 7d, 12h, 30m, 2w or a date like 2026-11-01`);
}
