// The progress deadline (docs/behaviour.md §7a.5): how one upgraded pod is
// judged, and how the verdict stops — or does not stop — the plan.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { PROGRESS_DEADLINE_ANNOTATION, MAX_FAILED_UPGRADES_ANNOTATION, RESUMED_AT_ANNOTATION } from "../../../../src/api/keys.js";
import type { ProgressPolicy } from "../../../../src/api/progress-policy.js";
import type { SidecarSet } from "../../../../src/api/types.js";
import { planUpgrade } from "../../../../src/core/rollout/plan.js";
import { judgeUpgrade, upgradeFactsOf, type UpgradeHealth } from "../../../../src/core/rollout/progress-deadline.js";
import { at, makePod, makeSet, names, NOW, SET, type PodState } from "./fixtures.js";

const EPOCH = Date.parse(at(0));
const POLICY: ProgressPolicy = { deadlineSeconds: 60, maxFailed: 1 };

function judge(state: PodState, nowSeconds: number, policy: ProgressPolicy = POLICY): UpgradeHealth {
  const pod = makePod("p", { updated: true, ...state });
  const available = (state.consistent ?? true) && (state.ready ?? true);
  return judgeUpgrade(upgradeFactsOf(pod, SET, ["sidecar"]), { policy, available, nowMs: EPOCH + nowSeconds * 1000 });
}

const healthCases: { name: string; state: PodState; now: number; policy?: ProgressPolicy; expected: UpgradeHealth }[] = [
  { name: "ready on the new image and never restarted since the patch: healthy", state: {}, now: 600, expected: { kind: "healthy" } },
  { name: "not ready within the deadline: pending until patch + deadline", state: { ready: false }, now: 30, expected: { kind: "pending", deadline: EPOCH + 60_000 } },
  { name: "not ready at patch + deadline: failed", state: { ready: false }, now: 60, expected: { kind: "failed", reason: "ProgressDeadlineExceeded" } },
  {
    name: "the kubelet never ran the new image by the deadline: failed",
    state: { consistent: false },
    now: 120,
    expected: { kind: "failed", reason: "ProgressDeadlineExceeded" },
  },
  {
    name: "an instance started after the patch exited: failed at once, even when ready again",
    state: { sidecar: { restartedAt: 5 } },
    now: 10,
    expected: { kind: "failed", reason: "Restarted", container: "sidecar" },
  },
  {
    name: "the instance the patch replaced (started before it) does not count as a restart",
    state: { sidecar: { restartedAt: -30 } },
    now: 10,
    expected: { kind: "healthy" },
  },
  {
    name: "an instance started in the patch's own second is not taken for a new one",
    state: { sidecar: { restartedAt: 0 } },
    now: 10,
    expected: { kind: "healthy" },
  },
  {
    name: "an old crash-looping instance back from its back-off just after the patch, stopped when the kubelet saw it, does not count",
    state: { sidecar: { restartedAt: 1, endedAt: 1 } },
    now: 10,
    expected: { kind: "healthy" },
  },
  {
    name: "nor one the kubelet stopped up to two seconds after the patch's second",
    state: { sidecar: { restartedAt: 1, endedAt: 2 } },
    now: 10,
    expected: { kind: "healthy" },
  },
  {
    name: "an instance started just after the patch that ended later than that counts",
    state: { sidecar: { restartedAt: 1, endedAt: 3 } },
    now: 10,
    expected: { kind: "failed", reason: "Restarted", container: "sidecar" },
  },
  {
    name: "CrashLoopBackOff after a post-patch instance exited: failed at once",
    state: { ready: false, sidecar: { restartedAt: 3, waiting: "CrashLoopBackOff" } },
    now: 8,
    expected: { kind: "failed", reason: "CrashLoopBackOff", container: "sidecar" },
  },
  {
    name: "ImagePullBackOff: failed at once",
    state: { consistent: false, ready: false, sidecar: { waiting: "ImagePullBackOff" } },
    now: 1,
    expected: { kind: "failed", reason: "ImagePullBackOff", container: "sidecar" },
  },
  {
    name: "ErrImagePull: failed at once",
    state: { consistent: false, ready: false, sidecar: { waiting: "ErrImagePull" } },
    now: 1,
    expected: { kind: "failed", reason: "ErrImagePull", container: "sidecar" },
  },
  {
    name: "created with the current revision (never upgraded in place): not judged",
    state: { createdUpdated: true, ready: false, sidecar: { restartedAt: 5, waiting: "CrashLoopBackOff" } },
    now: 600,
    expected: { kind: "untracked" },
  },
  {
    name: "patched before the last resume: forgiven",
    state: { ready: false, patchedAt: 99 },
    now: 600,
    policy: { ...POLICY, resumedAt: EPOCH + 100_000 },
    expected: { kind: "untracked" },
  },
  {
    name: "patched in the last resume's second or after: judged again (a halted rollout patches nothing, so the resumed one did)",
    state: { ready: false, patchedAt: 100 },
    now: 600,
    policy: { ...POLICY, resumedAt: EPOCH + 100_000 },
    expected: { kind: "failed", reason: "ProgressDeadlineExceeded" },
  },
];

