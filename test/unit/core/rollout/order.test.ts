// The upgrade order (docs/behaviour.md §6.7 steps 1–3): the planner's slot-based
// sort against the rule stated plainly in test/support/order-oracle.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Pod } from "../../../../src/api/kube-types.js";
import type { SidecarSetUpdateStrategy } from "../../../../src/api/types.js";
import { upgradeOrderOfRanks } from "../../../../src/core/rollout/order.js";
import { planUpgrade } from "../../../../src/core/rollout/plan.js";
import { byNamespaceAndName, compareDefaultOrder, upgradeOrder as oracleOrder } from "../../../support/order-oracle.js";
import { makePod, makeSet, names, NOW, type PodState } from "./fixtures.js";

/** The production order of `waiting` among `matched` (both in any order). */
function upgradeOrder(strategy: SidecarSetUpdateStrategy | undefined, waiting: readonly Pod[], matched: readonly Pod[]): Pod[] {
  const sorted = byNamespaceAndName(matched);
  const rank = new Map(sorted.map((p, i) => [p, i]));
  const ranks = Int32Array.from(waiting, (p) => rank.get(p)!);
  return Array.from(upgradeOrderOfRanks(strategy, ranks, sorted), (r) => sorted[r]!);
}

/** Which of two pods goes first, by the planner and by the oracle; they must agree. */
function first(pa: Pod, pb: Pod): string {
  const byOracle = compareDefaultOrder(pa, pb) < 0 ? pa : pb;
  const byPlanner = upgradeOrder({}, [pa, pb], [pa, pb])[0]!;
  assert.equal(byPlanner.metadata?.name, byOracle.metadata?.name, "the planner and the oracle disagree");
  return byPlanner.metadata!.name!;
}

const rules: { name: string; a: PodState; b: PodState; first: "a" | "b" }[] = [
  { name: "unscheduled before scheduled", a: { nodeName: "n" }, b: { nodeName: "" }, first: "b" },
  { name: "Pending before Running", a: { phase: "Running" }, b: { phase: "Pending" }, first: "b" },
  { name: "Unknown before Running", a: { phase: "Running" }, b: { phase: "Unknown" }, first: "b" },
  { name: "an unknown phase ranks as Pending", a: { phase: "Unknown" }, b: { phase: "Weird" }, first: "b" },
  { name: "not ready before ready", a: { ready: true }, b: { ready: false }, first: "b" },
  { name: "both ready: ready more recently first", a: { readySince: 10 }, b: { readySince: 20 }, first: "b" },
  { name: "more restarts first", a: { restarts: 1 }, b: { restarts: 3 }, first: "b" },
  { name: "newer first", a: { createdAt: 1 }, b: { createdAt: 2 }, first: "b" },
  { name: "namespace breaks remaining ties", a: {}, b: {}, first: "a" },
  { name: "not ready pods ignore ready times", a: { ready: false, readySince: 1, createdAt: 5 }, b: { ready: false, readySince: 9, createdAt: 1 }, first: "a" },
];
for (const r of rules) test(`default order: ${r.name}`, () => assert.equal(first(makePod("a", r.a), makePod("b", r.b)), r.first));

test("default order: the namespace comes before the name", () => {
  assert.equal(first(makePod("a", { namespace: "z" }), makePod("b", { namespace: "y" })), "b");
});

test("default order: a missing ready time or creation time sorts first", () => {
  const a = makePod("a", { readySince: 5 });
  const b = makePod("b");
  delete b.status!.conditions![0]!.lastTransitionTime;
  assert.equal(first(a, b), "b");
  const c = makePod("c");
  delete c.metadata!.creationTimestamp;
  assert.equal(first(makePod("d", { createdAt: 100 }), c), "c");
});

test("E8 order: not-ready newer first, then ready newer first", () => {
  const pods: Pod[] = [];
  for (let i = 10; i < 20; i++) pods.push(makePod(`pod-${i}`, { createdAt: i, ready: i !== 10 && i !== 13 }));
  const want = ["pod-13", "pod-10", "pod-19", "pod-18", "pod-17", "pod-16", "pod-15", "pod-14", "pod-12", "pod-11"];
  assert.deepEqual(names(upgradeOrder({}, pods, pods)), want);
  assert.deepEqual(names(oracleOrder({}, pods, pods)), want);
});

test("priority sorts on top of the default order and keeps it within a priority", () => {
  const pods = [0, 1, 2, 3].map((i) => makePod(`p${i}`, { createdAt: i, labels: { tier: i % 2 ? "gold" : "std" } }));
  const strategy = { priorityStrategy: { weightPriority: [{ weight: 10, matchSelector: { matchLabels: { tier: "gold" } } }] } };
  assert.deepEqual(names(upgradeOrder(strategy, pods, pods)), ["p3", "p1", "p2", "p0"]);
  assert.deepEqual(names(oracleOrder(strategy, pods, pods)), ["p3", "p1", "p2", "p0"]);
});

