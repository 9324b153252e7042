// scatterStrategy (docs/behaviour.md §6.8): the planner's coded form against the rule
// stated plainly in test/support/scatter-oracle.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { ScatterTerm } from "../../../../src/api/types.js";
import { scatterGroups, ScatterCodes, scatterOrderOfStrategy } from "../../../../src/core/rollout/scatter.js";
import { expandScatterTerms, scatter, scatterByTerm } from "../../../support/scatter-oracle.js";

type L = Record<string, string>;
const none: L = {};
/** `id` is the item's position among all matched items. */
type Item = { id: number; labels: L };
const labelsOf = (i: Item): L => i.labels;
const items = (n: number, label: (i: number) => L): Item[] => Array.from({ length: n }, (_, id) => ({ id, labels: label(id) }));
const ids = (xs: readonly Item[]): number[] => xs.map((x) => x.id);

/** The planner's order of `waiting` (a subset of `all`, in its current order). */
function planned(terms: readonly ScatterTerm[], waiting: readonly Item[], all: readonly Item[]): number[] {
  const order = scatterOrderOfStrategy(terms, Int32Array.from(ids(waiting)), all.map(labelsOf));
  return Array.from(order, (k) => waiting[k]!.id);
}

/** The plain rule's order of `waiting`. */
function plain(terms: readonly ScatterTerm[], waiting: readonly Item[], all: readonly Item[]): number[] {
  const labels = all.map(labelsOf);
  return ids(scatter(expandScatterTerms(terms, labels), waiting, labels, labelsOf));
}

/** Both orders, which must be the same. */
function scattered(terms: readonly ScatterTerm[], waiting: readonly Item[], all: readonly Item[]): number[] {
  const want = plain(terms, waiting, all);
  assert.deepEqual(planned(terms, waiting, all), want, "the planner and the plain rule disagree");
  return want;
}

test("E9: scatter with pod totals interleaves by the overall density", () => {
  const all = items(7, (i) => (i >= 4 ? { labelA: "AAA" } : none));
  assert.deepEqual(scattered([{ key: "labelA", value: "AAA" }], all.slice(0, 6), all), [0, 1, 4, 2, 3, 5]);
});

test("E9: a key-only term expands to every value of the key, first occurrence first", () => {
  const all = items(3, (i) => ({ zone: ["b", "a", "b"][i]! })).map(labelsOf);
  assert.deepEqual(expandScatterTerms([{ key: "zone" }], all), [
    { key: "zone", value: "b" },
    { key: "zone", value: "a" },
  ]);
  assert.deepEqual(expandScatterTerms([{ key: "zone", value: "*" }, { key: "zone", value: "a" }, { key: "zone", value: "" }], all), [
    { key: "zone", value: "b" },
    { key: "zone", value: "a" },
  ]);
});

test("E9: the planner expands key-only terms in the same order", () => {
  // zone=b comes first: two terms of equal count apply in expansion order.
  const all = items(8, (i) => ({ zone: i % 2 ? "a" : "b" }));
  const bFirst = scatterByTerm({ key: "zone", value: "a" }, scatterByTerm({ key: "zone", value: "b" }, all, all.map(labelsOf), labelsOf), all.map(labelsOf), labelsOf);
  assert.deepEqual(scattered([{ key: "zone" }], all, all), ids(bFirst));
});

test("one matching pod or one other pod ⇒ the term leaves the order alone", () => {
  const one = items(5, (i) => (i === 2 ? { k: "v" } : none));
  assert.deepEqual(ids(scatterByTerm({ key: "k", value: "v" }, one, one.map(labelsOf), labelsOf)), [0, 1, 2, 3, 4]);
  assert.deepEqual(scattered([{ key: "k", value: "v" }], one, one), [0, 1, 2, 3, 4]);
  const mostly = items(5, (i) => (i === 0 ? none : { k: "v" }));
  assert.deepEqual(ids(scatterByTerm({ key: "k", value: "v" }, mostly, mostly.map(labelsOf), labelsOf)), [0, 1, 2, 3, 4]);
  assert.deepEqual(scattered([{ key: "k", value: "v" }], mostly, mostly), [0, 1, 2, 3, 4]);
});

test("waiting pods no denser than all pods interleave evenly, last matching pod at the end", () => {
  // 3 of 9 waiting match, same density as all pods.
  const all = items(9, (i) => (i < 3 ? { k: "v" } : none));
  // M=[0,1] after the tail (2) is taken; U=[3..8]; G(2,6): n=2, ms=1, us=3.
  assert.deepEqual(scattered([{ key: "k", value: "v" }], all, all), [0, 3, 4, 5, 1, 6, 7, 8, 2]);
});

test("a missing label reads as the empty value", () => {
  const all = items(6, (i) => (i < 2 ? none : i < 3 ? { k: "" } : { k: "x" }));
  // M = [0, 1] + tail 2 (missing or ""), U = [3, 4, 5]; G(2,3): n=2, ms=1, us=2.
  scattered([{ key: "k" }], all, all);
  assert.deepEqual(ids(scatterByTerm({ key: "k", value: "" }, all, all.map(labelsOf), labelsOf)), [0, 3, 4, 1, 5, 2]);
});

