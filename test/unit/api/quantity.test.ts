import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  compareQuantities,
  defaultQuantity,
  formatQuantity,
  formatScaledValue,
  normalizeQuantity,
  parseQuantity,
  quantityScaledValue,
  roundUpQuantity,
  type Quantity,
} from "../../../src/api/quantity.js";

function parsed(input: string | number): Quantity {
  const r = parseQuantity(input);
  assert.ok(r.ok, `expected ${String(input)} to parse`);
  return r.value;
}

function normalized(input: string | number): string {
  const r = normalizeQuantity(input);
  assert.ok(r.ok, `expected ${String(input)} to parse`);
  return r.value;
}

// Expected values were produced by k8s.io/apimachinery resource.Quantity (JSON decode, then encode).
const canonical: { input: string | number; out: string; rule: string }[] = [
  { input: "0.1", out: "100m", rule: "a fraction moves to the milli suffix" },
  { input: "1000m", out: "1", rule: "trailing zeros move into a larger suffix" },
  { input: "1.5Gi", out: "1536Mi", rule: "binary stays binary with the largest whole suffix" },
  { input: "2048Mi", out: "2Gi", rule: "binary multiples of 1024 move up a suffix" },
  { input: "1.5", out: "1500m", rule: "decimal with a fraction is written in milli" },
  { input: "1.5M", out: "1500k", rule: "decimal suffix keeps its family" },
  { input: "0.5Ki", out: "512", rule: "binary below 1024 is written without suffix" },
  { input: "0.1Ki", out: "102400m", rule: "binary that is not whole is written as decimal" },
  { input: "1.1Ki", out: "1126400m", rule: "binary that is not whole is written as decimal" },
  { input: "1000e0", out: "1e3", rule: "exponent format stays exponent format" },
  { input: "1.23e6", out: "1230e3", rule: "exponent is lowered to a multiple of 3" },
  { input: "1e-10", out: "1e-9", rule: "values finer than nano round up to nano" },
  { input: "1.0000000001", out: "1000000001n", rule: "extra precision rounds up at nano" },
  { input: "1.2345678901234567890123", out: "1234567891n", rule: "long fractions round up at nano" },
  { input: "9Ei", out: "9223372036854775807", rule: "binary is capped at 2^63-1" },
  { input: "-1.5Gi", out: "-1536Mi", rule: "negative values keep their sign" },
  { input: " 1 ", out: "1", rule: "surrounding whitespace is ignored" },
  { input: "-", out: "0", rule: "a bare sign reads as zero, as Kubernetes reads it" },
  { input: ".", out: "0", rule: "a bare point reads as zero" },
  { input: "e3", out: "0", rule: "no digits before an exponent reads as zero" },
  { input: "0m", out: "0", rule: "zero in any suffix is 0" },
  { input: "Mi", out: "0", rule: "a bare suffix reads as zero, as Kubernetes reads it" },
  { input: 0.1, out: "100m", rule: "a JSON number reads as its text" },
  { input: 1000, out: "1k", rule: "a JSON number reads as its text" },
  { input: "1024", out: "1024", rule: "decimal never becomes binary" },
  { input: "1000E", out: "1e21", rule: "beyond the E suffix the exponent form keeps the magnitude" },
];
for (const c of canonical) {
  test(`quantity ${JSON.stringify(c.input)} is written ${c.out}: ${c.rule}`, () => {
    assert.equal(normalized(c.input), c.out);
  });
}

const verbatim = ["1e3", "+1Ki", "0100m", "007", "12e6", "1E", "1.G", "1E3", "100e-3", "1025Ki", "100u"];
for (const input of verbatim) {
  test(`quantity ${input} is kept verbatim because Kubernetes reuses text it already accepts`, () => {
    assert.equal(normalized(input), input);
  });
}

const defaulted: { input: string; out: string }[] = [
  { input: "0.1", out: "100m" },
  { input: "1000m", out: "1" },
  { input: "1.5Gi", out: "1536Mi" },
  { input: "2048Mi", out: "2Gi" },
  { input: "100u", out: "1m" },
  { input: "0.0001", out: "1m" },
  { input: "1n", out: "1m" },
  { input: "1.0000000001", out: "1001m" },
  { input: "1.2345678901234567890123", out: "1235m" },
  { input: "-0.0001", out: "-1m" },
  { input: "1e-10", out: "1e-3" },
  { input: "1e3", out: "1e3" },
  { input: "+1Ki", out: "+1Ki" },
];
for (const c of defaulted) {
  test(`defaulting rounds ${c.input} up to milli precision and writes ${c.out}`, () => {
    const r = defaultQuantity(c.input);
    assert.deepEqual(r, { ok: true, value: c.out });
  });
}

