// The Progressing condition (docs/behaviour.md §7a.5) as the plan says it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PROGRESS_DEADLINE_ANNOTATION } from "../../../../src/api/keys.js";
import type { SidecarSet, SidecarSetCondition } from "../../../../src/api/types.js";
import { planUpgrade } from "../../../../src/core/rollout/plan.js";
import { isHaltedCondition, progressingValue, withProgressingCondition } from "../../../../src/core/rollout/progressing-condition.js";
import { makePod, makeSet, NOW } from "./fixtures.js";

function gated(strategy: Parameters<typeof makeSet>[0] = { maxUnavailable: 5 }): SidecarSet {
  const set = makeSet(strategy);
  return { ...set, metadata: { ...set.metadata, annotations: { ...set.metadata.annotations, [PROGRESS_DEADLINE_ANNOTATION]: "60" } } };
}

const crashing = makePod("bad", { updated: true, ready: false, sidecar: { restartedAt: 5, waiting: "CrashLoopBackOff" } });

const cases: { name: string; set: SidecarSet; pods: ReturnType<typeof makePod>[]; status?: string; reason?: string; message?: RegExp }[] = [
  { name: "no progress deadline: no condition", set: makeSet(), pods: [crashing] },
  {
    name: "halted: False, ProgressDeadlineExceeded, naming the pod and why",
    set: gated(),
    pods: [crashing, makePod("old")],
    status: "False",
    reason: "ProgressDeadlineExceeded",
    message: /^1 upgraded pod\(s\) failed on revision rev-2 \(sidecarset.io\/max-failed-upgrades is 1\): default\/bad \(sidecar: CrashLoopBackOff\);/,
  },
  { name: "pods left to upgrade: True, Upgrading", set: gated(), pods: [makePod("new", { updated: true }), makePod("old")], status: "True", reason: "Upgrading", message: /1\/2 pod\(s\) updated/ },
  { name: "every pod updated and ready: True, Complete", set: gated(), pods: [makePod("a", { updated: true }), makePod("b", { updated: true })], status: "True", reason: "Complete" },
  {
    name: "held by the partition with nothing in flight: True, Complete",
    set: gated({ partition: 1, maxUnavailable: 5 }),
    pods: [makePod("a", { updated: true }), makePod("b")],
    status: "True",
    reason: "Complete",
    message: /1 kept on the previous version/,
  },
];

for (const c of cases) {
  test(c.name, () => {
    const value = progressingValue(planUpgrade(c.set, c.pods, { now: NOW }), "rev-2");
    if (!c.status) return assert.equal(value, undefined);
    assert.equal(value?.status, c.status);
    assert.equal(value?.reason, c.reason);
    if (c.message) assert.match(value?.message ?? "", c.message);
  });
}

test("the condition is added beside the others, and dropped once the SidecarSet no longer asks for a deadline", () => {
  const reconciled: SidecarSetCondition = { type: "Reconciled", status: "True", reason: "ReconcileSucceeded", lastTransitionTime: "2026-01-01T00:00:00Z" };
  const value = progressingValue(planUpgrade(gated(), [crashing], { now: NOW }), "rev-2")!;
  const halted = withProgressingCondition([reconciled], value, NOW)!;
  assert.deepEqual(halted.map((c) => c.type), ["Reconciled", "Progressing"]);
  assert.equal(isHaltedCondition(halted), true);
  assert.equal(withProgressingCondition(halted, value, NOW), undefined, "no change, no write");
  assert.deepEqual(withProgressingCondition(halted, undefined, NOW), [reconciled]);
  assert.equal(withProgressingCondition([reconciled], undefined, NOW), undefined, "nothing to drop, no write");
});
