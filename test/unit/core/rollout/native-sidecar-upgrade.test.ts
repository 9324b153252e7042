// Native sidecars upgraded in place (docs/behaviour.md §7a.6): the planner offers a pod whose
// native-sidecar image changed only with the manager flag; the upgrade writes
// the initContainer's image and nothing else; consistency, the budget and the
// progress deadline read initContainerStatuses.
import assert from "node:assert/strict";
import { test } from "node:test";
import jsonpatch from "fast-json-patch";
import { sidecarSetHash, sidecarSetHashWithoutImage } from "../../../../src/api/hash.js";
import type { ContainerStatus, Pod } from "../../../../src/api/kube-types.js";
import type { SidecarSet, SidecarSetUpdateStrategy } from "../../../../src/api/types.js";
import { isConsistent } from "../../../../src/core/rollout/consistency.js";
import { sidecarPodContainerNames } from "../../../../src/core/rollout/matching.js";
import { planUpgrade } from "../../../../src/core/rollout/plan.js";
import { upgradeFactsOf } from "../../../../src/core/rollout/progress-deadline.js";
import { upgradePod } from "../../../../src/core/rollout/upgrade-pod.js";
import { at, imageID, NOW } from "./fixtures.js";

const SET = "mesh";

function meshSet(proxyImage: string, strategy: SidecarSetUpdateStrategy = {}): SidecarSet {
  const set: SidecarSet = {
    apiVersion: "apps.kruise.io/v1alpha1",
    kind: "SidecarSet",
    metadata: { name: SET, resourceVersion: "9" },
    spec: {
      selector: { matchLabels: { app: "web" } },
      containers: [{ name: "log", image: "log:v1" }],
      initContainers: [
        { name: "setup", image: "setup:v1" },
        { name: "proxy", image: proxyImage, restartPolicy: "Always" },
      ],
      updateStrategy: { type: "RollingUpdate", ...strategy },
    },
    status: { matchedPods: 0, updatedPods: 0, readyPods: 0, latestRevision: "mesh-rev" },
  };
  set.metadata.annotations = { "kruise.io/sidecarset-hash": sidecarSetHash(set), "kruise.io/sidecarset-hash-without-image": sidecarSetHashWithoutImage(set) };
  return set;
}

const OLD = meshSet("proxy:v1");

function record(hash: string): string {
  return JSON.stringify({ [SET]: { updateTimestamp: at(0), hash, sidecarSetName: SET, sidecarList: ["log", "proxy"] } });
}

function status(name: string, image: string, ready = true, extra: Partial<ContainerStatus> = {}): ContainerStatus {
  return { name, image, imageID: imageID(image), ready, restartCount: 0, state: { running: { startedAt: at(0) } }, ...extra };
}

/** A ready pod injected by `set` (the proxy running `set`'s image). */
function meshPod(name: string, set: SidecarSet = OLD, createdAt = 0): Pod {
  const proxy = set.spec.initContainers![1]!.image!;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "default",
      labels: { app: "web" },
      creationTimestamp: at(createdAt),
      annotations: {
        "kruise.io/sidecarset-injected-list": SET,
        "kruise.io/sidecarset-hash": record(set.metadata.annotations!["kruise.io/sidecarset-hash"]!),
        "kruise.io/sidecarset-hash-without-image": record(set.metadata.annotations!["kruise.io/sidecarset-hash-without-image"]!),
      },
    },
    spec: {
      nodeName: "node-1",
      initContainers: [
        { name: "setup", image: "setup:v1" },
        { name: "proxy", image: proxy, restartPolicy: "Always" },
      ],
      containers: [
        { name: "log", image: "log:v1" },
        { name: "app", image: "app:v1" },
      ],
    },
    status: {
      phase: "Running",
      conditions: [{ type: "Ready", status: "True", lastTransitionTime: at(0) }],
      initContainerStatuses: [
        { name: "setup", image: "setup:v1", imageID: imageID("setup:v1"), ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: "Completed" } } },
        status("proxy", proxy),
      ],
      containerStatuses: [status("app", "app:v1"), status("log", "log:v1")],
    },
  };
}

const pods = (n: number): Pod[] => Array.from({ length: n }, (_, i) => meshPod(`web-${i}`, OLD, i));

/** The kubelet restarted the proxy on the image the spec names now. */
function restarted(pod: Pod): Pod {
  const next = structuredClone(pod);
  const image = next.spec!.initContainers![1]!.image!;
  next.status!.initContainerStatuses![1] = status("proxy", image, true, { restartCount: 1 });
  return next;
}

