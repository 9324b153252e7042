import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../../../src/api/kube-types.js";
import {
  digestImageMatches,
  isConsistent,
  isDigestImage,
  isReadyForSidecarSet,
  isRunningAndReady,
  readRecordedImageIDs,
} from "../../../../src/core/rollout/consistency.js";
import { makePod, makeSet, SET } from "./fixtures.js";

const D1 = "sha256:" + "a".repeat(64);
const D2 = "sha256:" + "b".repeat(64);

function podWith(spec: string, status: { image: string; imageID: string }, state?: unknown, extraContainers = 0): Pod {
  const pod = makePod("p");
  pod.spec!.containers = [{ name: "app", image: "app:v1" }, { name: "sidecar", image: spec }];
  pod.status!.containerStatuses = [
    { name: "app", image: "app:v1", imageID: "x", ready: true, restartCount: 0 },
    { name: "sidecar", ...status, ready: true, restartCount: 0 },
  ];
  for (let i = 0; i < extraContainers; i++) pod.spec!.containers.push({ name: `extra-${i}`, image: "e" });
  const a = pod.metadata!.annotations!;
  delete a["kruise.io/sidecarset-inplace-update-state"];
  if (state !== undefined) a["kruise.io/sidecarset-inplace-update-state"] = typeof state === "string" ? state : JSON.stringify(state);
  return pod;
}

test("digest images name their content by a valid digest", () => {
  assert.equal(isDigestImage(`busybox@${D1}`), true);
  assert.equal(isDigestImage("busybox@sha256:short"), false);
  assert.equal(isDigestImage("busybox:1"), false);
});

const digestCases: { name: string; image: string; imageID: string; equal: boolean }[] = [
  { name: "same repository and digest match, scheme stripped", image: `busybox@${D1}`, imageID: `docker-pullable://busybox@${D1}`, equal: true },
  { name: "a different digest does not match", image: `busybox@${D1}`, imageID: `busybox@${D2}`, equal: false },
  { name: "repositories are not normalised", image: `busybox@${D1}`, imageID: `docker.io/library/busybox@${D1}`, equal: false },
  { name: "an imageID that is not a digest reference never matches", image: `busybox@${D1}`, imageID: D1, equal: false },
];
for (const c of digestCases) test(`digest images: ${c.name}`, () => assert.equal(digestImageMatches(c.image, c.imageID), c.equal));

const set = makeSet();
const consistencyCases: { name: string; pod: Pod; consistent: boolean }[] = [
  {
    name: "spec and status container counts differ ⇒ inconsistent",
    pod: podWith("sidecar:v1", { image: "sidecar:v1", imageID: "id1" }, undefined, 1),
    consistent: false,
  },
  {
    name: "digest image reported by the kubelet ⇒ consistent",
    pod: podWith(`sidecar@${D1}`, { image: `sidecar@${D1}`, imageID: `docker-pullable://sidecar@${D1}` }),
    consistent: true,
  },
  {
    name: "digest image not yet running ⇒ inconsistent",
    pod: podWith(`sidecar@${D2}`, { image: `sidecar@${D1}`, imageID: `docker-pullable://sidecar@${D1}` }),
    consistent: false,
  },
  {
    name: "tag image without in-place state ⇒ consistent (never upgraded in place)",
    pod: podWith("sidecar:v2", { image: "sidecar:v1", imageID: "id1" }),
    consistent: true,
  },
  {
    name: "unparseable in-place state ⇒ inconsistent",
    pod: podWith("sidecar:v2", { image: "sidecar:v1", imageID: "id1" }, "{not json"),
    consistent: false,
  },
  {
    name: "empty in-place state value ⇒ inconsistent (does not decode)",
    pod: podWith("sidecar:v2", { image: "sidecar:v1", imageID: "id1" }, ""),
    consistent: false,
  },
  {
    name: "state of wrong JSON types ⇒ inconsistent",
    pod: podWith("sidecar:v2", { image: "sidecar:v1", imageID: "id1" }, { [SET]: { revision: 5 } }),
    consistent: false,
  },
  {
    name: "recorded imageID unchanged and spec image ≠ status image ⇒ inconsistent",
    pod: podWith("sidecar:v2", { image: "sidecar:v1", imageID: "id1" }, { [SET]: { revision: "h", lastContainerStatuses: { sidecar: { imageID: "id1" } } } }),
    consistent: false,
  },
  {
    name: "a new imageID ⇒ consistent",
    pod: podWith("sidecar:v2", { image: "sidecar:v2", imageID: "id2" }, { [SET]: { revision: "h", lastContainerStatuses: { sidecar: { imageID: "id1" } } } }),
    consistent: true,
  },
  {
    name: "same imageID but spec image equals status image (retag to same content) ⇒ consistent",
    pod: podWith("sidecar:v2", { image: "sidecar:v2", imageID: "id1" }, { [SET]: { revision: "h", lastContainerStatuses: { sidecar: { imageID: "id1" } } } }),
    consistent: true,
  },
  {
    name: "another SidecarSet's record is not consulted",
    pod: podWith("sidecar:v2", { image: "sidecar:v1", imageID: "id1" }, { other: { revision: "h", lastContainerStatuses: { sidecar: { imageID: "id1" } } } }),
    consistent: true,
  },
];
for (const c of consistencyCases) test(`consistency: ${c.name}`, () => assert.equal(isConsistent(c.pod, set), c.consistent));

