import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Pod } from "../../../../src/api/kube-types.js";
import type { SidecarSetUpdateStrategy } from "../../../../src/api/types.js";
import { isReadyForSidecarSet } from "../../../../src/core/rollout/consistency.js";
import { planUpgrade, tallyPods, type PodTally } from "../../../../src/core/rollout/plan.js";
import { PlanMemo } from "../../../../src/core/rollout/plan-memo.js";
import { isPodUpdated } from "../../../../src/core/rollout/status.js";
import { at, makePod, makeSet, names, NOW, type PodState } from "./fixtures.js";

const stateArb: fc.Arbitrary<PodState> = fc.oneof(
  fc.constant({}),
  fc.constant({ ready: false }),
  fc.constant({ updated: true }),
  fc.constant({ updated: true, consistent: false }),
  fc.constant({ updated: true, ready: false }),
  fc.constant({ notUpgradable: true }),
  fc.constant({ busy: true }),
);

const podArb = fc.record({
  state: stateArb,
  zone: fc.constantFrom("a", "b", "c"),
  tier: fc.constantFrom("gold", "std", "v1", "v12"),
  createdAt: fc.integer({ min: 0, max: 20 }),
  readySince: fc.integer({ min: 0, max: 20 }),
  restarts: fc.integer({ min: 0, max: 2 }),
  scheduled: fc.boolean(),
});

const intOrPercent = (max: number): fc.Arbitrary<number | string> =>
  fc.oneof(fc.integer({ min: 0, max }), fc.integer({ min: 0, max: 150 }).map((p) => `${p}%`));

