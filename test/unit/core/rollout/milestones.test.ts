import assert from "node:assert/strict";
import { test } from "node:test";
import { rolloutMilestone } from "../../../../src/core/rollout/milestones.js";
import { planUpgrade } from "../../../../src/core/rollout/plan.js";
import { makePod, makeSet, NOW } from "./fixtures.js";

const pods = (updated: number, old: number, opts: { ready?: boolean } = {}) => [
  ...Array.from({ length: updated }, (_, i) => makePod(`u${i}`, { updated: true, ready: opts.ready ?? true })),
  ...Array.from({ length: old }, (_, i) => makePod(`o${i}`)),
];

test("every matched pod updated and ready: the rollout is complete", () => {
  const m = rolloutMilestone(planUpgrade(makeSet(), pods(3, 0), { now: NOW }), "rev-2");
  assert.deepEqual(m, { kind: "completed", reason: "RolloutCompleted", message: "rollout complete: all 3 matched pod(s) run revision rev-2 and are ready" });
});

test("updated but not all ready yet: no milestone", () => {
  assert.equal(rolloutMilestone(planUpgrade(makeSet(), pods(3, 0, { ready: false }), { now: NOW }), "rev-2"), undefined);
});

test("held by the partition with nothing in flight: the partition is reached, with the counts", () => {
  const m = rolloutMilestone(planUpgrade(makeSet({ partition: 2, maxUnavailable: 5 }), pods(1, 2), { now: NOW }), "rev-2");
  assert.deepEqual(m, { kind: "partition-reached", reason: "PartitionReached", message: "upgraded 1/3, partition keeps 2 on the previous version" });
});

test("pods still to upgrade this round, or held by maxUnavailable: no milestone", () => {
  assert.equal(rolloutMilestone(planUpgrade(makeSet({ partition: 1, maxUnavailable: 5 }), pods(1, 2), { now: NOW }), "r"), undefined);
  assert.equal(rolloutMilestone(planUpgrade(makeSet({ maxUnavailable: 1 }), pods(1, 2, { ready: false }), { now: NOW }), "r"), undefined);
});

test("no matched pod: nothing to announce", () => {
  assert.equal(rolloutMilestone(planUpgrade(makeSet(), [], { now: NOW }), "r"), undefined);
});