test("E10: tag images, in-place state holding the current imageID ⇒ inconsistent until the kubelet reports another", () => {
  const id = "docker-pullable://cold-sidecar@sha256:9ead06a1362e";
  const s = makeSet({}, { containers: [{ name: "cold-sidecar", image: "cold-sidecar:v2" }] });
  const pod = makePod("p");
  pod.spec!.containers = [{ name: "cold-sidecar", image: "cold-sidecar:v2" }];
  pod.status!.containerStatuses = [{ name: "cold-sidecar", image: "cold-sidecar:v1", imageID: id, ready: true, restartCount: 0 }];
  pod.metadata!.annotations!["kruise.io/sidecarset-inplace-update-state"] = JSON.stringify({
    [SET]: { revision: "r", updateTimestamp: null, lastContainerStatuses: { "cold-sidecar": { imageID: id } } },
  });
  assert.equal(isConsistent(pod, s), false);
  pod.status!.containerStatuses![0]!.imageID = "docker-pullable://cold-sidecar@sha256:0000";
  assert.equal(isConsistent(pod, s), true);
});

test("the digest walk stops at the first tag image and falls back to the recorded imageIDs", () => {
  const s = makeSet({}, { containers: [{ name: "a", image: "x" }, { name: "b", image: "y" }] });
  const pod = makePod("p");
  pod.spec!.containers = [{ name: "a", image: "a:v2" }, { name: "b", image: `b@${D2}` }];
  pod.status!.containerStatuses = [
    { name: "a", image: "a:v2", imageID: "new", ready: true, restartCount: 0 },
    // b's digest is not running, but the walk stopped at a, so only the state decides.
    { name: "b", image: `b@${D1}`, imageID: `b@${D1}`, ready: true, restartCount: 0 },
  ];
  pod.metadata!.annotations!["kruise.io/sidecarset-inplace-update-state"] = JSON.stringify({
    [SET]: { revision: "r", lastContainerStatuses: { a: { imageID: "old" } } },
  });
  assert.equal(isConsistent(pod, s), true);
});

test("the recorded imageIDs are read from S's entry only", () => {
  const pod = podWith("s:v2", { image: "s:v1", imageID: "id1" }, {
    [SET]: { revision: "r", lastContainerStatuses: { sidecar: { imageID: "mine" } } },
    other: { revision: "r", lastContainerStatuses: { sidecar: { imageID: "theirs" } } },
  });
  const r = readRecordedImageIDs(pod, SET);
  assert.equal(r.kind, "recorded");
  assert.deepEqual(r.kind === "recorded" ? [...r.imageIDs] : [], [["sidecar", "mine"]]);
});

test("ready in the SidecarSet sense: running, Ready=True, not terminating", () => {
  const pod = makePod("p");
  assert.equal(isRunningAndReady(pod), true);
  assert.equal(isRunningAndReady({ ...pod, status: { ...pod.status, phase: "Pending" } }), false);
  assert.equal(isRunningAndReady(makePod("p", { ready: false })), false);
  assert.equal(isRunningAndReady({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: "2026-01-01T00:00:00Z" } }), false);
});

test("a hot-upgrade pod whose idle container runs a real image is not ready", () => {
  const s = makeSet({}, {
    containers: [{ name: "envoy", image: "envoy:v2", upgradeStrategy: { upgradeType: "HotUpgrade", hotUpgradeEmptyImage: "empty:1" } }],
  });
  const pod = makePod("p");
  pod.metadata!.annotations!["kruise.io/sidecarset-working-hotupgrade-container"] = JSON.stringify({ envoy: "envoy-1" });
  pod.spec!.containers = [{ name: "envoy-1", image: "envoy:v1" }, { name: "envoy-2", image: "empty:1" }];
  assert.equal(isReadyForSidecarSet(pod, s), true);
  pod.spec!.containers[1]!.image = "envoy:v2";
  assert.equal(isReadyForSidecarSet(pod, s), false);
});
