import assert from "node:assert/strict";
import { test } from "node:test";
import type { LabelSelector } from "../../../src/api/kube-types.js";
import { firstUnmetRequirement, isEmptySelector, labelSelectorQuery, parseSelector, selectorMatches } from "../../../src/core/selector.js";

const cases: { name: string; selector: LabelSelector | undefined; labels: Record<string, string> | undefined; matches: boolean }[] = [
  { name: "an absent selector matches everything", selector: undefined, labels: { a: "b" }, matches: true },
  { name: "an empty selector matches everything", selector: {}, labels: undefined, matches: true },
  { name: "matchLabels needs the exact value", selector: { matchLabels: { app: "web" } }, labels: { app: "web", x: "y" }, matches: true },
  { name: "matchLabels with another value does not match", selector: { matchLabels: { app: "web" } }, labels: { app: "db" }, matches: false },
  { name: "matchLabels on a missing key does not match", selector: { matchLabels: { app: "web" } }, labels: {}, matches: false },
  { name: "In matches one of the values", selector: { matchExpressions: [{ key: "z", operator: "In", values: ["a", "b"] }] }, labels: { z: "b" }, matches: true },
  { name: "NotIn matches a missing key", selector: { matchExpressions: [{ key: "z", operator: "NotIn", values: ["a"] }] }, labels: {}, matches: true },
  { name: "NotIn rejects a listed value", selector: { matchExpressions: [{ key: "z", operator: "NotIn", values: ["a"] }] }, labels: { z: "a" }, matches: false },
  { name: "Exists needs the key, any value", selector: { matchExpressions: [{ key: "z", operator: "Exists" }] }, labels: { z: "" }, matches: true },
  { name: "DoesNotExist rejects the key", selector: { matchExpressions: [{ key: "z", operator: "DoesNotExist" }] }, labels: { z: "1" }, matches: false },
  {
    name: "every requirement must hold",
    selector: { matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "In", values: ["canary"] }] },
    labels: { app: "web", tier: "stable" },
    matches: false,
  },
  { name: "an unknown operator matches nothing", selector: { matchExpressions: [{ key: "z", operator: "Near" }] }, labels: { z: "1" }, matches: false },
];
for (const c of cases) test(c.name, () => assert.equal(selectorMatches(c.selector, c.labels), c.matches));

for (const c of cases) {
  if (!parseSelector(c.selector).ok) continue;
  test(`the first unmet requirement agrees with the match: ${c.name}`, () => {
    const parsed = parseSelector(c.selector);
    assert.ok(parsed.ok);
    const unmet = firstUnmetRequirement(parsed.requirements, c.labels);
    assert.equal(unmet === undefined, c.matches);
    if (unmet) assert.equal(selectorMatches({ matchExpressions: [unmetAsExpression(unmet)] }, c.labels), false, "the named requirement fails by itself");
  });
}

function unmetAsExpression(r: NonNullable<ReturnType<typeof firstUnmetRequirement>>) {
  return "values" in r ? { key: r.key, operator: r.operator, values: r.values } : { key: r.key, operator: r.operator };
}

const queries: { name: string; selector: LabelSelector | undefined; query: string | undefined }[] = [
  { name: "an absent selector needs no query", selector: undefined, query: undefined },
  { name: "an empty selector needs no query", selector: {}, query: undefined },
  { name: "matchLabels become equalities", selector: { matchLabels: { app: "web", tier: "front" } }, query: "app=web,tier=front" },
  {
    name: "every operator has its query form",
    selector: {
      matchExpressions: [
        { key: "a", operator: "In", values: ["x", "y"] },
        { key: "b", operator: "NotIn", values: ["z"] },
        { key: "c", operator: "Exists" },
        { key: "d", operator: "DoesNotExist" },
      ],
    },
    query: "a in (x,y),b notin (z),c,!d",
  },
];
for (const c of queries) test(`label selector query: ${c.name}`, () => assert.equal(labelSelectorQuery(c.selector), c.query));

test("In without values and Exists with values are errors, with the operator named", () => {
  const inEmpty = parseSelector({ matchExpressions: [{ key: "z", operator: "In", values: [] }] });
  assert.equal(inEmpty.ok, false);
  const existsWithValues = parseSelector({ matchExpressions: [{ key: "z", operator: "Exists", values: ["x"] }] });
  assert.equal(existsWithValues.ok, false);
  if (!existsWithValues.ok) assert.match(existsWithValues.error, /Exists/);
});

test("a selector is empty when it has neither matchLabels nor matchExpressions", () => {
  assert.equal(isEmptySelector({ matchLabels: {}, matchExpressions: [] }), true);
  assert.equal(isEmptySelector({ matchLabels: { a: "b" } }), false);
});
