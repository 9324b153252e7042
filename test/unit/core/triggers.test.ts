import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../../src/api/kube-types.js";
import type { SidecarSet } from "../../../src/api/types.js";
import {
  canaryBaseTriggers,
  CONSISTENCY_FLIP_DELAY_MS,
  COUNTS_ONLY_DELAY_MS,
  SETTLED_COUNTS_DELAY_MS,
  namespaceTriggers,
  podAddedOrDeletedTriggers,
  podUpdatedTriggers,
  lookupOf,
  sidecarSetUpdateNeedsReconcile,
} from "../../../src/core/triggers.js";
import { makePod, makeSet, SET } from "./rollout/fixtures.js";

function bump(pod: Pod, change: (p: Pod) => void): Pod {
  const next = structuredClone(pod);
  next.metadata!.resourceVersion = String(Number(pod.metadata!.resourceVersion ?? "1") + 1);
  change(next);
  return next;
}

const setReady = (p: Pod, ready: boolean): void => {
  p.status!.conditions![0]!.status = ready ? "True" : "False";
};

test("a pod added enqueues the SidecarSets that injected it and those selecting it", () => {
  const selecting = { ...makeSet(), metadata: { ...makeSet().metadata, name: "other" } };
  const unrelated = { ...makeSet(), metadata: { ...makeSet().metadata, name: "unrelated" }, spec: { ...makeSet().spec, selector: { matchLabels: { app: "db" } } } };
  const triggers = podAddedOrDeletedTriggers(makePod("p"), lookupOf([makeSet(), selecting, unrelated]), {});
  assert.deepEqual(triggers, [
    { sidecarSet: "other", delayMs: 0 },
    { sidecarSet: SET, delayMs: 0 },
  ]);
});

test("an update with the same resourceVersion (a resync) triggers nothing", () => {
  const pod = makePod("p");
  assert.deepEqual(podUpdatedTriggers(pod, structuredClone(pod), lookupOf([makeSet()]), {}), []);
});

test("Ready flipping enqueues the injecting SidecarSet at once", () => {
  const pod = makePod("p");
  assert.deepEqual(podUpdatedTriggers(pod, bump(pod, (p) => setReady(p, false)), lookupOf([makeSet()]), {}), [{ sidecarSet: SET, delayMs: 0 }]);
});

test("a pod starting to terminate enqueues at once", () => {
  const pod = makePod("p");
  const next = bump(pod, (p) => (p.metadata!.deletionTimestamp = "2026-01-01T00:00:00Z"));
  assert.deepEqual(podUpdatedTriggers(pod, next, lookupOf([makeSet()]), {}), [{ sidecarSet: SET, delayMs: 0 }]);
});

test("a Ready flip of a pod already terminating is ignored", () => {
  const pod = makePod("p");
  pod.metadata!.deletionTimestamp = "2026-01-01T00:00:00Z";
  assert.deepEqual(podUpdatedTriggers(pod, bump(pod, (p) => setReady(p, false)), lookupOf([makeSet()]), {}), []);
});

test("a consistency flip enqueues after the settle delay", () => {
  const inFlight = makePod("p", { updated: true, consistent: false });
  const restarted = makePod("p", { updated: true, consistent: true });
  restarted.metadata!.resourceVersion = "2";
  assert.deepEqual(podUpdatedTriggers(inFlight, restarted, lookupOf([makeSet()]), {}), [{ sidecarSet: SET, delayMs: CONSISTENCY_FLIP_DELAY_MS }]);
});

function named(name: string, set: SidecarSet): SidecarSet {
  return { ...set, metadata: { ...set.metadata, name } };
}

test("a label change enqueues the injecting SidecarSet at once", () => {
  const pod = makePod("p");
  const relabelled = bump(pod, (p) => (p.metadata!.labels!.canary = "true"));
  assert.deepEqual(podUpdatedTriggers(pod, relabelled, lookupOf([makeSet()]), {}), [{ sidecarSet: SET, delayMs: 0 }]);
});

