import assert from "node:assert/strict";
import { test } from "node:test";
import { isFieldError, parseIntOrPercent, partitionCount, upgradableUnderPartition } from "../../../../src/core/rollout/partition.js";
import { maxUnavailableCount, walkUnavailableBudget } from "../../../../src/core/rollout/max-unavailable.js";

function p(v: number | string | undefined, n: number): number {
  const parsed = parseIntOrPercent(v, "spec.updateStrategy.partition");
  assert.ok(!isFieldError(parsed));
  return partitionCount(parsed, n);
}

const partitionCases: { name: string; value: number | string | undefined; matched: number; kept: number }[] = [
  { name: "unset keeps none", value: undefined, matched: 10, kept: 0 },
  { name: "an integer is clamped to the matched pods", value: 50, matched: 10, kept: 10 },
  { name: "a percentage rounds up", value: "10%", matched: 15, kept: 2 },
  { name: "E7: 99% of 5 rounds up to all, so one pod still moves", value: "99%", matched: 5, kept: 4 },
  { name: "exactly 100% keeps all", value: "100%", matched: 5, kept: 5 },
  { name: "over 100% short of exactly 100% still moves one", value: "150%", matched: 5, kept: 4 },
  { name: "a single pod keeps 1 for any non-zero percentage", value: "1%", matched: 1, kept: 1 },
  { name: "0% keeps none", value: "0%", matched: 8, kept: 0 },
  { name: "1000 pods at 98% keep 980", value: "98%", matched: 1000, kept: 980 },
];
for (const c of partitionCases) test(`partition: ${c.name}`, () => assert.equal(p(c.value, c.matched), c.kept));

test("partition counts against waiting pods", () => {
  assert.equal(upgradableUnderPartition(70, 50), 20);
  assert.equal(upgradableUnderPartition(30, 50), 0);
});

test("malformed int-or-strings are field errors that say what is allowed", () => {
  for (const bad of ["ten", "10", "-5%", "10.5%", -1, 1.5]) {
    const r = parseIntOrPercent(bad, "spec.updateStrategy.maxUnavailable");
    assert.ok(isFieldError(r), String(bad));
    assert.equal(r.path, "spec.updateStrategy.maxUnavailable");
    assert.match(r.message, /whole percentage like "10%"/);
  }
});

test("maxUnavailable: 1 when unset, the integer, or ceil of a percentage of matched pods", () => {
  assert.equal(maxUnavailableCount(undefined, 100), 1);
  assert.equal(maxUnavailableCount({ kind: "int", value: 7 }, 100), 7);
  assert.equal(maxUnavailableCount({ kind: "percent", value: 10, raw: "10%" }, 1000), 100);
  assert.equal(maxUnavailableCount({ kind: "percent", value: 10, raw: "10%" }, 15), 2);
  assert.equal(maxUnavailableCount({ kind: "int", value: 0 }, 10), 0);
});

const walkCases: { name: string; ready: boolean[]; budget: number; unavailable: number; taken: number; after: number }[] = [
  { name: "ready pods are taken while U < M", ready: [true, true, true], budget: 2, unavailable: 0, taken: 2, after: 2 },
  { name: "not-ready pods are taken without using the budget", ready: [false, false, true], budget: 1, unavailable: 0, taken: 3, after: 1 },
  { name: "the walk stops at the first ready pod that does not fit", ready: [true, false, true], budget: 0, unavailable: 0, taken: 0, after: 0 },
  { name: "maxUnavailable 0 still takes leading not-ready pods", ready: [false, true, false], budget: 0, unavailable: 0, taken: 1, after: 0 },
  { name: "a budget already used up takes nothing ready", ready: [true], budget: 3, unavailable: 5, taken: 0, after: 5 },
];
for (const c of walkCases) {
  test(`maxUnavailable walk: ${c.name}`, () => {
    const w = walkUnavailableBudget(c.ready, c.budget, c.unavailable);
    assert.equal(w.taken, c.taken);
    assert.equal(w.unavailableAfter, c.after);
  });
}
