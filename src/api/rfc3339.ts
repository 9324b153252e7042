// RFC 3339 times as people and tools write them into flags and annotations:
// a date, `T`, a time with optional fraction, and `Z` or an offset.

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** Milliseconds since the epoch, or undefined when `value` is not an RFC 3339 time. */
export function readRfc3339(value: string): number | undefined {
  if (!RFC3339.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