test("a pod relabelled out of (or into) a selector enqueues the SidecarSets selecting it before or after, though none injected it", () => {
  const pod = makePod("p");
  const selectsWeb = named("web-only", makeSet());
  const selectsDb = named("db-only", { ...makeSet(), spec: { ...makeSet().spec, selector: { matchLabels: { app: "db" } } } });
  const unrelated = named("other", { ...makeSet(), spec: { ...makeSet().spec, selector: { matchLabels: { app: "cache" } } } });
  const moved = bump(pod, (p) => (p.metadata!.labels!.app = "db"));
  assert.deepEqual(
    podUpdatedTriggers(pod, moved, lookupOf([selectsWeb, selectsDb, unrelated]), {}).map((t) => t.sidecarSet),
    ["db-only", "web-only"],
  );
});

test("NotUpdate SidecarSets, canaries among them, are enqueued on pod updates: their status counts ready pods", () => {
  const pod = makePod("p");
  assert.deepEqual(podUpdatedTriggers(pod, bump(pod, (p) => setReady(p, false)), lookupOf([makeSet({ type: "NotUpdate" })]), {}), [
    { sidecarSet: SET, delayMs: 0 },
  ]);
});

test("an update that changes nothing a SidecarSet counts enqueues nothing", () => {
  const pod = makePod("p");
  assert.deepEqual(podUpdatedTriggers(pod, bump(pod, (p) => (p.metadata!.annotations!.note = "x")), lookupOf([makeSet()]), {}), []);
});

test("a Namespace relabelled into or out of a namespaceSelector enqueues the SidecarSets whose verdict changed", () => {
  const bySelector = named("by-selector", makeSet({}, { namespaceSelector: { matchLabels: { team: "a" } } }));
  const byName = named("by-name", makeSet({}, { namespace: "ns1", namespaceSelector: { matchLabels: { team: "a" } } }));
  const everywhere = named("everywhere", makeSet());
  const sets = [bySelector, byName, everywhere];
  assert.deepEqual(namespaceTriggers({ team: "a" }, { team: "b" }, sets), [{ sidecarSet: "by-selector", delayMs: 0 }]);
  assert.deepEqual(namespaceTriggers({ team: "b" }, { team: "a", x: "y" }, sets), [{ sidecarSet: "by-selector", delayMs: 0 }]);
  assert.deepEqual(namespaceTriggers({ team: "a" }, { team: "a", x: "y" }, sets), []);
  assert.deepEqual(namespaceTriggers(undefined, { team: "a" }, sets), [{ sidecarSet: "by-selector", delayMs: 0 }]);
  assert.deepEqual(namespaceTriggers({ team: "a" }, undefined, sets), [{ sidecarSet: "by-selector", delayMs: 0 }]);
});

test("a canary added, changed or removed enqueues its base (old and new)", () => {
  const canary = (base: string): SidecarSet =>
    named("canary", { ...makeSet({ type: "NotUpdate" }), metadata: { name: "canary", annotations: { "apps.kruise.io/sidecarset-canary": "true", "apps.kruise.io/sidecarset-base": base } } });
  assert.deepEqual(canaryBaseTriggers(undefined, canary("base")), [{ sidecarSet: "base", delayMs: 0 }]);
  assert.deepEqual(canaryBaseTriggers(canary("base"), undefined), [{ sidecarSet: "base", delayMs: 0 }]);
  assert.deepEqual(canaryBaseTriggers(canary("a"), canary("b")).map((t) => t.sidecarSet), ["a", "b"]);
  assert.deepEqual(canaryBaseTriggers(undefined, makeSet()), []);
});

