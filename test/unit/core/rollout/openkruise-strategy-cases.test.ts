// OpenKruise's own table of "which pods go next" (its controller's strategy
// tests): how many pods one round upgrades for a SidecarSet's maxUnavailable,
// partition and canary selector, given how many pods are already upgraded and
// how many of those already run the new image; then in which order, priorities
// included. The pods come shuffled, as in OpenKruise's table, since neither
// the count nor the order may depend on how the cache lists them.
// docs/compatibility.md names this file beside the end-to-end counterparts.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../../../src/api/kube-types.js";
import type { SidecarSetUpdateStrategy } from "../../../../src/api/types.js";
import { planUpgrade } from "../../../../src/core/rollout/plan.js";
import { makePod, makeSet, NOW, type PodState } from "./fixtures.js";

/** `count` pods, the first `upgraded` on the new revision, the first `running` of those already running it. */
function fleet(count: number, upgraded: number, running: number, extra: (i: number) => PodState = () => ({})): Pod[] {
  const pods = Array.from({ length: count }, (_, i) =>
    makePod(`pod-${i}`, { createdAt: 0, ...(i < upgraded ? { updated: true, consistent: i < running } : {}), ...extra(i) }),
  );
  return shuffled(pods, count);
}

/** A fixed shuffle (a linear congruential sequence seeded by `seed`), so a failure reproduces. */
function shuffled<T>(items: T[], seed: number): T[] {
  let state = seed + 1;
  const next = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

const cases: { name: string; strategy: SidecarSetUpdateStrategy; pods: () => Pod[]; upgrade: number; notUpgradable?: number }[] = [
  { name: "maxUnavailable 10; 100 pods, 30 upgraded, 26 of them running it", strategy: { maxUnavailable: 10 }, pods: () => fleet(100, 30, 26), upgrade: 6 },
  { name: 'maxUnavailable "10%"; 1,000 pods, 300 upgraded, 260 running it', strategy: { maxUnavailable: "10%" }, pods: () => fleet(1000, 300, 260), upgrade: 60 },
  { name: 'maxUnavailable "5%"; 1,000 pods, 300 upgraded, 250 running it: the budget is used up', strategy: { maxUnavailable: "5%" }, pods: () => fleet(1000, 300, 250), upgrade: 0 },
  { name: "maxUnavailable 100; 100 pods, 30 upgraded, 27 running it: every waiting pod", strategy: { maxUnavailable: 100 }, pods: () => fleet(100, 30, 27), upgrade: 70 },
  { name: "partition 180, maxUnavailable 100; 1,000 pods, 800 upgraded, 760 running it", strategy: { partition: 180, maxUnavailable: 100 }, pods: () => fleet(1000, 800, 760), upgrade: 20 },
  { name: "partition 100, maxUnavailable 100; 1,000 pods, 800 upgraded, 760 running it", strategy: { partition: 100, maxUnavailable: 100 }, pods: () => fleet(1000, 800, 760), upgrade: 60 },
  { name: 'partition "18%", maxUnavailable 100; 1,000 pods, 800 upgraded, 760 running it', strategy: { partition: "18%", maxUnavailable: 100 }, pods: () => fleet(1000, 800, 760), upgrade: 20 },
  { name: 'partition "10%", maxUnavailable 100; 1,000 pods, 800 upgraded, 760 running it', strategy: { partition: "10%", maxUnavailable: 100 }, pods: () => fleet(1000, 800, 760), upgrade: 60 },
  {
    name: "canary selector taking 30 of 1,000 pods, maxUnavailable 100",
    strategy: { maxUnavailable: 100, selector: { matchLabels: { canary: "test" } } },
    pods: () => fleet(1000, 0, 0, (i) => (i < 30 ? { labels: { canary: "test" } } : {})),
    upgrade: 30,
  },
  {
    name: "more than images changed, maxUnavailable 100; 100 pods: none can be upgraded in place",
    strategy: { maxUnavailable: 100 },
    pods: () => fleet(100, 0, 0, () => ({ notUpgradable: true })),
    upgrade: 0,
    notUpgradable: 100,
  },
  { name: 'maxUnavailable "5%" of 5 pods rounds up to 1', strategy: { maxUnavailable: "5%" }, pods: () => fleet(5, 0, 0), upgrade: 1 },
  { name: 'partition "99%", maxUnavailable 5; 5 pods: one still moves', strategy: { partition: "99%", maxUnavailable: 5 }, pods: () => fleet(5, 0, 0), upgrade: 1 },
  { name: 'partition "1%", maxUnavailable 5; 5 pods: one is kept', strategy: { partition: "1%", maxUnavailable: 5 }, pods: () => fleet(5, 0, 0), upgrade: 4 },
];

for (const c of cases) {
  test(`OpenKruise's next-upgrade table: ${c.name} → ${c.upgrade}`, () => {
    const plan = planUpgrade(makeSet(c.strategy), c.pods(), { now: NOW });
    assert.equal(plan.upgrade.length, c.upgrade);
    assert.equal(plan.notUpgradable.length, c.notUpgradable ?? 0);
  });
}

/** 20 pods created a second apart (pod-19 the newest), the first 10 upgraded, the first `running` of those running it. */
const twenty = (running: number, extra: (i: number) => PodState = () => ({})) => fleet(20, 10, running, (i) => ({ createdAt: i, ...extra(i) }));

const orderCases: { name: string; strategy: SidecarSetUpdateStrategy; pods: () => Pod[]; next: string[] }[] = [
  { name: "newer pods first", strategy: { maxUnavailable: 10 }, pods: () => twenty(5), next: ["pod-19", "pod-18", "pod-17", "pod-16", "pod-15"] },
  {
    name: "not-ready pods before ready ones, and they use no budget",
    strategy: { maxUnavailable: 10 },
    pods: () => twenty(5, (i) => (i === 10 || i === 13 ? { ready: false } : {})),
    next: ["pod-13", "pod-10", "pod-19", "pod-18", "pod-17", "pod-16", "pod-15"],
  },
  {
    name: "weightPriority: the heavier term's pods first",
    strategy: {
      maxUnavailable: 10,
      priorityStrategy: {
        weightPriority: [
          { weight: 50, matchSelector: { matchLabels: { "test-key": "foo" } } },
          { weight: 30, matchSelector: { matchLabels: { "test-key": "bar" } } },
        ],
      },
    },
    pods: () => twenty(2, (i) => (i === 15 ? { labels: { "test-key": "bar" } } : i === 16 ? { labels: { "test-key": "foo" } } : {})),
    next: ["pod-16", "pod-15"],
  },
  {
    name: "orderPriority: the larger value of the ordered key first",
    strategy: { maxUnavailable: 10, priorityStrategy: { orderPriority: [{ orderedKey: "key1" }] } },
    pods: () => twenty(2, (i) => ({ labels: { key1: i === 17 ? "10" : i === 18 ? "20" : "5" } })),
    next: ["pod-18", "pod-17"],
  },
];

for (const c of orderCases) {
  test(`OpenKruise's next-upgrade order: ${c.name}`, () => {
    const plan = planUpgrade(makeSet(c.strategy), c.pods(), { now: NOW });
    assert.deepEqual(
      plan.upgrade.map((p) => p.metadata?.name),
      c.next,
    );
  });
}
