import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { BodyBudget } from "../../../src/webhook/body-budget.js";

const limits = { totalBytes: 100, largeTotalBytes: 50, largeBytes: 20 };

test("small bodies take the whole budget, and no more", () => {
  const budget = new BodyBudget(limits);
  const shares = Array.from({ length: 5 }, () => budget.share());
  for (const s of shares) assert.equal(budget.take(s, 20), true);
  const sixth = budget.share();
  assert.equal(budget.take(sixth, 1), false, "the budget is full");
  assert.deepEqual(sixth, { bytes: 0, large: false }, "a refused chunk is not counted");
  budget.release(shares[0]!);
  assert.equal(budget.take(sixth, 20), true, "room again once a request is answered");
  assert.deepEqual(budget.usage(), { bytes: 100, largeBytes: 0 });
});

test("large bodies share only their part of the budget, so small ones keep room", () => {
  const budget = new BodyBudget(limits);
  const a = budget.share();
  const b = budget.share();
  assert.equal(budget.take(a, 15), true);
  assert.equal(budget.take(a, 15), true, "a becomes large: its 30 bytes move to the large pool");
  assert.deepEqual(a, { bytes: 30, large: true });
  assert.deepEqual(budget.usage(), { bytes: 30, largeBytes: 30 });
  assert.equal(budget.take(b, 20), true, "b is at the threshold, still small");
  assert.equal(budget.take(b, 1), false, "b would bring 21 bytes to a large pool holding 30 of 50");
  assert.deepEqual(b, { bytes: 20, large: false });
  assert.equal(budget.take(a, 20), true, "a grows to the large pool's limit");
  assert.equal(budget.take(a, 1), false);
  const small = budget.share();
  assert.equal(budget.take(small, 20), true, "small bodies still get the rest");
  assert.deepEqual(budget.usage(), { bytes: 90, largeBytes: 50 });
  budget.release(a);
  assert.deepEqual(budget.usage(), { bytes: 40, largeBytes: 0 });
  assert.equal(budget.take(b, 1), true);
});

test("property: the counts never pass the limits and return to zero once every request is released", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(7), fc.integer({ min: 1, max: 30 }), fc.boolean()), { maxLength: 200 }),
      (steps) => {
        const budget = new BodyBudget(limits);
        const shares = Array.from({ length: 8 }, () => budget.share());
        for (const [i, n, release] of steps) {
          const s = shares[i]!;
          if (release) budget.release(s);
          else budget.take(s, n);
          const { bytes, largeBytes } = budget.usage();
          assert.ok(bytes <= limits.totalBytes && largeBytes <= limits.largeTotalBytes);
          assert.equal(bytes, shares.reduce((t, x) => t + x.bytes, 0));
          assert.equal(largeBytes, shares.filter((x) => x.large).reduce((t, x) => t + x.bytes, 0));
        }
        for (const s of shares) budget.release(s);
        assert.deepEqual(budget.usage(), { bytes: 0, largeBytes: 0 });
      },
    ),
  );
});

test("limits out of order are refused", () => {
  assert.throws(() => new BodyBudget({ totalBytes: 10, largeTotalBytes: 20, largeBytes: 5 }), /largeTotalBytes <= totalBytes/);
  assert.throws(() => new BodyBudget({ totalBytes: 10, largeTotalBytes: 5, largeBytes: 0 }), /0 < largeBytes/);
});