for (const c of healthCases) test(c.name, () => assert.deepEqual(judge(c.state, c.now, c.policy), c.expected));

function gated(annotations: Record<string, string>, strategy: Parameters<typeof makeSet>[0] = { maxUnavailable: 5 }): SidecarSet {
  const set = makeSet(strategy);
  return { ...set, metadata: { ...set.metadata, annotations: { ...set.metadata.annotations, ...annotations } } };
}

const crashing = (name: string) => makePod(name, { updated: true, ready: false, sidecar: { restartedAt: 5, waiting: "CrashLoopBackOff" } });
const old = (n: number) => Array.from({ length: n }, (_, i) => makePod(`old-${i}`));

test("without the annotation the gate is off: a crash-looping upgraded pod does not stop the rollout", () => {
  const plan = planUpgrade(makeSet({ maxUnavailable: 5 }), [crashing("bad"), ...old(3)], { now: NOW });
  assert.equal(plan.progress, undefined);
  assert.equal(plan.stopped, null);
  assert.deepEqual(names(plan.upgrade), ["old-0", "old-1", "old-2"]);
});

test("one failed pod halts the rollout by default: no pod is upgraded, each waiting pod says why", () => {
  const plan = planUpgrade(gated({ [PROGRESS_DEADLINE_ANNOTATION]: "60" }), [crashing("bad"), ...old(3)], { now: NOW });
  assert.equal(plan.stopped, "progress-deadline");
  assert.deepEqual(plan.upgrade, []);
  assert.deepEqual(plan.progress?.failed, [{ pod: "default/bad", reason: "CrashLoopBackOff", container: "sidecar" }]);
  assert.equal(plan.progress?.halted, true);
  const waiting = plan.pods.filter((p) => p.pod.startsWith("default/old-"));
  assert.ok(waiting.every((p) => p.state === "rollout-stopped" && p.reason.startsWith("halted: progress deadline")), JSON.stringify(waiting));
});

test("fewer failed pods than max-failed-upgrades: the rollout goes on and the failures are reported", () => {
  const plan = planUpgrade(gated({ [PROGRESS_DEADLINE_ANNOTATION]: "60", [MAX_FAILED_UPGRADES_ANNOTATION]: "2" }), [crashing("bad"), ...old(3)], { now: NOW });
  assert.equal(plan.stopped, null);
  assert.equal(plan.progress?.halted, false);
  assert.equal(plan.progress?.failed.length, 1);
  assert.deepEqual(names(plan.upgrade), ["old-0", "old-1", "old-2"]);
});

