import assert from "node:assert/strict";
import { test } from "node:test";
import jsonpatch from "fast-json-patch";
import type { Pod } from "../../../../src/api/kube-types.js";
import { upgradePod, hotUpgradeTarget } from "../../../../src/core/rollout/upgrade-pod.js";
import { PodConsistency, isConsistent } from "../../../../src/core/rollout/consistency.js";
import { HASH, imageID, makePod, makeSet, NOW, SET } from "./fixtures.js";

const STAMP = "2026-02-01T00:00:00Z";

function ok(r: ReturnType<typeof upgradePod>) {
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  return r;
}

test("cold upgrade changes only the sidecar image and records the pre-update imageID", () => {
  const set = makeSet();
  const pod = makePod("p");
  delete pod.metadata!.annotations!["kruise.io/sidecarset-inplace-update-state"];
  const before = structuredClone(pod);
  const r = ok(upgradePod(set, pod, { now: NOW }));
  assert.deepEqual(pod, before, "the input pod is not modified");
  assert.deepEqual(r.changedContainers, ["sidecar"]);
  assert.deepEqual(r.pod.spec!.containers.map((c) => c.image), ["app:v1", "sidecar:v2"]);
  assert.deepEqual({ ...r.pod.spec, containers: before.spec!.containers }, before.spec, "nothing else in the spec changes");
  const a = r.pod.metadata!.annotations!;
  assert.equal(
    a["kruise.io/sidecarset-hash"],
    `{"${SET}":{"updateTimestamp":"${STAMP}","hash":"${HASH}","sidecarSetName":"${SET}","sidecarList":["sidecar"],"controllerRevision":"sidecarset-a-rev2"}}`,
  );
  assert.equal(
    a["kruise.io/sidecarset-inplace-update-state"],
    `{"${SET}":{"revision":"${HASH}","updateTimestamp":"${STAMP}","lastContainerStatuses":{"sidecar":{"imageID":"${imageID("sidecar:v1")}"}}}}`,
  );
  assert.equal(a["kruise.io/sidecarset-hash-without-image"], before.metadata!.annotations!["kruise.io/sidecarset-hash-without-image"], "without-image unchanged");
  // Right after the write the kubelet still runs the old image: inconsistent.
  assert.equal(isConsistent(r.pod, set), false);
});

test("the JSON patch applied to the pod gives the upgraded pod", () => {
  const pod = makePod("p");
  const r = ok(upgradePod(makeSet(), pod, { now: NOW }));
  const applied = jsonpatch.applyPatch(structuredClone(pod), r.patch as jsonpatch.Operation[], true, false).newDocument;
  assert.deepEqual(applied, r.pod);
  assert.deepEqual(r.patch.slice(0, 2), [
    { op: "test", path: "/spec/containers/1/name", value: "sidecar" },
    { op: "replace", path: "/spec/containers/1/image", value: "sidecar:v2" },
  ]);
});

test("annotation keys are escaped in patch paths", () => {
  const r = ok(upgradePod(makeSet(), makePod("p"), { now: NOW }));
  assert.ok(r.patch.some((op) => op.path === "/metadata/annotations/kruise.io~1sidecarset-hash"), JSON.stringify(r.patch));
});

test("an existing in-place state entry keeps its revision and time; other SidecarSets' entries stay", () => {
  const pod = makePod("p");
  pod.metadata!.annotations!["kruise.io/sidecarset-inplace-update-state"] = JSON.stringify({
    [SET]: { revision: "older", updateTimestamp: "2025-01-01T00:00:00Z", lastContainerStatuses: { other: { imageID: "x" } } },
    zeta: { revision: "z", updateTimestamp: null, lastContainerStatuses: {} },
  });
  const r = ok(upgradePod(makeSet(), pod, { now: NOW }));
  assert.equal(
    r.pod.metadata!.annotations!["kruise.io/sidecarset-inplace-update-state"],
    `{"${SET}":{"revision":"older","updateTimestamp":"2025-01-01T00:00:00Z","lastContainerStatuses":{"other":{"imageID":"x"},"sidecar":{"imageID":"${imageID("sidecar:v1")}"}}},"zeta":{"revision":"z","updateTimestamp":null,"lastContainerStatuses":{}}}`,
  );
});