test("scatter applies after the default order, counting over all matched pods", () => {
  const pods = [0, 1, 2, 3, 4, 5].map((i) => makePod(`p${i}`, { createdAt: 10 - i, labels: { zone: i < 3 ? "a" : "b" } }));
  const strategy = { scatterStrategy: [{ key: "zone", value: "a" }] };
  // Default order p0..p5 (newest first). Zone a: M = [p0, p1] + tail p2, U = [p3, p4, p5]; G(2,3) = 1:2.
  assert.deepEqual(names(upgradeOrder(strategy, pods, pods)), ["p0", "p3", "p4", "p1", "p5", "p2"]);
  assert.deepEqual(names(oracleOrder(strategy, pods, pods)), ["p0", "p3", "p4", "p1", "p5", "p2"]);
});

const podArb = fc.record({
  namespace: fc.constantFrom("default", "apps", "web"),
  scheduled: fc.boolean(),
  phase: fc.constantFrom("Running", "Pending", "Unknown", "Failed-ish"),
  ready: fc.boolean(),
  /** Seconds, or null for a missing time. */
  readySince: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null }),
  createdAt: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null }),
  restarts: fc.integer({ min: 0, max: 2 }),
  labels: fc.record(
    {
      zone: fc.constantFrom("a", "b", "c", ""),
      rack: fc.constantFrom("r1", "r2"),
      tier: fc.constantFrom("gold", "std", "v1", "v12", "v9223372036854775808"),
      // A valid label key that every object inherits a property under.
      constructor: fc.constantFrom("c1", "c2"),
    },
    { requiredKeys: [] },
  ),
});

function buildPods(specs: readonly (typeof podArb extends fc.Arbitrary<infer T> ? T : never)[]): Pod[] {
  return specs.map((s, i) => {
    const pod = makePod(`pod-${(i * 7) % specs.length}-${i}`, {
      namespace: s.namespace,
      nodeName: s.scheduled ? "node" : "",
      phase: s.phase,
      ready: s.ready,
      readySince: s.readySince ?? 0,
      createdAt: s.createdAt ?? 0,
      restarts: s.restarts,
      labels: s.labels,
    });
    if (s.readySince === null) delete pod.status!.conditions![0]!.lastTransitionTime;
    if (s.createdAt === null) delete pod.metadata!.creationTimestamp;
    return pod;
  });
}

const strategyArb = fc.record(
  {
    priorityStrategy: fc.oneof(
      fc.constant({ weightPriority: [{ weight: 40, matchSelector: { matchLabels: { tier: "gold" } } }, { weight: 5, matchSelector: { matchLabels: { zone: "a" } } }] }),
      fc.constant({ orderPriority: [{ orderedKey: "tier" }, { orderedKey: "rack" }] }),
      fc.constant({ orderPriority: [{ orderedKey: "constructor" }, { orderedKey: "tier" }] }),
    ),
    scatterStrategy: fc.oneof(
      fc.constant([{ key: "zone" }]),
      fc.constant([{ key: "zone", value: "a" }]),
      fc.constant([{ key: "zone", value: "*" }, { key: "rack", value: "r1" }, { key: "zone", value: "b" }]),
      fc.constant([{ key: "rack", value: "r2" }, { key: "tier", value: "gold" }, { key: "none", value: "x" }]),
      fc.constant([{ key: "zone", value: "" }, { key: "tier" }]),
      fc.constant([{ key: "constructor" }, { key: "zone", value: "a" }]),
    ),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<SidecarSetUpdateStrategy>;

test("property: the planner orders waiting pods as the plain rule does", () => {
  fc.assert(
    fc.property(fc.array(podArb, { maxLength: 40 }), fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), strategyArb, (specs, waits, strategy) => {
      const matched = buildPods(specs);
      const waiting = matched.filter((_, i) => waits[i]);
      assert.deepEqual(names(upgradeOrder(strategy, waiting, matched)), names(oracleOrder(strategy, waiting, matched)));
    }),
    { numRuns: 500 },
  );
});

test("property: a plan's order, from the keys it read while matching pods, is the plain rule's", () => {
  fc.assert(
    fc.property(fc.array(podArb, { maxLength: 40 }), strategyArb, (specs, strategy) => {
      const plan = planUpgrade(makeSet({ ...strategy, partition: 0 }), buildPods(specs), { now: NOW });
      assert.deepEqual(names(plan.order), names(oracleOrder(strategy, plan.order, plan.matched)));
    }),
    { numRuns: 300 },
  );
});
