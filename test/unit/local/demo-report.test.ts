import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../../src/api/kube-types.js";
import type { SidecarSet } from "../../../src/api/types.js";
import { baselineOf, finalChecks, formatProgress, progressOf, type DemoNames } from "../../../src/local/demo-report.js";

const names: DemoNames = { sidecar: "logtail", app: "web-server" };

interface PodShape {
  uid?: string;
  spec: string;
  /** The image the sidecar reports running; default the spec image. */
  running?: string;
  sidecarReady?: boolean;
  ready?: boolean;
  appRestarts?: number;
  sidecarRestarts?: number;
  deleting?: boolean;
  noSidecar?: boolean;
}

let counter = 0;
function pod(p: PodShape): Pod {
  const uid = p.uid ?? `uid-${++counter}`;
  const containers = [{ name: "web-server", image: "busybox:1.36" }, ...(p.noSidecar ? [] : [{ name: "logtail", image: p.spec }])];
  return {
    metadata: { name: `web-${uid}`, namespace: "demo", uid, ...(p.deleting ? { deletionTimestamp: "2024-01-01T00:00:00Z" } : {}) },
    spec: { containers },
    status: {
      phase: "Running",
      conditions: [{ type: "Ready", status: p.ready === false ? "False" : "True" }],
      containerStatuses: [
        { name: "web-server", image: "busybox:1.36", imageID: "", ready: true, restartCount: p.appRestarts ?? 0 },
        ...(p.noSidecar ? [] : [{ name: "logtail", image: p.running ?? p.spec, imageID: "", ready: p.sidecarReady ?? true, restartCount: p.sidecarRestarts ?? 0 }]),
      ],
    },
  };
}

const set = (status: SidecarSet["status"]): SidecarSet => ({ metadata: { name: "log-agent" }, spec: { containers: [] }, ...(status ? { status } : {}) });

test("progress counts come from the SidecarSet status, and are 0 before the controller wrote one", () => {
  const p = progressOf(set({ matchedPods: 3, updatedPods: 2, readyPods: 3, updatedReadyPods: 1 }), [], names);
  assert.deepEqual([p.matched, p.updated, p.ready, p.updatedReady], [3, 2, 3, 1]);
  const none = progressOf(undefined, [], names);
  assert.deepEqual([none.matched, none.updated, none.ready, none.updatedReady, none.pods], [0, 0, 0, 0, 0]);
});

test("pods are counted per sidecar image of their spec, sorted by image, pods being deleted left out", () => {
  const p = progressOf(undefined, [
    pod({ spec: "busybox:1.37" }), pod({ spec: "busybox:1.36" }), pod({ spec: "busybox:1.36" }),
    pod({ spec: "busybox:1.37", deleting: true }), pod({ spec: "", noSidecar: true }),
  ], names);
  assert.equal(p.pods, 4);
  assert.deepEqual(p.images, [["(none)", 1], ["busybox:1.36", 2], ["busybox:1.37", 1]]);
});

const movingCases: { name: string; pod: PodShape; restarting: number; starting: number; notReady: number }[] = [
  { name: "a sidecar still reporting the old image is restarting", pod: { spec: "busybox:1.37", running: "busybox:1.36", sidecarReady: false, ready: false }, restarting: 1, starting: 0, notReady: 1 },
  { name: "a sidecar with its spec image but not ready is starting", pod: { spec: "busybox:1.36", sidecarReady: false, ready: false }, restarting: 0, starting: 1, notReady: 1 },
  { name: "a ready sidecar on its spec image is neither", pod: { spec: "busybox:1.37" }, restarting: 0, starting: 0, notReady: 0 },
  { name: "a pod without the sidecar is neither", pod: { spec: "", noSidecar: true }, restarting: 0, starting: 0, notReady: 0 },
];
for (const c of movingCases) {
  test(`progress: ${c.name}`, () => {
    const p = progressOf(undefined, [pod(c.pod)], names);
    assert.deepEqual([p.restarting, p.starting, p.notReady], [c.restarting, c.starting, c.notReady]);
  });
}