test("legacy flat hash annotations become records; other SidecarSets keep their entries", () => {
  const pod = makePod("p");
  pod.metadata!.annotations!["kruise.io/sidecarset-hash"] = JSON.stringify({ [SET]: "h0", other: "h9" });
  pod.metadata!.annotations!["kruise.io/sidecarset-hash-without-image"] = JSON.stringify({ [SET]: "w0", other: "w9" });
  const a = ok(upgradePod(makeSet(), pod, { now: NOW })).pod.metadata!.annotations!;
  assert.equal(
    a["kruise.io/sidecarset-hash"],
    `{"other":{"updateTimestamp":"${STAMP}","hash":"h9","sidecarSetName":"other","sidecarList":null},"${SET}":{"updateTimestamp":"${STAMP}","hash":"${HASH}","sidecarSetName":"${SET}","sidecarList":["sidecar"],"controllerRevision":"sidecarset-a-rev2"}}`,
  );
  assert.equal(
    a["kruise.io/sidecarset-hash-without-image"],
    `{"other":{"updateTimestamp":"${STAMP}","hash":"w9","sidecarSetName":"other","sidecarList":null},"${SET}":{"updateTimestamp":"${STAMP}","hash":"w0","sidecarSetName":"${SET}","sidecarList":null}}`,
  );
});

test("no controllerRevision in the record when the SidecarSet has no latestRevision", () => {
  const set = makeSet();
  delete set.status;
  const a = ok(upgradePod(set, makePod("p"), { now: NOW })).pod.metadata!.annotations!;
  assert.doesNotMatch(a["kruise.io/sidecarset-hash"]!, /controllerRevision/);
});

test("a sidecar whose image already matches is not touched, but the hash is rewritten", () => {
  const set = makeSet({}, { containers: [{ name: "sidecar", image: "sidecar:v1" }] });
  const r = ok(upgradePod(set, makePod("p"), { now: NOW }));
  assert.deepEqual(r.changedContainers, []);
  assert.ok(!r.patch.some((o) => o.path.startsWith("/spec")));
  assert.match(r.pod.metadata!.annotations!["kruise.io/sidecarset-hash"]!, new RegExp(HASH));
});

test("a missing injected-list is filled in", () => {
  const pod = makePod("p");
  delete pod.metadata!.annotations!["kruise.io/sidecarset-injected-list"];
  assert.equal(ok(upgradePod(makeSet(), pod, { now: NOW })).pod.metadata!.annotations!["kruise.io/sidecarset-injected-list"], SET);
  assert.equal(
    ok(upgradePod(makeSet(), pod, { now: NOW, injectedList: ["z", SET, "b"] })).pod.metadata!.annotations!["kruise.io/sidecarset-injected-list"],
    `b,${SET},z`,
  );
});

test("patchPodMetadata is applied with its policies; invalid JSON fails the upgrade", () => {
  const set = makeSet({}, {
    patchPodMetadata: [
      { annotations: { keep: "new", add: "1" }, patchPolicy: "Retain" },
      { annotations: { json: '{"b":2}' }, patchPolicy: "MergePatchJson" },
    ],
  });
  const pod = makePod("p");
  Object.assign(pod.metadata!.annotations!, { keep: "old", json: '{"a":1}' });
  const a = ok(upgradePod(set, pod, { now: NOW })).pod.metadata!.annotations!;
  assert.deepEqual([a.keep, a.add, a.json], ["old", "1", '{"a":1,"b":2}']);
  pod.metadata!.annotations!.json = "{broken";
  const bad = upgradePod(set, pod, { now: NOW });
  assert.equal(bad.ok, false);
});