test("a SidecarSet update reconciles on generation, label or annotation changes, and on a resync; not on its own status write", () => {
  const set = makeSet();
  set.metadata.generation = 1;
  assert.equal(sidecarSetUpdateNeedsReconcile(set, structuredClone(set)), true, "resync");
  const statusWritten = { ...set, metadata: { ...set.metadata, resourceVersion: "778" }, status: { matchedPods: 3, updatedPods: 0, readyPods: 0 } };
  assert.equal(sidecarSetUpdateNeedsReconcile(set, statusWritten), false);
  assert.equal(sidecarSetUpdateNeedsReconcile(set, { ...set, metadata: { ...set.metadata, resourceVersion: "779", generation: 2 } }), true);
  assert.equal(sidecarSetUpdateNeedsReconcile(set, { ...set, metadata: { ...set.metadata, resourceVersion: "779", labels: { a: "b" } } }), true);
  assert.equal(
    sidecarSetUpdateNeedsReconcile(set, { ...set, metadata: { ...set.metadata, resourceVersion: "779", annotations: { ...set.metadata.annotations, x: "y" } } }),
    true,
  );
});

const withDeadline = (set: SidecarSet): SidecarSet => ({
  ...set,
  metadata: { ...set.metadata, annotations: { ...set.metadata.annotations, "sidecarset.io/progress-deadline-seconds": "60" } },
});

const sidecarStatus = (p: Pod) => p.status!.containerStatuses!.find((s) => s.name === "sidecar")!;

const sidecarChanges: { name: string; change: (p: Pod) => void }[] = [
  { name: "restarted", change: (p) => (sidecarStatus(p).restartCount += 1) },
  { name: "started waiting in ImagePullBackOff", change: (p) => (sidecarStatus(p).state = { waiting: { reason: "ImagePullBackOff" } }) },
];

for (const c of sidecarChanges) {
  test(`a sidecar that ${c.name} without a Ready flip: now, for a SidecarSet with a progress deadline only`, () => {
    const pod = makePod("p", { updated: true, ready: false });
    const next = bump(pod, c.change);
    assert.deepEqual(podUpdatedTriggers(pod, next, lookupOf([withDeadline(makeSet())]), {}), [{ sidecarSet: SET, delayMs: 0 }]);
    assert.deepEqual(podUpdatedTriggers(pod, next, lookupOf([makeSet()]), {}), [], "without the annotation, as before");
  });
}

test("an app container's restart is not a sidecar failure: no trigger even with a progress deadline", () => {
  const pod = makePod("p", { updated: true });
  const next = bump(pod, (p) => (p.status!.containerStatuses!.find((s) => s.name === "app")!.restartCount += 1));
  assert.deepEqual(podUpdatedTriggers(pod, next, lookupOf([withDeadline(makeSet())]), {}), []);
});

/** A SidecarSet whose last status, for its generation, has every matched pod updated. */
function settledSet(status: { matched: number; updated: number } = { matched: 10, updated: 10 }): SidecarSet {
  const set = makeSet();
  set.metadata.generation = 3;
  set.status = { ...set.status!, observedGeneration: 3, matchedPods: status.matched, updatedPods: status.updated, readyPods: status.matched };
  return set;
}

test("with no rollout under way, events of pods on the current revision wait a second: they change only counts", () => {
  const pod = makePod("p", { updated: true });
  assert.deepEqual(podAddedOrDeletedTriggers(pod, lookupOf([settledSet()]), {}), [{ sidecarSet: SET, delayMs: COUNTS_ONLY_DELAY_MS }]);
  assert.deepEqual(podUpdatedTriggers(pod, bump(pod, (p) => setReady(p, false)), lookupOf([settledSet()]), {}), [{ sidecarSet: SET, delayMs: COUNTS_ONLY_DELAY_MS }]);
  const terminating = bump(pod, (p) => (p.metadata!.deletionTimestamp = "2026-01-01T00:00:00Z"));
  assert.deepEqual(podUpdatedTriggers(pod, terminating, lookupOf([settledSet()]), {}), [{ sidecarSet: SET, delayMs: COUNTS_ONLY_DELAY_MS }]);
});

