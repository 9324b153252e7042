// Kubernetes resource quantities (`500m`, `1.5Gi`, `12e6`) parsed and printed
// the way k8s.io/apimachinery's resource.Quantity does, so that defaulting,
// hashes and revision data match byte for byte what OpenKruise stores.
//
// Values are exact: an unscaled BigInt times a power of ten. Nothing here goes
// through floating point.

export type QuantityFormat = "DecimalSI" | "BinarySI" | "DecimalExponent";

/** An exact quantity: `unscaled × 10^exponent`, printed in `format`. */
export interface Quantity {
  readonly unscaled: bigint;
  readonly exponent: number;
  readonly format: QuantityFormat;
  /**
   * The input text, when Kubernetes prints it back verbatim (it keeps the text
   * of a value that is already in one of its accepted shapes, even `+1Ki` or
   * `0100m`). Present only on values whose `exponent` is Kubernetes' own int64
   * scale, which decides whether rounding keeps the text.
   */
  readonly text?: string;
}

export type QuantityResult = { ok: true; value: Quantity } | { ok: false; error: string };

const INT64_MAX = (1n << 63n) - 1n;
/** Decimal digits an int64 always holds. */
const MAX_INT64_DIGITS = 18;
/** Parsed values are rounded up to nano units. */
const NANO = -9;
export const MILLI_SCALE = -3;

const DECIMAL_SUFFIXES = new Map<string, number>([
  ["n", -9], ["u", -6], ["m", -3], ["", 0], ["k", 3], ["M", 6], ["G", 9], ["T", 12], ["P", 15], ["E", 18],
]);
const BINARY_SUFFIXES = new Map<string, number>([
  ["Ki", 10], ["Mi", 20], ["Gi", 30], ["Ti", 40], ["Pi", 50], ["Ei", 60],
]);
const DECIMAL_SUFFIX_BY_EXPONENT = new Map<number, string>([...DECIMAL_SUFFIXES].map(([s, e]) => [e, s]));
const BINARY_SUFFIX_BY_POWER = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
const SUFFIX_CHARS = "eEinumkKMGTP";

/** What a valid quantity looks like, for error messages. */
export const QUANTITY_SYNTAX =
  "a number with an optional suffix: n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei, or an exponent such as 1e3";

function invalid(input: string): QuantityResult {
  return { ok: false, error: `${JSON.stringify(input)} is not a valid quantity; use ${QUANTITY_SYNTAX}` };
}

// Go's strings.TrimSpace: Unicode White_Space (unlike String.prototype.trim it keeps U+FEFF).
const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

interface Scanned {
  positive: boolean;
  /** The signed number without suffix, as written. */
  value: string;
  /** Integer digits with leading zeros removed ("0" when none). */
  num: string;
  /** Fraction digits. */
  denom: string;
  suffix: string;
}

/** The scanner of resource.Quantity: sign, digits, fraction, then the suffix characters. */
function scan(str: string): Scanned | undefined {
  const end = str.length;
  let pos = 0;
  let positive = true;
  const first = str.charCodeAt(0);
  if (first === 45 /* - */) {
    positive = false;
    pos++;
  } else if (first === 43 /* + */) {
    pos++;
  }
  while (pos < end && str.charCodeAt(pos) === 48) pos++;
  if (pos >= end) return { positive, value: "0", num: "0", denom: "", suffix: "" };

  const numStart = pos;
  while (pos < end && isDigit(str.charCodeAt(pos))) pos++;
  let num = str.slice(numStart, pos);
  if (pos >= end) return { positive, value: str, num, denom: "", suffix: "" };
  if (num === "") num = "0";

  let denom = "";
  if (str.charCodeAt(pos) === 46 /* . */) {
    pos++;
    const denomStart = pos;
    while (pos < end && isDigit(str.charCodeAt(pos))) pos++;
    denom = str.slice(denomStart, pos);
    if (pos >= end) return { positive, value: str, num, denom, suffix: "" };
  }
  const value = str.slice(0, pos);

  const suffixStart = pos;
  while (pos < end && SUFFIX_CHARS.includes(str[pos]!)) pos++;
  if (pos < end && (str[pos] === "-" || str[pos] === "+")) pos++;
  while (pos < end && isDigit(str.charCodeAt(pos))) pos++;
  if (pos < end) return undefined;
  return { positive, value, num, denom, suffix: str.slice(suffixStart) };
}

interface Suffix {
  base: 10 | 2;
  exponent: number;
  format: QuantityFormat;
}