test("density is compared in float32, as the reference does", () => {
  // 20000002/8000001 is below 2.5 in float64 but rounds to 2.5 in float32, so
  // the waiting pods count as no denser: even groups G(2,5), none first. In
  // float64 the overall density would give groups of 2 with one pod first.
  assert.deepEqual(scatterGroups(8000001, 20000002, 2, 5), { count: 2, matchedSize: 1, unmatchedSize: 3, unmatchedFirst: 0 });
  // Group sizes round half away from zero: 5/2 = 2.5 → 3.
  assert.deepEqual(scatterGroups(2, 100, 2, 5), { count: 2, matchedSize: 1, unmatchedSize: 3, unmatchedFirst: 0 });
});

test("several terms: dropped when they match no waiting pod, applied by descending count", () => {
  const all = items(12, (i) => ({ zone: i % 3 === 0 ? "a" : "b", ...(i < 2 ? { rare: "x" } : none) }));
  const labels = all.map(labelsOf);
  const terms = [
    { key: "rare", value: "x" },
    { key: "zone", value: "a" },
    { key: "none", value: "z" },
  ];
  const out = scattered(terms, all, all);
  // zone=a (4 pods) applies first, then rare=x (2 pods); same set of pods either way.
  const zoneFirst = scatterByTerm({ key: "rare", value: "x" }, scatterByTerm({ key: "zone", value: "a" }, all, labels, labelsOf), labels, labelsOf);
  assert.deepEqual(out, ids(zoneFirst));
  assert.deepEqual([...out].sort((a, b) => a - b), ids(all));
});

test("no terms or at most one waiting pod ⇒ unchanged", () => {
  const all = items(4, () => ({ k: "v" }));
  assert.deepEqual(scattered([], all, all), [0, 1, 2, 3]);
  assert.deepEqual(scattered([{ key: "k", value: "v" }], all.slice(0, 1), all), [0]);
});

test("scatter codes added out of order and reordered number values by first occurrence in the new order", () => {
  const zones = ["c", "a", undefined, "b", "a", "c", "d", "e", "f", "g", "h", "i"];
  const codes = new ScatterCodes([{ key: "zone" }], zones.length);
  for (const z of zones) codes.add(z === undefined ? {} : { zone: z });
  codes.reorder(Int32Array.from([3, 2, 1, 0, 4, 5, 11, 10, 9, 8, 7, 6]));
  const zone = codes.byKey().get("zone")!;
  assert.deepEqual([...zone.ids.keys()], ["b", "a", "c", "i", "h", "g", "f", "e", "d"]);
  assert.deepEqual([...zone.codes], [0, -1, 1, 2, 1, 2, 3, 4, 5, 6, 7, 8]);
});

const labelsArb: fc.Arbitrary<L> = fc.record(
  {
    zone: fc.constantFrom("a", "b", "c", ""),
    rack: fc.constantFrom("r1", "r2", "r3"),
    host: fc.constantFrom("h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8", "h9", "h10"),
    // A valid label key that every object inherits a property under.
    constructor: fc.constantFrom("x", "y"),
  },
  { requiredKeys: [] },
);

const termArb: fc.Arbitrary<ScatterTerm> = fc.oneof(
  fc.record({ key: fc.constantFrom("zone", "rack", "host", "none", "constructor") }),
  fc.record({ key: fc.constantFrom("zone", "rack", "host", "constructor"), value: fc.constantFrom("*", "", "a", "b", "r1", "r2", "h3", "x", "absent") }),
);

/** Every item of `all`, some of them waiting, in an order the earlier sort left them in. */
const caseArb = fc
  .tuple(fc.array(labelsArb, { maxLength: 60 }), fc.array(termArb, { maxLength: 4 }), fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }), fc.integer())
  .map(([labels, terms, waits, seed]) => {
    const all = labels.map((l, id) => ({ id, labels: l }));
    const waiting = all.filter((_, i) => waits[i]);
    let r = seed;
    for (let i = waiting.length - 1; i > 0; i--) {
      r = (Math.imul(r, 1103515245) + 12345) | 0;
      const j = Math.abs(r) % (i + 1);
      [waiting[i], waiting[j]] = [waiting[j]!, waiting[i]!];
    }
    return { all, waiting, terms };
  });

test("property: the planner scatters as the plain rule does", () => {
  fc.assert(
    fc.property(caseArb, ({ all, waiting, terms }) => {
      assert.deepEqual(planned(terms, waiting, all), plain(terms, waiting, all));
    }),
    { numRuns: 1000 },
  );
});

test("property: codes filled out of order and reordered scatter as labels read in order", () => {
  fc.assert(
    fc.property(caseArb, ({ all, waiting, terms }) => {
      // The planner fills codes in listing order, then reorders them to (namespace, name) order.
      const codes = new ScatterCodes(terms, all.length);
      for (let i = all.length - 1; i >= 0; i--) codes.add(all[i]!.labels);
      codes.reorder(Int32Array.from(all, (_, i) => all.length - 1 - i));
      const order = scatterOrderOfStrategy(terms, Int32Array.from(ids(waiting)), codes);
      assert.deepEqual(Array.from(order, (k) => waiting[k]!.id), plain(terms, waiting, all));
    }),
    { numRuns: 500 },
  );
});