const hotSet = makeSet({}, {
  containers: [{ name: "envoy", image: "envoy:v3", upgradeStrategy: { upgradeType: "HotUpgrade", hotUpgradeEmptyImage: "empty:1" } }],
});

function hotPod(images: [string, string], ready: [boolean, boolean], working = "envoy-1"): Pod {
  const pod = makePod("h");
  delete pod.metadata!.annotations!["kruise.io/sidecarset-inplace-update-state"];
  Object.assign(pod.metadata!.annotations!, {
    "kruise.io/sidecarset-working-hotupgrade-container": JSON.stringify({ envoy: working }),
    "version.sidecarset.kruise.io/envoy-1": "1",
    "versionalt.sidecarset.kruise.io/envoy-1": "0",
    "version.sidecarset.kruise.io/envoy-2": "0",
    "versionalt.sidecarset.kruise.io/envoy-2": "1",
  });
  pod.spec!.containers = [{ name: "envoy-1", image: images[0] }, { name: "envoy-2", image: images[1] }];
  pod.status!.containerStatuses = [
    { name: "envoy-1", image: images[0], imageID: imageID(images[0]), ready: ready[0], restartCount: 0 },
    { name: "envoy-2", image: images[1], imageID: imageID(images[1]), ready: ready[1], restartCount: 0 },
  ];
  return pod;
}

const targets: { name: string; pod: Pod; target: string }[] = [
  { name: "the container on the empty image is upgraded", pod: hotPod(["envoy:v2", "empty:1"], [true, true]), target: "envoy-2" },
  { name: "the first container wins when both are empty", pod: hotPod(["empty:1", "empty:1"], [true, true]), target: "envoy-1" },
  { name: "exactly one serving ⇒ the other is upgraded", pod: hotPod(["envoy:v1", "envoy:v2"], [false, true]), target: "envoy-1" },
  { name: "both serving ⇒ the idle one is upgraded", pod: hotPod(["envoy:v1", "envoy:v2"], [true, true], "envoy-2"), target: "envoy-1" },
  { name: "neither serving ⇒ the idle one is upgraded", pod: hotPod(["envoy:v1", "envoy:v2"], [false, false], "envoy-1"), target: "envoy-2" },
];
for (const t of targets) {
  test(`hot upgrade target: ${t.name}`, () => {
    const sidecar = hotSet.spec.containers![0]!;
    assert.equal(hotUpgradeTarget(sidecar, t.pod, new PodConsistency(t.pod, hotSet)).target, t.target);
  });
}

test("hot upgrade writes the working container and the version annotations of the pair", () => {
  const r = ok(upgradePod(hotSet, hotPod(["envoy:v2", "empty:1"], [true, true]), { now: NOW }));
  assert.deepEqual(r.changedContainers, ["envoy-2"]);
  assert.deepEqual(r.pod.spec!.containers.map((c) => c.image), ["envoy:v2", "envoy:v3"]);
  const a = r.pod.metadata!.annotations!;
  assert.equal(a["kruise.io/sidecarset-working-hotupgrade-container"], '{"envoy":"envoy-2"}');
  assert.equal(a["version.sidecarset.kruise.io/envoy-2"], "777");
  assert.equal(a["versionalt.sidecarset.kruise.io/envoy-2"], "1", "the previous version of the other container");
  assert.equal(a["versionalt.sidecarset.kruise.io/envoy-1"], "777");
  assert.equal(a["version.sidecarset.kruise.io/envoy-1"], "1", "the serving container keeps its version");
});

test("hot upgrade compares the new image with the other container's: equal ⇒ nothing changes", () => {
  const r = ok(upgradePod(hotSet, hotPod(["envoy:v3", "empty:1"], [true, true]), { now: NOW }));
  assert.deepEqual(r.changedContainers, []);
});
