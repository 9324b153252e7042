import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { timeOf } from "../../../src/api/rfc3339.js";

test("RFC 3339 times read by hand agree with Date.parse", () => {
  for (const v of ["2026-01-02T03:04:05Z", "1999-12-31T23:59:59Z", "2024-02-29T12:00:00Z", "2026-01-02T03:04:05.123Z", "2026-01-02T03:04:05+02:00"]) {
    assert.equal(timeOf(v), Date.parse(v), v);
  }
  assert.equal(timeOf(undefined), 0);
  assert.equal(timeOf("garbage"), 0);
  assert.equal(timeOf("2026-13-02T03:04:05Z"), 0, "month 13 falls back to Date.parse, which rejects it");
  assert.equal(timeOf("2026x01-02T03:04:05Z"), 0, "a wrong separator falls back to Date.parse, which rejects it");
  assert.equal(timeOf("0042-01-02T03:04:05Z"), Date.parse("0042-01-02T03:04:05Z"), "years below 100 are not 19xx");
});

test("property: any string reads as Date.parse would (0 where it cannot)", () => {
  const canonical = fc
    .integer({ min: Date.UTC(0, 0, 1) - 1900 * 365.25 * 86_400_000, max: Date.UTC(9999, 11, 31) })
    .map((ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z"))
    .filter((v) => v.length === 20);
  const altered = fc.tuple(canonical, fc.nat(19), fc.constantFrom(..."0123456789-:TZ x")).map(([v, at, c]) => v.slice(0, at) + c + v.slice(at + 1));
  const pad = (n: number, width: number): string => String(n).padStart(width, "0");
  // Any day 1–31 in any month: a day past the month's end rolls over as Date.parse does.
  const anyDay = fc
    .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }), fc.integer({ min: 0, max: 86_399 }))
    .map(([y, mo, d, s]) => `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(Math.floor(s / 3600), 2)}:${pad(Math.floor(s / 60) % 60, 2)}:${pad(s % 60, 2)}Z`);
  fc.assert(
    fc.property(fc.oneof(canonical, altered, anyDay), (v) => {
      const parsed = Date.parse(v);
      assert.equal(timeOf(v), Number.isNaN(parsed) ? 0 : parsed, v);
    }),
    { numRuns: 2000 },
  );
});
