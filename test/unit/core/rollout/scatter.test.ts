import assert from "node:assert/strict";
import { test } from "node:test";
import { expandScatterTerms, scatter, scatterByTerm, scatterGroups, ScatterCodes } from "../../../../src/core/rollout/scatter.js";

type Item = { id: number; labels: Record<string, string> };
const labelsOf = (i: Item): Record<string, string> => i.labels;
type L = Record<string, string>;
const items = (n: number, label: (i: number) => L): Item[] =>
  Array.from({ length: n }, (_, id) => ({ id, labels: label(id) }));
const ids = (xs: Item[]): number[] => xs.map((x) => x.id);

test("E9: scatter with pod totals interleaves by the overall density", () => {
  const all = items(7, (i) => (i >= 4 ? { labelA: "AAA" } : ({} as L)));
  const waiting = all.slice(0, 6);
  const out = scatter([{ key: "labelA", value: "AAA" }], waiting, all, labelsOf, labelsOf);
  assert.deepEqual(ids(out), [0, 1, 4, 2, 3, 5]);
});

test("E9: a key-only term expands to every value of the key, first occurrence first", () => {
  const all = items(3, (i) => ({ zone: ["b", "a", "b"][i]! }));
  assert.deepEqual(expandScatterTerms([{ key: "zone" }], all, labelsOf), [
    { key: "zone", value: "b" },
    { key: "zone", value: "a" },
  ]);
  assert.deepEqual(expandScatterTerms([{ key: "zone", value: "*" }, { key: "zone", value: "a" }, { key: "zone", value: "" }], all, labelsOf), [
    { key: "zone", value: "b" },
    { key: "zone", value: "a" },
  ]);
});

test("one matching pod or one other pod ⇒ the term leaves the order alone", () => {
  const all = items(5, (i) => (i === 2 ? { k: "v" } : ({} as L)));
  assert.deepEqual(ids(scatterByTerm({ key: "k", value: "v" }, all, 5, 1, labelsOf)), [0, 1, 2, 3, 4]);
  const mostly = items(5, (i) => (i === 0 ? ({} as L) : { k: "v" }));
  assert.deepEqual(ids(scatterByTerm({ key: "k", value: "v" }, mostly, 5, 4, labelsOf)), [0, 1, 2, 3, 4]);
});

test("waiting pods no denser than all pods interleave evenly, last matching pod at the end", () => {
  // 3 of 9 waiting match, same density as all pods.
  const all = items(9, (i) => (i < 3 ? { k: "v" } : ({} as L)));
  const out = scatter([{ key: "k", value: "v" }], all, all, labelsOf, labelsOf);
  // M=[0,1] after the tail (2) is taken; U=[3..8]; G(2,6): n=2, ms=1, us=3.
  assert.deepEqual(ids(out), [0, 3, 4, 5, 1, 6, 7, 8, 2]);
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
  const all = items(12, (i) => ({ zone: i % 3 === 0 ? "a" : "b", ...(i < 2 ? { rare: "x" } : ({} as L)) }));
  const terms = [
    { key: "rare", value: "x" },
    { key: "zone", value: "a" },
    { key: "none", value: "z" },
  ];
  const out = scatter(terms, all, all, labelsOf, labelsOf);
  // zone=a (4 pods) applies first, then rare=x (2 pods); same set of pods either way.
  const zoneFirst = scatterByTerm({ key: "rare", value: "x" }, scatterByTerm({ key: "zone", value: "a" }, all, 12, 4, labelsOf), 12, 2, labelsOf);
  assert.deepEqual(ids(out), ids(zoneFirst));
  assert.deepEqual([...ids(out)].sort((a, b) => a - b), ids(all));
});

test("no terms or at most one waiting pod ⇒ unchanged", () => {
  const all = items(4, () => ({ k: "v" }));
  assert.deepEqual(ids(scatter([], all, all, labelsOf, labelsOf)), [0, 1, 2, 3]);
  assert.deepEqual(ids(scatter([{ key: "k", value: "v" }], all.slice(0, 1), all, labelsOf, labelsOf)), [0]);
});

test("expanding while numbering label values gives the same order as expanding first", async () => {
  const { scatterOrderOfStrategy } = await import("../../../../src/core/rollout/scatter.js");
  const all = items(40, (i) => ({ zone: ["b", "a", "c"][i % 3]!, ...(i % 4 === 0 ? { rack: "r1" } : ({} as L)) }));
  const waiting = all.filter((x) => x.id % 5 !== 0);
  const terms = [{ key: "zone" }, { key: "rack", value: "r1" }, { key: "zone", value: "a" }];
  const expected = ids(scatter(expandScatterTerms(terms, all, labelsOf), waiting, all, labelsOf, labelsOf));
  const order = scatterOrderOfStrategy(terms, Int32Array.from(waiting.map((w) => w.id)), all.map(labelsOf));
  assert.deepEqual(Array.from(order, (k) => waiting[k]!.id), expected);
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