const invalid = ["", "1K", "1x", "1e", "abc", "1 2", "1Ki1", "1.5.5", "--1", "1e99999999999999999999", "1Mi2"];
for (const input of invalid) {
  test(`quantity ${JSON.stringify(input)} is an error value naming the input and the accepted suffixes`, () => {
    const r = parseQuantity(input);
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.match(r.error, /is not a valid quantity/);
      assert.match(r.error, /Ki, Mi/);
    }
  });
}

test("non-finite numbers are an error value, not a throw", () => {
  assert.equal(parseQuantity(Number.NaN).ok, false);
  assert.equal(parseQuantity(Number.POSITIVE_INFINITY).ok, false);
});

test("huge exponents stay cheap: the wrap to int32 and far-apart comparisons", () => {
  assert.equal(normalized("1e4294967296"), "1e4294967296");
  assert.equal(formatQuantity(roundUpQuantity(parsed("1e-2000000000"), -3)), "1e-3");
  assert.equal(compareQuantities(parsed("1e2000000000"), parsed("1")), 1);
});

const milli: { input: string; milli: bigint }[] = [
  { input: "1", milli: 1000n },
  { input: "500m", milli: 500n },
  { input: "1.5", milli: 1500n },
  { input: "1Ki", milli: 1024000n },
  { input: "100u", milli: 1n },
  { input: "0", milli: 0n },
];
for (const c of milli) {
  test(`milli value of ${c.input} is ${c.milli}, rounded up`, () => {
    assert.equal(quantityScaledValue(parsed(c.input), -3), c.milli);
  });
}

test("scaled value in bytes of 1.5Gi is exact", () => {
  assert.equal(quantityScaledValue(parsed("1.5Gi"), 0), 1610612736n);
});

const formats: { unscaled: bigint; exponent: number; format: "DecimalSI" | "BinarySI"; out: string }[] = [
  { unscaled: 300n, exponent: -3, format: "DecimalSI", out: "300m" },
  { unscaled: 2000n, exponent: -3, format: "DecimalSI", out: "2" },
  { unscaled: 1610612736n, exponent: 0, format: "BinarySI", out: "1536Mi" },
  { unscaled: 1610612736000n, exponent: -3, format: "BinarySI", out: "1536Mi" },
  { unscaled: 1000n, exponent: 0, format: "BinarySI", out: "1k" },
  { unscaled: 1025n, exponent: 0, format: "BinarySI", out: "1025" },
  { unscaled: 1536500n, exponent: -3, format: "BinarySI", out: "1536500m" },
  { unscaled: 0n, exponent: 0, format: "BinarySI", out: "0" },
];
for (const c of formats) {
  test(`${c.unscaled}e${c.exponent} in ${c.format} is written ${c.out}`, () => {
    assert.equal(formatScaledValue(c.unscaled, c.exponent, c.format), c.out);
  });
}

test("quantities compare by exact value across suffixes", () => {
  assert.equal(compareQuantities(parsed("1Ki"), parsed("1024")), 0);
  assert.equal(compareQuantities(parsed("999m"), parsed("1")), -1);
  assert.equal(compareQuantities({ unscaled: 2n, exponent: 0, format: "DecimalSI" }, parsed("1500m")), 1);
});

test("canonical text keeps the value and is a fixed point from its second writing, as Kubernetes's (187.5Ki, 192000, 192k)", () => {
  // An unsuffixed integer reads back as DecimalSI, so a BinarySI value written without a suffix gets a decimal one
  // the next time: Kubernetes (apimachinery 0.37) writes 187.5Ki as 192000, and 192000 as 192k.
  const first = normalizeQuantity("187.5Ki");
  assert.deepEqual(first, { ok: true, value: "192000" });
  assert.equal(formatQuantity(parsed("192000")), "192k");
  assert.equal(formatQuantity(parsed("192k")), "192k");

  const number = fc
    .tuple(
      fc.constantFrom("", "-", "+"),
      fc.stringMatching(/^[0-9]{0,20}$/),
      fc.option(fc.stringMatching(/^[0-9]{0,12}$/), { nil: undefined }),
      fc.constantFrom("", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "e3", "e-7", "E2"),
    )
    .map(([sign, int, frac, suffix]) => `${sign}${int}${frac === undefined ? "" : `.${frac}`}${suffix}`);
  fc.assert(
    fc.property(number, (text) => {
      const r = normalizeQuantity(text);
      if (!r.ok) return;
      const again = parsed(r.value);
      assert.equal(compareQuantities(again, parsed(text)), 0);
      const second = formatQuantity(again);
      const third = parsed(second);
      assert.equal(compareQuantities(third, parsed(text)), 0);
      assert.equal(formatQuantity(third), second);
      if (parsed(text).format !== "BinarySI" || /i$/.test(r.value)) assert.equal(second, r.value, "fixed at once unless a binary value was written without a binary suffix");
    }),
    { numRuns: 2000 },
  );
});
