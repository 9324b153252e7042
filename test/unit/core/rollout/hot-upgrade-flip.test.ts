import assert from "node:assert/strict";
import { test } from "node:test";
import jsonpatch from "fast-json-patch";
import type { Pod } from "../../../../src/api/kube-types.js";
import { flipHotUpgrade, isMidHotUpgrade } from "../../../../src/core/rollout/hot-upgrade-flip.js";
import { isReadyForSidecarSet } from "../../../../src/core/rollout/consistency.js";
import { imageID, makePod, makeSet, NOW, SET } from "./fixtures.js";

const set = makeSet({}, {
  containers: [
    { name: "envoy", image: "envoy:v2", upgradeStrategy: { upgradeType: "HotUpgrade", hotUpgradeEmptyImage: "empty:1" } },
    { name: "log", image: "log:v1" },
  ],
});

/** envoy-2 was just upgraded to v2 and serves; envoy-1 still runs v1. */
function midPod(opts: { newReady?: boolean; runningNew?: boolean; podReady?: boolean } = {}): Pod {
  const pod = makePod("m", { ready: opts.podReady ?? true });
  const runningNew = opts.runningNew ?? true;
  Object.assign(pod.metadata!.annotations!, {
    "kruise.io/sidecarset-working-hotupgrade-container": '{"envoy":"envoy-2"}',
    "version.sidecarset.kruise.io/envoy-1": "1",
    "versionalt.sidecarset.kruise.io/envoy-1": "777",
    "version.sidecarset.kruise.io/envoy-2": "777",
    "versionalt.sidecarset.kruise.io/envoy-2": "1",
    "kruise.io/sidecarset-inplace-update-state": JSON.stringify({
      [SET]: { revision: "r", updateTimestamp: null, lastContainerStatuses: { "envoy-2": { imageID: imageID("empty:1") } } },
    }),
  });
  const envoy2Running = runningNew ? "envoy:v2" : "empty:1";
  pod.spec!.containers = [
    { name: "envoy-1", image: "envoy:v1" },
    { name: "envoy-2", image: "envoy:v2" },
    { name: "log", image: "log:v1" },
  ];
  pod.status!.containerStatuses = [
    { name: "envoy-1", image: "envoy:v1", imageID: imageID("envoy:v1"), ready: true, restartCount: 0 },
    { name: "envoy-2", image: envoy2Running, imageID: imageID(envoy2Running), ready: opts.newReady ?? true, restartCount: 1 },
    { name: "log", image: "log:v1", imageID: imageID("log:v1"), ready: true, restartCount: 0 },
  ];
  return pod;
}

test("mid hot-upgrade: idle container not empty, the rest consistent, pod serving", () => {
  assert.equal(isMidHotUpgrade(set, midPod()), true);
});

test("not mid hot-upgrade while the new container still restarts (inconsistent)", () => {
  assert.equal(isMidHotUpgrade(set, midPod({ runningNew: false })), false);
});

test("a not-ready pod counts when every non-idle container is ready", () => {
  const pod = midPod({ podReady: false });
  assert.equal(isMidHotUpgrade(set, pod), true);
  pod.status!.containerStatuses![2]!.ready = false;
  assert.equal(isMidHotUpgrade(set, pod), false);
});

test("a pair parked on the empty image is not mid hot-upgrade", () => {
  const pod = midPod();
  pod.spec!.containers[0]!.image = "empty:1";
  assert.equal(isMidHotUpgrade(set, pod), false);
  assert.equal(flipHotUpgrade(set, pod, { now: NOW }), null);
});

test("the flip parks the idle container, zeroes the pair's versions and records its imageID; the hash stays", () => {
  const pod = midPod();
  const flip = flipHotUpgrade(set, pod, { now: NOW })!;
  assert.deepEqual(flip.changedContainers, ["envoy-1"]);
  assert.deepEqual(flip.pod.spec!.containers.map((c) => c.image), ["empty:1", "envoy:v2", "log:v1"]);
  const a = flip.pod.metadata!.annotations!;
  assert.equal(a["version.sidecarset.kruise.io/envoy-1"], "0");
  assert.equal(a["versionalt.sidecarset.kruise.io/envoy-2"], "0");
  assert.equal(a["kruise.io/sidecarset-hash"], pod.metadata!.annotations!["kruise.io/sidecarset-hash"]);
  assert.equal(
    a["kruise.io/sidecarset-inplace-update-state"],
    `{"${SET}":{"revision":"r","updateTimestamp":null,"lastContainerStatuses":{"envoy-1":{"imageID":"${imageID("envoy:v1")}"},"envoy-2":{"imageID":"${imageID("empty:1")}"}}}}`,
  );
  const applied = jsonpatch.applyPatch(structuredClone(pod), flip.patch as jsonpatch.Operation[], true, false).newDocument;
  assert.deepEqual(applied, flip.pod);
  assert.equal(isReadyForSidecarSet(flip.pod, set), true, "once parked the pair is ready again");
});