test("a progress line shows the counts, the images and only the movements that are happening", () => {
  const still = progressOf(set({ matchedPods: 2, updatedPods: 1, readyPods: 2, updatedReadyPods: 1 }), [pod({ spec: "a:1" }), pod({ spec: "a:2" })], names);
  assert.equal(formatProgress(still), "matched 2  updated 1  ready 2  updatedReady 1 | pods 2: a:1 x1, a:2 x1");
  const moving = progressOf(undefined, [pod({ spec: "a:2", running: "a:1", sidecarReady: false, ready: false })], names);
  assert.equal(formatProgress(moving), "matched 0  updated 0  ready 0  updatedReady 0 | pods 1: a:2 x1 | 1 restarting, 1 not ready");
  assert.equal(formatProgress(progressOf(undefined, [], names)), "matched 0  updated 0  ready 0  updatedReady 0 | pods 0: none yet");
});

function checksFor(after: Pod[], before: Pod[], maxNotReadySeen = 1) {
  return finalChecks(baselineOf(before, names), after, names, { image: "b:2", maxUnavailable: 2, maxNotReadySeen });
}

test("an in-place upgrade passes every check: same UIDs, app not restarted, sidecar on the new image after one restart", () => {
  const before = [pod({ uid: "u1", spec: "b:1" }), pod({ uid: "u2", spec: "b:1" })];
  const after = [pod({ uid: "u1", spec: "b:2", sidecarRestarts: 1 }), pod({ uid: "u2", spec: "b:2", sidecarRestarts: 1 })];
  const checks = checksFor(after, before);
  assert.deepEqual(checks.map((c) => c.ok), [true, true, true, true]);
  assert.equal(checks[0]!.text, "pod UIDs unchanged: 2/2 pods are the same objects as before the upgrade");
  assert.equal(checks[2]!.text, "sidecar logtail: 2/2 pods run b:2, restarted in place exactly once");
});

const failureCases: { name: string; after: PodShape[]; maxNotReadySeen?: number; failed: number; text: RegExp }[] = [
  { name: "a recreated pod (new UID) fails the UID check", after: [{ uid: "u1", spec: "b:2", sidecarRestarts: 1 }, { uid: "new", spec: "b:2", sidecarRestarts: 1 }], failed: 0, text: /1\/2 pods are the same objects/ },
  { name: "a restarted app container fails the app check and is named", after: [{ uid: "u1", spec: "b:2", sidecarRestarts: 1, appRestarts: 1 }, { uid: "u2", spec: "b:2", sidecarRestarts: 1 }], failed: 1, text: /restarted on 1 pods: web-u1/ },
  { name: "a sidecar still on the old image fails the sidecar check", after: [{ uid: "u1", spec: "b:2", sidecarRestarts: 1 }, { uid: "u2", spec: "b:1" }], failed: 2, text: /1\/2 pods run b:2/ },
  { name: "a sidecar restarted twice fails the sidecar check", after: [{ uid: "u1", spec: "b:2", sidecarRestarts: 2 }, { uid: "u2", spec: "b:2", sidecarRestarts: 1 }], failed: 2, text: /1\/2 pods run b:2/ },
  { name: "more pods unavailable than maxUnavailable fails the budget check", after: [{ uid: "u1", spec: "b:2", sidecarRestarts: 1 }, { uid: "u2", spec: "b:2", sidecarRestarts: 1 }], maxNotReadySeen: 3, failed: 3, text: /at most 3 pods were unavailable at once \(maxUnavailable 2\)/ },
];
for (const c of failureCases) {
  test(`final checks: ${c.name}`, () => {
    const before = [pod({ uid: "u1", spec: "b:1" }), pod({ uid: "u2", spec: "b:1" })];
    const checks = checksFor(c.after.map(pod), before, c.maxNotReadySeen);
    assert.deepEqual(checks.map((x, i) => (x.ok ? -1 : i)).filter((i) => i >= 0), [c.failed]);
    assert.match(checks[c.failed]!.text, c.text);
  });
}