test("without the flag, a pod whose native sidecar image changed waits for recreation, and the plan says why", () => {
  const plan = planUpgrade(meshSet("proxy:v2", { maxUnavailable: 5 }), pods(3), { now: NOW });
  assert.deepEqual(plan.upgrade, []);
  for (const entry of plan.pods) {
    assert.equal(entry.state, "not-upgradable");
    assert.match(entry.reason, /native sidecar's image changed.*--native-sidecar-in-place-upgrade/);
  }
});

test("without the flag, a change besides images keeps its own reason", () => {
  const changed = meshSet("proxy:v2");
  changed.spec.initContainers![1]!.env = [{ name: "X", value: "1" }];
  changed.metadata.annotations!["kruise.io/sidecarset-hash-without-image"] = sidecarSetHashWithoutImage(changed);
  const plan = planUpgrade(changed, pods(1), { now: NOW });
  assert.match(plan.pods[0]!.reason, /hash-without-image differs/);
  // With the flag it is still not upgradable: only images are changed in place.
  const withFlag = planUpgrade(changed, pods(1), { now: NOW, nativeSidecarInPlaceUpgrade: true });
  assert.equal(withFlag.pods[0]!.state, "not-upgradable");
});

test("with the flag, the plan upgrades native sidecars within maxUnavailable and partition", () => {
  const byBudget = planUpgrade(meshSet("proxy:v2", { maxUnavailable: 2 }), pods(5), { now: NOW, nativeSidecarInPlaceUpgrade: true });
  assert.equal(byBudget.upgrade.length, 2);
  assert.equal(byBudget.limitedBy, "max-unavailable");
  const byPartition = planUpgrade(meshSet("proxy:v2", { maxUnavailable: 5, partition: 3 }), pods(5), { now: NOW, nativeSidecarInPlaceUpgrade: true });
  assert.equal(byPartition.upgrade.length, 2);
  assert.equal(byPartition.limitedBy, "partition");
});

test("the upgrade writes only the native sidecar's image, by index under a name test, and records its pre-update imageID", () => {
  const set = meshSet("proxy:v2");
  const pod = meshPod("web-0");
  const r = upgradePod(set, pod, { now: NOW });
  assert.ok(r.ok);
  assert.deepEqual(r.changedContainers, ["proxy"]);
  assert.deepEqual(r.pod.spec!.initContainers!.map((c) => c.image), ["setup:v1", "proxy:v2"]);
  assert.deepEqual(r.pod.spec!.containers, pod.spec!.containers, "app containers untouched");
  const specOps = r.patch.filter((op) => op.path.startsWith("/spec/"));
  assert.deepEqual(specOps, [
    { op: "test", path: "/spec/initContainers/1/name", value: "proxy" },
    { op: "replace", path: "/spec/initContainers/1/image", value: "proxy:v2" },
  ]);
  assert.deepEqual(jsonpatch.applyPatch(structuredClone(pod), r.patch, true, false).newDocument, r.pod);
  const state = JSON.parse(r.pod.metadata!.annotations!["kruise.io/sidecarset-inplace-update-state"]!) as Record<string, { lastContainerStatuses: Record<string, { imageID: string }> }>;
  assert.deepEqual(state[SET]!.lastContainerStatuses, { proxy: { imageID: imageID("proxy:v1") } });
});

test("an upgraded pod is inconsistent until the kubelet runs the new native sidecar, and uses the budget meanwhile", () => {
  const set = meshSet("proxy:v2", { maxUnavailable: 1 });
  const r = upgradePod(set, meshPod("web-0"), { now: NOW });
  assert.ok(r.ok);
  assert.equal(isConsistent(r.pod, set), false);
  const during = planUpgrade(set, [r.pod, meshPod("web-1", OLD, 1)], { now: NOW, nativeSidecarInPlaceUpgrade: true });
  assert.equal(during.unavailable, 1);
  assert.deepEqual(during.upgrade, []);
  assert.deepEqual(during.budgetUsedBy, ["default/web-0"]);

  const done = restarted(r.pod);
  assert.equal(isConsistent(done, set), true);
  const after = planUpgrade(set, [done, meshPod("web-1", OLD, 1)], { now: NOW, nativeSidecarInPlaceUpgrade: true });
  assert.equal(after.status.updatedReadyPods, 1);
  assert.deepEqual(after.upgrade.map((p) => p.metadata?.name), ["web-1"]);
});

test("a native sidecar crash-looping after its upgrade is a failure the progress deadline sees", () => {
  const set = meshSet("proxy:v2");
  const r = upgradePod(set, meshPod("web-0"), { now: new Date(Date.parse(at(10))) });
  assert.ok(r.ok);
  const crashing = restarted(r.pod);
  crashing.status!.initContainerStatuses![1] = status("proxy", "proxy:v2", false, {
    restartCount: 3,
    state: { waiting: { reason: "CrashLoopBackOff" } },
    lastState: { terminated: { exitCode: 1, reason: "Error", startedAt: at(20), finishedAt: at(21) } },
  });
  assert.deepEqual(upgradeFactsOf(crashing, SET, sidecarPodContainerNames(set)).failure, { reason: "CrashLoopBackOff", container: "proxy" });
});
