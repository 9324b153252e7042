import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../../src/api/kube-types.js";
import {
  CONSISTENCY_FLIP_DELAY_MS,
  podAddedOrDeletedTriggers,
  podUpdatedTriggers,
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
  const triggers = podAddedOrDeletedTriggers(makePod("p"), [makeSet(), selecting, unrelated], {});
  assert.deepEqual(triggers, [
    { sidecarSet: "other", delayMs: 0 },
    { sidecarSet: SET, delayMs: 0 },
  ]);
});

test("an update with the same resourceVersion (a resync) triggers nothing", () => {
  const pod = makePod("p");
  assert.deepEqual(podUpdatedTriggers(pod, structuredClone(pod), [makeSet()]), []);
});

test("Ready flipping enqueues the injecting SidecarSet at once", () => {
  const pod = makePod("p");
  assert.deepEqual(podUpdatedTriggers(pod, bump(pod, (p) => setReady(p, false)), [makeSet()]), [{ sidecarSet: SET, delayMs: 0 }]);
});

test("a pod starting to terminate enqueues at once", () => {
  const pod = makePod("p");
  const next = bump(pod, (p) => (p.metadata!.deletionTimestamp = "2026-01-01T00:00:00Z"));
  assert.deepEqual(podUpdatedTriggers(pod, next, [makeSet()]), [{ sidecarSet: SET, delayMs: 0 }]);
});

test("a Ready flip of a pod already terminating is ignored", () => {
  const pod = makePod("p");
  pod.metadata!.deletionTimestamp = "2026-01-01T00:00:00Z";
  assert.deepEqual(podUpdatedTriggers(pod, bump(pod, (p) => setReady(p, false)), [makeSet()]), []);
});

test("a consistency flip enqueues after the settle delay", () => {
  const inFlight = makePod("p", { updated: true, consistent: false });
  const restarted = makePod("p", { updated: true, consistent: true });
  restarted.metadata!.resourceVersion = "2";
  assert.deepEqual(podUpdatedTriggers(inFlight, restarted, [makeSet()]), [{ sidecarSet: SET, delayMs: CONSISTENCY_FLIP_DELAY_MS }]);
});

test("a label change matters only to SidecarSets with an update selector", () => {
  const pod = makePod("p");
  const relabelled = bump(pod, (p) => (p.metadata!.labels!.canary = "true"));
  assert.deepEqual(podUpdatedTriggers(pod, relabelled, [makeSet()]), []);
  const withSelector = makeSet({ selector: { matchLabels: { canary: "true" } } });
  assert.deepEqual(podUpdatedTriggers(pod, relabelled, [withSelector]), [{ sidecarSet: SET, delayMs: 0 }]);
});

test("NotUpdate SidecarSets ignore pod updates", () => {
  const pod = makePod("p");
  assert.deepEqual(podUpdatedTriggers(pod, bump(pod, (p) => setReady(p, false)), [makeSet({ type: "NotUpdate" })]), []);
});

test("a SidecarSet update reconciles on generation, label or annotation changes only", () => {
  const set = makeSet();
  set.metadata.generation = 1;
  assert.equal(sidecarSetUpdateNeedsReconcile(set, { ...set, status: { matchedPods: 3, updatedPods: 0, readyPods: 0 } }), false);
  assert.equal(sidecarSetUpdateNeedsReconcile(set, { ...set, metadata: { ...set.metadata, generation: 2 } }), true);
  assert.equal(sidecarSetUpdateNeedsReconcile(set, { ...set, metadata: { ...set.metadata, labels: { a: "b" } } }), true);
  assert.equal(
    sidecarSetUpdateNeedsReconcile(set, { ...set, metadata: { ...set.metadata, annotations: { ...set.metadata.annotations, x: "y" } } }),
    true,
  );
});
