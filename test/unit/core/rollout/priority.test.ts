import assert from "node:assert/strict";
import { test } from "node:test";
import type { UpdatePriorityStrategy } from "../../../../src/api/types.js";
import { comparePriority, priorityScorerOf, trailingInteger } from "../../../../src/core/rollout/priority.js";

function order(strategy: Parameters<typeof priorityScorerOf>[0], labels: Record<string, string>[]): number[] {
  const scorer = priorityScorerOf(strategy)!;
  return labels
    .map((l, i) => ({ i, k: scorer(l) }))
    .sort((a, b) => comparePriority(a.k, b.k) || a.i - b.i)
    .map((x) => x.i);
}

test("weightPriority: the sum of matching weights, larger first", () => {
  const strategy: UpdatePriorityStrategy = {
    weightPriority: [
      { weight: 50, matchSelector: { matchLabels: { tier: "gold" } } },
      { weight: 30, matchSelector: { matchLabels: { zone: "a" } } },
    ],
  };
  assert.deepEqual(order(strategy, [{}, { zone: "a" }, { tier: "gold" }, { tier: "gold", zone: "a" }]), [3, 2, 1, 0]);
});

test("weightPriority: an unparseable term contributes nothing", () => {
  const strategy = {
    weightPriority: [
      { weight: 50, matchSelector: { matchExpressions: [{ key: "x", operator: "Bogus" }] } },
      { weight: 10, matchSelector: { matchLabels: { a: "1" } } },
    ],
  };
  assert.deepEqual(order(strategy, [{ x: "1" }, { a: "1" }]), [1, 0]);
});

test("orderPriority: earlier key first, larger trailing integer first, pods without keys go first", () => {
  const strategy = { orderPriority: [{ orderedKey: "first" }, { orderedKey: "second" }] };
  const labels: Record<string, string>[] = [{ second: "v9" }, { first: "v2" }, { first: "v10" }, {}, { first: "none" }];
  assert.deepEqual(order(strategy, labels), [3, 2, 1, 4, 0]);
});

test("orderPriority: a key every object inherits a property under counts only where the pod carries the label", () => {
  const strategy = { orderPriority: [{ orderedKey: "constructor" }, { orderedKey: "toString" }] };
  assert.deepEqual(order(strategy, [{ constructor: "v1" }, {}, { toString: "v3" }, { constructor: "v2" }]), [1, 3, 0, 2]);
});

test("trailing integers: none or int64 overflow read as 0; exact beyond 2^53", () => {
  assert.equal(trailingInteger("abc"), "");
  assert.equal(trailingInteger("v007"), "7");
  assert.equal(trailingInteger("x9223372036854775807"), "9223372036854775807");
  assert.equal(trailingInteger("x9223372036854775808"), "");
  const scorer = priorityScorerOf({ orderPriority: [{ orderedKey: "k" }] })!;
  assert.ok(comparePriority(scorer({ k: "9007199254740993" }), scorer({ k: "9007199254740992" })) < 0);
});

test("no weights and no keys ⇒ no priority sort", () => {
  assert.equal(priorityScorerOf(undefined), null);
  assert.equal(priorityScorerOf({ weightPriority: [], orderPriority: [] }), null);
});
