// RFC 3339 times: as people and tools write them into flags and annotations
// (a date, `T`, a time with optional fraction, and `Z` or an offset), and as
// the API server writes them into objects.

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** Milliseconds since the epoch, or undefined when `value` is not an RFC 3339 time. */
export function readRfc3339(value: string): number | undefined {
  if (!RFC3339.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The two-digit number at `at`, or -1 when either character is not a digit. */
function twoDigits(s: string, at: number): number {
  const a = s.charCodeAt(at) - 48;
  const b = s.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * Milliseconds of an RFC 3339 time; 0 for a missing or unreadable one (Go's
 * zero time). The API server's `YYYY-MM-DDTHH:MM:SSZ` is read by hand (it
 * is read twice per pod per plan, and Date.parse is slow); anything else
 * goes through Date.parse.
 */
export function timeOf(value: string | undefined): number {
  if (!value) return 0;
  if (
    value.length === 20 &&
    value.charCodeAt(4) === 45 /* - */ &&
    value.charCodeAt(7) === 45 &&
    value.charCodeAt(10) === 84 /* T */ &&
    value.charCodeAt(13) === 58 /* : */ &&
    value.charCodeAt(16) === 58 &&
    value.charCodeAt(19) === 90 /* Z */
  ) {
    const century = twoDigits(value, 0);
    const yy = twoDigits(value, 2);
    const mo = twoDigits(value, 5);
    const d = twoDigits(value, 8);
    const h = twoDigits(value, 11);
    const mi = twoDigits(value, 14);
    const sec = twoDigits(value, 17);
    // Years below 100 are left to Date.parse: Date.UTC reads them as 19xx.
    if (century >= 1 && yy >= 0 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && sec >= 0 && sec <= 59) {
      return dayOf(century * 100 + yy, mo, d) + ((h * 60 + mi) * 60 + sec) * 1000;
    }
  }
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? 0 : ms;
}

/**
 * Milliseconds at the start of the day, as Date.UTC(y, mo - 1, d) for years
 * from 100 on (a day past the month's end rolls over the same way), counted
 * from the civil date directly: Date.UTC is the costly part of reading a time.
 */
function dayOf(y: number, mo: number, d: number): number {
  // Years start in March, so that the leap day ends a year.
  const year = mo <= 2 ? y - 1 : y;
  const era = Math.floor(year / 400);
  const yearOfEra = year - era * 400;
  const dayOfYear = Math.floor((153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5) + d - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return (era * 146_097 + dayOfEra - 719_468) * 86_400_000;
}