const strategyArb = fc.record(
  {
    partition: intOrPercent(80),
    maxUnavailable: intOrPercent(20),
    priorityStrategy: fc.oneof(
      fc.constant({ weightPriority: [{ weight: 40, matchSelector: { matchLabels: { tier: "gold" } } }] }),
      fc.constant({ orderPriority: [{ orderedKey: "tier" }] }),
    ),
    scatterStrategy: fc.oneof(fc.constant([{ key: "zone" }]), fc.constant([{ key: "zone", value: "a" }, { key: "tier", value: "gold" }])),
    selector: fc.constant({ matchExpressions: [{ key: "tier", operator: "NotIn", values: ["v1"] }] }),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<SidecarSetUpdateStrategy>;

type PodSpec = typeof podArb extends fc.Arbitrary<infer T> ? T : never;

function buildPods(specs: readonly PodSpec[]): Pod[] {
  return specs.map((s, i) =>
    makePod(`pod-${i}`, {
      ...s.state,
      createdAt: s.createdAt,
      readySince: s.readySince,
      restarts: s.restarts,
      nodeName: s.scheduled ? "node" : "",
      labels: { zone: s.zone, tier: s.tier },
    }),
  );
}

test("property: a plan respects maxUnavailable and partition, skips ineligible pods, and is deterministic", () => {
  fc.assert(
    fc.property(fc.array(podArb, { maxLength: 60 }), strategyArb, fc.integer(), (specs, strategy, seed) => {
      const set = makeSet(strategy);
      const pods = buildPods(specs);
      const plan = planUpgrade(set, pods, { now: NOW });
      const upgraded = new Set(plan.upgrade);

      // Never more than maxUnavailable ready pods made unavailable.
      const readyTaken = plan.upgrade.filter((p) => isReadyForSidecarSet(p, set)).length;
      assert.ok(readyTaken <= Math.max(0, plan.maxUnavailable - plan.unavailable), `ready ${readyTaken} > ${plan.maxUnavailable} - ${plan.unavailable}`);

      // Never below the partition.
      const notUpdated = plan.status.matchedPods - plan.status.updatedPods;
      assert.ok(notUpdated - plan.upgrade.length >= Math.min(plan.partition, notUpdated));

      // Never a not-upgradable, busy, updated or unselected pod.
      for (const p of plan.notUpgradable) assert.ok(!upgraded.has(p));
      for (const p of plan.busy) assert.ok(!upgraded.has(p));
      for (const p of plan.upgrade) {
        assert.ok(!isPodUpdated(set, p));
        if (strategy.selector) assert.notEqual(p.metadata?.labels?.tier, "v1");
      }

      // The upgrade list is a prefix of the order.
      assert.deepEqual(names(plan.order.slice(0, plan.upgrade.length)), names(plan.upgrade));

      // Same input ⇒ same order; the input order does not matter.
      const again = planUpgrade(set, pods, { now: NOW });
      assert.deepEqual(names(again.order), names(plan.order));
      const shuffled = [...pods];
      let r = seed;
      for (let i = shuffled.length - 1; i > 0; i--) {
        r = (Math.imul(r, 1103515245) + 12345) | 0;
        const j = Math.abs(r) % (i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
      }
      const reordered = planUpgrade(set, shuffled, { now: NOW });
      assert.deepEqual(names(reordered.order), names(plan.order));
      assert.deepEqual(names(reordered.upgrade), names(plan.upgrade));
      assert.deepEqual(reordered.status, plan.status);
      assert.deepEqual(reordered.pods, plan.pods);
    }),
    { numRuns: 300 },
  );
});

/** Everything a plan decides, with pods as names, for comparing two plans. */
function decisions(plan: ReturnType<typeof planUpgrade>): unknown {
  return {
    status: plan.status,
    order: names(plan.order),
    upgrade: names(plan.upgrade),
    notUpgradable: names(plan.notUpgradable),
    busy: names(plan.busy),
    partition: plan.partition,
    maxUnavailable: plan.maxUnavailable,
    unavailable: plan.unavailable,
    stopped: plan.stopped,
    pods: plan.pods,
  };
}

test("property: a plan with a memo of earlier plans decides exactly as a plan without one", () => {
  const changeArb = fc.record({ replaced: fc.boolean(), spec: podArb });
  fc.assert(
    fc.property(fc.array(fc.tuple(podArb, changeArb), { maxLength: 40 }), strategyArb, fc.boolean(), (pairs, strategy, listReversed) => {
      const set = makeSet(strategy);
      const memo = new PlanMemo();
      const before = buildPods(pairs.map(([spec]) => spec));
      planUpgrade(set, before, { now: NOW, memo });
      // The next listing: some pods unchanged (the same objects), some
      // replaced by a new object in another state, some gone.
      const replacements = buildPods(pairs.map(([, change]) => change.spec));
      const after = before.flatMap((pod, i) => {
        const change = pairs[i]![1];
        if (i % 7 === 6) return [];
        return [change.replaced ? replacements[i]! : pod];
      });
      if (listReversed) after.reverse();
      assert.deepEqual(decisions(planUpgrade(set, after, { now: NOW, memo })), decisions(planUpgrade(set, after, { now: NOW })));
      // A new version of the SidecarSet: nothing remembered applies.
      const next = makeSet(strategy);
      next.metadata.annotations!["kruise.io/sidecarset-hash"] = "hash-next";
      assert.deepEqual(decisions(planUpgrade(next, after, { now: NOW, memo })), decisions(planUpgrade(next, after, { now: NOW })));
      // Back to the first version, with other namespace labels.
      assert.deepEqual(
        decisions(planUpgrade(set, after, { now: NOW, memo, namespaceLabels: {} })),
        decisions(planUpgrade(set, after, { now: NOW, namespaceLabels: {} })),
      );
    }),
    { numRuns: 200 },
  );
});

test("property: the sums of a plan are the tallies of any split of its pods, with a memo or without", () => {
  const sumOf = (a: PodTally, b: PodTally): PodTally => ({
    status: {
      matchedPods: a.status.matchedPods + b.status.matchedPods,
      updatedPods: a.status.updatedPods + b.status.updatedPods,
      readyPods: a.status.readyPods + b.status.readyPods,
      updatedReadyPods: a.status.updatedReadyPods + b.status.updatedReadyPods,
      notInjectedPods: a.status.notInjectedPods + b.status.notInjectedPods,
    },
    flips: a.flips + b.flips,
    unavailable: a.unavailable + b.unavailable,
    tracked: a.tracked + b.tracked,
    unsettled: a.unsettled + b.unsettled,
  });
  fc.assert(
    fc.property(fc.array(fc.tuple(podArb, fc.boolean()), { maxLength: 40 }), strategyArb, fc.boolean(), (specs, strategy, withMemo) => {
      const set = makeSet(strategy);
      const pods = buildPods(specs.map(([spec]) => spec));
      const memo = withMemo ? new PlanMemo() : undefined;
      const opts = { now: NOW, ...(memo ? { memo } : {}) };
      const plan = planUpgrade(set, pods, opts);
      const whole: PodTally = { status: plan.status, flips: plan.hotUpgradeFlip.length, unavailable: plan.unavailable, tracked: 0, unsettled: 0 };
      assert.deepEqual(tallyPods(set, pods, opts), whole);
      const first = pods.filter((_, i) => specs[i]![1]);
      const second = pods.filter((_, i) => !specs[i]![1]);
      assert.deepEqual(sumOf(tallyPods(set, first, opts), tallyPods(set, second.reverse(), opts)), whole);
    }),
    { numRuns: 300 },
  );
});

test("a memo forgets pods when the namespace labels change", () => {
  const set = makeSet({}, { namespaceSelector: { matchLabels: { env: "prod" } } });
  const pods = [makePod("a")];
  const memo = new PlanMemo();
  const prod = { default: { env: "prod" } };
  assert.equal(planUpgrade(set, pods, { now: NOW, memo, namespaceLabels: prod }).status.matchedPods, 1);
  assert.equal(planUpgrade(set, pods, { now: NOW, memo, namespaceLabels: { default: { env: "dev" } } }).status.matchedPods, 0);
  assert.equal(planUpgrade(set, pods, { now: NOW, memo, namespaceLabels: prod }).status.matchedPods, 1);
});

test("property: with a progress deadline, a plan with a memo judges upgraded pods exactly as a plan without one", () => {
  const upgradedArb = fc.record({
    updated: fc.boolean(),
    ready: fc.boolean(),
    consistent: fc.boolean(),
    createdUpdated: fc.boolean(),
    patchedAt: fc.constantFrom(0, 30, 90),
    sidecar: fc.option(fc.record({ restartedAt: fc.constantFrom(undefined, -5, 40), waiting: fc.constantFrom(undefined, "CrashLoopBackOff", "ErrImagePull") }), {
      nil: undefined,
    }),
  }) as fc.Arbitrary<PodState>;
  const gate = fc.record({ deadline: fc.constantFrom("60", "100000"), maxFailed: fc.constantFrom("1", "3"), resumedAt: fc.constantFrom(undefined, 60) });
  fc.assert(
    fc.property(fc.array(fc.tuple(upgradedArb, fc.option(upgradedArb, { nil: undefined })), { maxLength: 30 }), gate, fc.integer({ min: 0, max: 200 }), (pairs, g, nowSeconds) => {
      const set = makeSet({ maxUnavailable: 3 });
      Object.assign(set.metadata.annotations!, {
        "sidecarset.io/progress-deadline-seconds": g.deadline,
        "sidecarset.io/max-failed-upgrades": g.maxFailed,
        ...(g.resumedAt !== undefined ? { "sidecarset.io/resumed-at": at(g.resumedAt) } : {}),
      });
      const now = new Date(Date.parse(at(nowSeconds)));
      const memo = new PlanMemo();
      const before = pairs.map(([state], i) => makePod(`pod-${i}`, state));
      planUpgrade(set, before, { now: NOW, memo });
      // Some pods replaced by a new object in another state; the time moved on.
      const after = before.map((pod, i) => {
        const next = pairs[i]![1];
        return next ? makePod(`pod-${i}`, next) : pod;
      });
      const remembered = planUpgrade(set, after, { now, memo });
      const fresh = planUpgrade(set, after, { now });
      assert.deepEqual(remembered.progress, fresh.progress);
      assert.deepEqual(decisions(remembered), decisions(fresh));
    }),
    { numRuns: 300 },
  );
});