test("a new revision lifts the halt: pods that failed on the previous one are not of the current revision", () => {
  const set = gated({ [PROGRESS_DEADLINE_ANNOTATION]: "60", "kruise.io/sidecarset-hash": "hash-next" });
  const plan = planUpgrade(set, [crashing("bad"), ...old(2)], { now: NOW });
  assert.equal(plan.stopped, null);
  assert.deepEqual(plan.progress?.failed, []);
  assert.equal(plan.upgrade.length, 3, "the failed pod (not ready, so first) and the old ones get the new revision");
});

test("a resume later than the failed pods' patches lifts the halt", () => {
  const set = gated({ [PROGRESS_DEADLINE_ANNOTATION]: "60", [RESUMED_AT_ANNOTATION]: at(1) });
  const plan = planUpgrade(set, [crashing("bad"), ...old(2)], { now: NOW });
  assert.equal(plan.stopped, null);
  assert.deepEqual(names(plan.upgrade), ["old-0", "old-1"]);
});

test("an upgraded pod not ready yet asks to be judged again at its deadline", () => {
  const set = gated({ [PROGRESS_DEADLINE_ANNOTATION]: "60" });
  const pods = [makePod("slow", { updated: true, ready: false, patchedAt: 20 }), makePod("slower", { updated: true, ready: false, patchedAt: 40 }), ...old(1)];
  const plan = planUpgrade(set, pods, { now: new Date(EPOCH + 30_000) });
  assert.equal(plan.progress?.recheckAt, EPOCH + 80_000);
  assert.equal(plan.progress?.unsettled, 2);
  assert.equal(plan.stopped, null);
});

test("an unreadable deadline leaves the gate off", () => {
  const plan = planUpgrade(gated({ [PROGRESS_DEADLINE_ANNOTATION]: "soon" }), [crashing("bad"), ...old(1)], { now: NOW });
  assert.equal(plan.progress, undefined);
  assert.deepEqual(names(plan.upgrade), ["old-0"]);
});

const podState = fc.record({
  updated: fc.boolean(),
  consistent: fc.boolean(),
  ready: fc.boolean(),
  notUpgradable: fc.boolean(),
  createdUpdated: fc.boolean(),
  patchedAt: fc.integer({ min: 0, max: 120 }),
  sidecar: fc.option(fc.record({ restartedAt: fc.option(fc.integer({ min: -10, max: 130 }), { nil: undefined }), waiting: fc.constantFrom(undefined, "CrashLoopBackOff", "ErrImagePull") }), { nil: undefined }),
}) as fc.Arbitrary<PodState>;

test("property: unless it halts, the gate never changes the plan; without the annotation there is no verdict at all", () => {
  fc.assert(
    fc.property(fc.array(podState, { maxLength: 10 }), fc.constantFrom(0, 1, 2, 5), fc.integer({ min: 0, max: 200 }), (states, maxUnavailable, nowSeconds) => {
      const pods = states.map((s, i) => makePod(`p${i}`, s));
      const now = new Date(EPOCH + nowSeconds * 1000);
      const off = planUpgrade(makeSet({ maxUnavailable }), pods, { now });
      const on = planUpgrade(gated({ [PROGRESS_DEADLINE_ANNOTATION]: "60", [MAX_FAILED_UPGRADES_ANNOTATION]: "3" }, { maxUnavailable }), pods, { now });
      assert.equal(off.progress, undefined);
      assert.notEqual(off.stopped, "progress-deadline");
      if (on.progress?.halted) {
        assert.equal(on.stopped === "progress-deadline" || on.stopped === "hot-upgrade-flip", true);
        assert.deepEqual(on.upgrade, []);
        return;
      }
      assert.equal(on.stopped, off.stopped);
      assert.deepEqual(names(on.upgrade), names(off.upgrade));
      assert.deepEqual(on.status, off.status);
    }),
    { numRuns: 300 },
  );
});