test("when the last status is settled too, events that can change only counts wait until counts may be written again", () => {
  const pod = makePod("p", { updated: true });
  const settled = settledSet();
  settled.status!.updatedReadyPods = settled.status!.matchedPods;
  const waits = [{ sidecarSet: SET, delayMs: SETTLED_COUNTS_DELAY_MS }];
  assert.deepEqual(podAddedOrDeletedTriggers(pod, lookupOf([settled]), {}), waits, "a pod added or deleted");
  assert.deepEqual(podUpdatedTriggers(pod, bump(pod, (p) => setReady(p, false)), lookupOf([settled]), {}), waits, "a pod going unready");
  const terminating = bump(pod, (p) => (p.metadata!.deletionTimestamp = "2026-01-01T00:00:00Z"));
  assert.deepEqual(podUpdatedTriggers(pod, terminating, lookupOf([settled]), {}), waits, "a pod starting to terminate");

  const finishing = settledSet();
  finishing.status!.updatedReadyPods = finishing.status!.matchedPods - 1;
  const unready = makePod("p", { updated: true, ready: false });
  assert.deepEqual(
    podUpdatedTriggers(unready, bump(unready, (p) => setReady(p, true)), lookupOf([finishing]), {}),
    [{ sidecarSet: SET, delayMs: COUNTS_ONLY_DELAY_MS }],
    "a pod that may settle the rollout: its end is written within a second",
  );
});

test("events that can move a rollout or the pod's scope are queued at once", () => {
  const updated = makePod("p", { updated: true, ready: false });
  const back = (p: Pod) => bump(p, (n) => setReady(n, true));
  assert.deepEqual(podUpdatedTriggers(updated, back(updated), lookupOf([settledSet({ matched: 10, updated: 9 })]), {}), [{ sidecarSet: SET, delayMs: 0 }], "a rollout is under way: a pod back frees budget");
  const old = makePod("p");
  const unready = (p: Pod) => bump(p, (n) => setReady(n, false));
  assert.deepEqual(podUpdatedTriggers(old, unready(old), lookupOf([settledSet({ matched: 10, updated: 9 })]), {}), [{ sidecarSet: SET, delayMs: 0 }], "a pod on an older revision that is not ready is upgraded without budget");
  assert.deepEqual(podUpdatedTriggers(old, unready(old), lookupOf([settledSet()]), {}), [{ sidecarSet: SET, delayMs: 0 }], "the pod is not on the current revision");
  const stale = settledSet();
  stale.metadata.generation = 4;
  assert.deepEqual(podUpdatedTriggers(updated, back(updated), lookupOf([stale]), {}), [{ sidecarSet: SET, delayMs: 0 }], "the status is of an older generation");
  const relabelled = bump(updated, (p) => (p.metadata!.labels = { ...p.metadata!.labels, tier: "x" }));
  assert.deepEqual(podUpdatedTriggers(updated, relabelled, lookupOf([settledSet()]), {}), [{ sidecarSet: SET, delayMs: 0 }], "labels changed");
  const hot = settledSet();
  hot.spec.containers = [{ name: "sidecar", image: "sidecar:v2", upgradeStrategy: { upgradeType: "HotUpgrade", hotUpgradeEmptyImage: "empty" } }];
  assert.deepEqual(podAddedOrDeletedTriggers(updated, lookupOf([hot]), {}).map((t) => t.delayMs), [0], "hot-upgrade flips follow readiness");
});

test("during a rollout, a pod on the current revision going unready waits a second: it frees no place and is not upgraded again", () => {
  const pod = makePod("p", { updated: true });
  const restarting = bump(pod, (p) => setReady(p, false));
  assert.deepEqual(podUpdatedTriggers(pod, restarting, lookupOf([settledSet({ matched: 10, updated: 4 })]), {}), [{ sidecarSet: SET, delayMs: COUNTS_ONLY_DELAY_MS }]);
});
