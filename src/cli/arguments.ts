// Parsers for option values, shared so that the same kind of value is read and
// refused with the same words in every command.
import { InvalidArgumentError } from "commander";

/** A whole number of at least `min` (and at most `max`). */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
      throw new InvalidArgumentError(`"${value}" is not a whole number ${range}`);
    }
    return n;
  };
}

/** A TCP port; `0` only where it means "pick a free one". */
export function port(opts: { zeroPicksFree: boolean }): (value: string) => number {
  const min = opts.zeroPicksFree ? 0 : 1;
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > 65535) {
      throw new InvalidArgumentError(`"${value}" is not a port number between ${min} and 65535${opts.zeroPicksFree ? " (0 picks a free one)" : ""}`);
    }
    return n;
  };
}

/** A number of seconds ≥ 0, fractions allowed. */
export function seconds(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`"${value}" is not a number of seconds ≥ 0`);
  return n;
}