function interpretSuffix(suffix: string): Suffix | undefined {
  const dec = DECIMAL_SUFFIXES.get(suffix);
  if (dec !== undefined) return { base: 10, exponent: dec, format: "DecimalSI" };
  const bin = BINARY_SUFFIXES.get(suffix);
  if (bin !== undefined) return { base: 2, exponent: bin, format: "BinarySI" };
  if (suffix.length > 1 && (suffix[0] === "e" || suffix[0] === "E")) {
    const digits = suffix.slice(1);
    if (!/^[+-]?[0-9]+$/.test(digits)) return undefined;
    const parsed = BigInt(digits);
    if (parsed > INT64_MAX || parsed < -INT64_MAX - 1n) return undefined;
    // Kubernetes keeps the exponent in an int32, wrapping larger ones.
    return { base: 10, exponent: Number(BigInt.asIntN(32, parsed)), format: "DecimalExponent" };
  }
  return undefined;
}

/**
 * Parses a quantity as resource.Quantity's JSON decoding does (surrounding
 * whitespace ignored; a JSON number reads as its text). Values finer than
 * nano units are rounded up; binary values are capped at 2^63-1.
 */
export function parseQuantity(input: string | number): QuantityResult {
  let str: string;
  if (typeof input === "number") {
    if (!Number.isFinite(input)) return invalid(String(input));
    str = String(input);
  } else {
    str = input.replace(GO_SPACE, "");
  }
  if (str === "") return invalid(typeof input === "string" ? input : str);
  if (str === "0") return { ok: true, value: { unscaled: 0n, exponent: 0, format: "DecimalSI", text: str } };

  const s = scan(str);
  if (s === undefined) return invalid(str);
  const suffix = interpretSuffix(s.suffix);
  if (suffix === undefined) return invalid(str);

  const fast = parseInt64Form(str, s, suffix);
  if (fast !== undefined) return { ok: true, value: fast };
  const slow = parseExactForm(s, suffix);
  return slow === undefined ? invalid(str) : { ok: true, value: slow };
}

/** The int64 representation Kubernetes uses when the digits fit; it may keep the input text. */
function parseInt64Form(str: string, s: Scanned, suffix: Suffix): Quantity | undefined {
  let precision: number;
  let scale: number;
  let mantissa = 1n;
  if (suffix.format === "BinarySI") {
    if (suffix.exponent < 0 || s.denom !== "") return undefined;
    scale = 0;
    mantissa = 1n << BigInt(suffix.exponent);
    precision = 15 - s.num.length - Math.trunc((suffix.exponent * 3) / 10) - 1;
  } else {
    scale = suffix.exponent;
    precision = MAX_INT64_DIGITS - (s.num.length + s.denom.length);
  }
  if (precision < 0) return undefined;
  scale -= s.denom.length;
  if (scale < NANO) return undefined;
  const shifted = s.num + s.denom;
  const digits = BigInt(shifted);
  let result = digits * mantissa;
  if (result > INT64_MAX) return undefined;
  if (!s.positive) result = -result;
  const keepsText =
    suffix.format === "BinarySI"
      ? (digits & 7n) !== 0n
      : scale % 3 === 0 && !shifted.endsWith("000") && shifted[0] !== "0";
  return keepsText
    ? { unscaled: result, exponent: scale, format: suffix.format, text: str }
    : { unscaled: result, exponent: scale, format: suffix.format };
}

