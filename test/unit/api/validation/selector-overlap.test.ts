// docs/behaviour.md §4.4: label-selector overlap, conservative as OpenKruise's
// pkg/util/selector.go — disjoint only when provably so.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { LabelSelector } from "../../../../src/api/kube-types.js";
import { selectorsOverlap } from "../../../../src/api/validation/index.js";

const In = (key: string, ...values: string[]) => ({ key, operator: "In", values });
const NotIn = (key: string, ...values: string[]) => ({ key, operator: "NotIn", values });
const Exists = (key: string) => ({ key, operator: "Exists" });
const DoesNotExist = (key: string) => ({ key, operator: "DoesNotExist" });
const exprs = (...matchExpressions: object[]): LabelSelector => ({ matchExpressions }) as LabelSelector;
const labels = (matchLabels: Record<string, string>): LabelSelector => ({ matchLabels });

const cases: { name: string; a: LabelSelector; b: LabelSelector; overlap: boolean }[] = [
  { name: "a=h and b=i overlap (a pod may carry both)", a: labels({ a: "h" }), b: labels({ b: "i" }), overlap: true },
  { name: "a=b and a=c are disjoint", a: labels({ a: "b" }), b: labels({ a: "c" }), overlap: false },
  { name: "equal selectors overlap", a: labels({ a: "b" }), b: labels({ a: "b" }), overlap: true },
  { name: "a=b,c=d,e=f and a=x,c=d,e=f are disjoint", a: labels({ a: "b", c: "d", e: "f" }), b: labels({ a: "x", c: "d", e: "f" }), overlap: false },
  { name: "a=b and a In [b,c] overlap", a: labels({ a: "b" }), b: exprs(In("a", "b", "c")), overlap: true },
  { name: "a=x and a In [b,c] are disjoint", a: labels({ a: "x" }), b: exprs(In("a", "b", "c")), overlap: false },
  { name: "a In [b,c] and a In [c,d] overlap", a: exprs(In("a", "b", "c")), b: exprs(In("a", "c", "d")), overlap: true },
  { name: "a In [b,c] and a In [d] are disjoint", a: exprs(In("a", "b", "c")), b: exprs(In("a", "d")), overlap: false },
  { name: "a In [b,c] and a NotIn [b,c] are disjoint", a: exprs(In("a", "b", "c")), b: exprs(NotIn("a", "b", "c", "d")), overlap: false },
  { name: "a In [b,c] and a NotIn [b] overlap (c remains)", a: exprs(In("a", "b", "c")), b: exprs(NotIn("a", "b")), overlap: true },
  { name: "a Exists and a NotIn [b] are disjoint (NotIn constrains nothing, so Exists counts as unmatched)", a: exprs(Exists("a")), b: exprs(NotIn("a", "b")), overlap: false },
  { name: "a Exists and a NotIn [b] with a In [c] overlap (Exists is a wildcard)", a: exprs(Exists("a")), b: exprs(In("a", "c"), NotIn("a", "b")), overlap: true },
  { name: "a Exists and a=b overlap", a: exprs(Exists("a")), b: labels({ a: "b" }), overlap: true },
  { name: "a=b and a DoesNotExist are disjoint", a: labels({ a: "b" }), b: exprs(DoesNotExist("a")), overlap: false },
  { name: "a Exists and a DoesNotExist are disjoint", a: exprs(Exists("a")), b: exprs(DoesNotExist("a")), overlap: false },
  { name: "a=b and c=d overlap", a: labels({ a: "b" }), b: labels({ c: "d" }), overlap: true },
  { name: "Exists on a key the other side does not constrain is disjoint", a: labels({ a: "b" }), b: { matchLabels: { a: "b" }, matchExpressions: [Exists("c")] } as LabelSelector, overlap: false },
  { name: "Exists on a key both sides constrain overlaps", a: exprs(Exists("c")), b: { matchLabels: { c: "x" } }, overlap: true },
  { name: "a NotIn [b] and a DoesNotExist overlap (NotIn does not constrain A)", a: exprs(NotIn("a", "b")), b: exprs(DoesNotExist("a")), overlap: true },
  { name: "a NotIn [b] and a NotIn [c] overlap", a: exprs(NotIn("a", "b")), b: exprs(NotIn("a", "c")), overlap: true },
  { name: "matchLabels and In values on one key are all allowed", a: { matchLabels: { a: "x" }, matchExpressions: [In("a", "y")] } as LabelSelector, b: exprs(In("a", "x", "y")), overlap: true },
  { name: "empty selectors overlap everything", a: {}, b: labels({ a: "b" }), overlap: true },
];

for (const c of cases) {
  test(`selector overlap: ${c.name}`, () => {
    assert.equal(selectorsOverlap(c.a, c.b), c.overlap);
    assert.equal(selectorsOverlap(c.b, c.a), c.overlap, "overlap is symmetric");
  });
}