/** The arbitrary-precision representation: rounded up to nano units, binary capped. */
function parseExactForm(s: Scanned, suffix: Suffix): Quantity | undefined {
  const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?$/.exec(s.value);
  if (m === null || (m[2] === "" && (m[3] ?? "") === "")) return undefined;
  const fraction = m[3] ?? "";
  let unscaled = BigInt(`${m[1] === "-" ? "-" : ""}${m[2]}${fraction}` || "0");
  let exponent = -fraction.length;
  let format = suffix.format;
  if (suffix.base === 10) exponent += suffix.exponent;
  else unscaled *= 1n << BigInt(suffix.exponent);

  if (unscaled !== 0n && exponent < NANO) {
    unscaled = roundAwayFromZero(unscaled, NANO - exponent);
    exponent = NANO;
  }
  if (format === "BinarySI") {
    const magnitude = unscaled < 0n ? -unscaled : unscaled;
    if (compareScaled(magnitude, exponent, INT64_MAX, 0) > 0) {
      unscaled = unscaled < 0n ? -INT64_MAX : INT64_MAX;
      exponent = 0;
    } else if (magnitude !== 0n && compareScaled(magnitude, exponent, 1n, 0) < 0) {
      format = "DecimalSI";
    }
  }
  return { unscaled, exponent, format };
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

function digitCount(v: bigint): number {
  return (v < 0n ? -v : v).toString().length;
}

/** Decimal exponents beyond this saturate instead of building huge numbers. */
const MAX_EXPANSION = 4096;

/** `v / 10^shift`, rounded away from zero. */
function roundAwayFromZero(v: bigint, shift: number): bigint {
  if (v === 0n) return 0n;
  if (shift <= 0) return v * pow10(Math.min(-shift, MAX_EXPANSION));
  // Anything smaller than one unit of the target scale rounds to one unit.
  if (shift > digitCount(v)) return v < 0n ? -1n : 1n;
  const d = pow10(shift);
  const q = v / d;
  if (q * d === v) return q;
  return v < 0n ? q - 1n : q + 1n;
}

/** Compares `a × 10^ea` with `b × 10^eb` without expanding far-apart exponents. */
function compareScaled(a: bigint, ea: number, b: bigint, eb: number): number {
  const sa = a < 0n ? -1 : a > 0n ? 1 : 0;
  const sb = b < 0n ? -1 : b > 0n ? 1 : 0;
  if (sa !== sb || sa === 0) return sa < sb ? -1 : sa > sb ? 1 : 0;
  const orderA = digitCount(a) + ea;
  const orderB = digitCount(b) + eb;
  if (orderA !== orderB) return (orderA > orderB ? 1 : -1) * sa;
  const e = Math.min(ea, eb);
  const x = a * pow10(ea - e);
  const y = b * pow10(eb - e);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Rounds up (away from zero) to `10^scale` units, as Quantity.RoundUp does.
 * A value whose int64 scale already fits keeps its text.
 */
export function roundUpQuantity(q: Quantity, scale: number): Quantity {
  if (q.exponent >= scale) return q;
  if (q.unscaled === 0n) return { unscaled: 0n, exponent: scale, format: q.format };
  return { unscaled: roundAwayFromZero(q.unscaled, scale - q.exponent), exponent: scale, format: q.format };
}

/** The text Kubernetes writes for a quantity (its JSON string without quotes). */
export function formatQuantity(q: Quantity): string {
  return q.text ?? formatScaledValue(q.unscaled, q.exponent, q.format);
}

/**
 * Canonical text of the exact value `unscaled × 10^exponent` in `format`:
 * the largest suffix that needs no fraction. Binary values between -1024 and
 * 1024, or that are not whole numbers, print as DecimalSI.
 */
export function formatScaledValue(unscaled: bigint, exponent: number, format: QuantityFormat = "DecimalSI"): string {
  if (unscaled === 0n) return "0";
  if (format === "BinarySI") {
    const small = compareScaled(unscaled, exponent, -1024n, 0) > 0 && compareScaled(unscaled, exponent, 1024n, 0) < 0;
    if (!small) {
      const whole = roundAwayFromZero(unscaled, -exponent);
      if (exponent >= 0 || compareScaled(whole, 0, unscaled, exponent) === 0) return formatBinary(whole);
    }
    format = "DecimalSI";
  }
  return formatDecimal(unscaled, exponent, format);
}

function formatDecimal(unscaled: bigint, exponent: number, format: QuantityFormat): string {
  const negative = unscaled < 0n;
  let digits = (negative ? -unscaled : unscaled).toString();
  let trailing = 0;
  while (digits.charCodeAt(digits.length - 1 - trailing) === 48) trailing++;
  digits = digits.slice(0, digits.length - trailing);
  let e = exponent + trailing;
  const belowMultipleOf3 = ((e % 3) + 3) % 3;
  if (belowMultipleOf3 !== 0) {
    digits += "0".repeat(belowMultipleOf3);
    e -= belowMultipleOf3;
  }
  const number = negative ? `-${digits}` : digits;
  if (format === "DecimalSI") {
    const suffix = DECIMAL_SUFFIX_BY_EXPONENT.get(e);
    // Beyond E (10^18) there is no SI suffix; the exponent form keeps the
    // value instead of dropping its magnitude.
    if (suffix !== undefined) return number + suffix;
  }
  return e === 0 ? number : `${number}e${e}`;
}

function formatBinary(whole: bigint): string {
  let v = whole;
  let power = 0;
  while (power < BINARY_SUFFIX_BY_POWER.length - 1 && v % 1024n === 0n && (v >= 1024n || v <= -1024n)) {
    v /= 1024n;
    power++;
  }
  return `${v}${BINARY_SUFFIX_BY_POWER[power]}`;
}

/** Parses and prints as Kubernetes stores it (JSON decode, then encode). */
export function normalizeQuantity(input: string | number): { ok: true; value: string } | { ok: false; error: string } {
  const r = parseQuantity(input);
  return r.ok ? { ok: true, value: formatQuantity(r.value) } : r;
}

/** Defaulting of a resource list entry: rounded up to milli units, then printed as Kubernetes does. */
export function defaultQuantity(input: string | number): { ok: true; value: string } | { ok: false; error: string } {
  const r = parseQuantity(input);
  return r.ok ? { ok: true, value: formatQuantity(roundUpQuantity(r.value, MILLI_SCALE)) } : r;
}

/** `ceil(q / 10^scale)` away from zero, e.g. scale -3 gives millicores, 0 gives bytes. */
export function quantityScaledValue(q: Quantity, scale: number): bigint {
  return roundAwayFromZero(q.unscaled, scale - q.exponent);
}

export function compareQuantities(a: Quantity, b: Quantity): number {
  return compareScaled(a.unscaled, a.exponent, b.unscaled, b.exponent);
}

export function isZeroQuantity(q: Quantity): boolean {
  return q.unscaled === 0n;
}
