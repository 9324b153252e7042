import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../../../src/api/kube-types.js";
import type { SidecarSetUpdateStrategy } from "../../../../src/api/types.js";
import { planUpgrade } from "../../../../src/core/rollout/plan.js";
import { makePod, makeSet, names, NOW, type PodState } from "./fixtures.js";

function pods(n: number, state: (i: number) => PodState = () => ({})): Pod[] {
  return Array.from({ length: n }, (_, i) => makePod(`pod-${String(i).padStart(4, "0")}`, { createdAt: i, ...state(i) }));
}

function plan(strategy: SidecarSetUpdateStrategy, list: Pod[]) {
  return planUpgrade(makeSet(strategy), list, { now: NOW });
}

test("E6: updated pods the kubelet has not finished use the budget; 6 of 70 waiting go", () => {
  const list = pods(100, (i) => (i < 26 ? { updated: true } : i < 30 ? { updated: true, consistent: false } : {}));
  const p = plan({ maxUnavailable: 10, partition: 0 }, list);
  assert.equal(p.unavailable, 4);
  assert.equal(p.order.length, 70);
  assert.equal(p.upgrade.length, 6);
  assert.equal(p.unavailableAfter, 10);
  assert.equal(p.limitedBy, "max-unavailable");
});

test("E7: partition 99% of 5 pods keeps 4, so 1 pod is upgraded", () => {
  const p = plan({ maxUnavailable: 5, partition: "99%" }, pods(5));
  assert.equal(p.partition, 4);
  assert.equal(p.upgrade.length, 1);
  assert.equal(p.limitedBy, "partition");
});

test("E8: not-ready pods go first and cost nothing; the walk stops at the first ready pod over budget", () => {
  const list = Array.from({ length: 20 }, (_, i) =>
    makePod(`pod-${i}`, { createdAt: i, updated: i < 10, consistent: i < 5, ready: i !== 10 && i !== 13 }),
  );
  const p = plan({ maxUnavailable: 10 }, list);
  assert.equal(p.unavailable, 5);
  assert.deepEqual(names(p.upgrade), ["pod-13", "pod-10", "pod-19", "pod-18", "pod-17", "pod-16", "pod-15"]);
  const entry = p.pods.find((e) => e.pod === "default/pod-14")!;
  assert.equal(entry.state, "waiting-for-budget");
  assert.match(entry.reason, /maxUnavailable 10 is used up/);
});

test("the budget is used by the unavailable updated pods, then the ready pods upgraded now; not-ready ones upgraded now use none", () => {
  const list = Array.from({ length: 20 }, (_, i) =>
    makePod(`pod-${i}`, { createdAt: i, updated: i < 10, consistent: i < 5, ready: i !== 10 && i !== 13 }),
  );
  const p = plan({ maxUnavailable: 10 }, list);
  assert.deepEqual(
    p.budgetUsedBy,
    ["pod-5", "pod-6", "pod-7", "pod-8", "pod-9", "pod-19", "pod-18", "pod-17", "pod-16", "pod-15"].map((n) => `default/${n}`),
  );
  assert.equal(p.budgetUsedBy.length, p.unavailableAfter, "the budget users are the pods the walk counted");
});

test("a stopped rollout upgrades nothing, so only unavailable updated pods use the budget", () => {
  const list = pods(4, (i) => (i === 0 ? { updated: true, ready: false } : {}));
  const p = plan({ paused: true }, list);
  assert.deepEqual(p.budgetUsedBy, ["default/pod-0000"]);
});

test("100 pods, partition 80, maxUnavailable 30: all 20 go in the first wave", () => {
  const p = plan({ maxUnavailable: 30, partition: 80 }, pods(100));
  assert.equal(p.upgrade.length, 20);
  assert.equal(p.partition, 80);
  assert.equal(p.pods.filter((e) => e.state === "kept-by-partition").length, 80);
});

test("1000 pods, partition 980, maxUnavailable 10%: 20 upgraded", () => {
  const p = plan({ maxUnavailable: "10%", partition: 980 }, pods(1000));
  assert.equal(p.maxUnavailable, 100);
  assert.equal(p.upgrade.length, 20);
});

test("100 pods, partition 50, maxUnavailable 10: the first wave takes 10", () => {
  const p = plan({ maxUnavailable: 10, partition: 50 }, pods(100));
  assert.equal(p.upgrade.length, 10);
});

test("partition counts against waiting pods: busy and not-upgradable pods keep more pods old", () => {
  const list = pods(10, (i) => (i < 2 ? { busy: true } : i < 4 ? { notUpgradable: true } : {}));
  const p = plan({ maxUnavailable: 10, partition: 5 }, list);
  assert.equal(p.order.length, 6);
  assert.equal(p.upgrade.length, 1);
  assert.deepEqual(names(p.busy), ["pod-0000", "pod-0001"]);
  assert.deepEqual(names(p.notUpgradable), ["pod-0002", "pod-0003"]);
});

test("never upgrades a not-upgradable, busy, updated or unselected pod", () => {
  const list = pods(8, (i) => [{ busy: true }, { notUpgradable: true }, { updated: true }, { labels: { canary: "no" } }][i % 4]!);
  const p = plan({ maxUnavailable: 100, selector: { matchExpressions: [{ key: "canary", operator: "DoesNotExist" }] } }, list);
  assert.deepEqual(p.upgrade, []);
  assert.deepEqual(
    p.pods.map((e) => e.state),
    ["busy", "not-upgradable", "updated", "not-selected", "busy", "not-upgradable", "updated", "not-selected"],
  );
});

const stops: { name: string; strategy: SidecarSetUpdateStrategy; state?: PodState; stopped: string }[] = [
  { name: "NotUpdate never upgrades", strategy: { type: "NotUpdate" }, stopped: "not-update" },
  { name: "paused never upgrades", strategy: { paused: true }, stopped: "paused" },
  { name: "all pods updated ⇒ nothing to do", strategy: {}, state: { updated: true }, stopped: "all-updated" },
  { name: "a malformed partition stops the rollout instead of guessing", strategy: { partition: "half" }, stopped: "invalid-strategy" },
];
for (const s of stops) {
  test(`stop: ${s.name}`, () => {
    const p = plan({ maxUnavailable: 5, ...s.strategy }, pods(3, () => s.state ?? {}));
    assert.equal(p.stopped, s.stopped);
    assert.deepEqual(p.upgrade, []);
    for (const e of p.pods) if (!e.updated) assert.equal(e.state, "rollout-stopped");
  });
}

test("a NotUpdate SidecarSet's rollout fields are not checked, as validation leaves them alone", () => {
  const p = plan({ type: "NotUpdate", partition: "half" }, pods(2));
  assert.equal(p.stopped, "not-update");
  assert.deepEqual(p.errors, []);
});

test("a malformed strategy is reported as field errors", () => {
  const p = plan({ partition: "half", maxUnavailable: -1 }, pods(1));
  assert.deepEqual(p.errors.map((e) => e.path), ["spec.updateStrategy.partition", "spec.updateStrategy.maxUnavailable"]);
});

test("every selected pod gets an entry with a reason, in (namespace, name) order", () => {
  const notInjected = makePod("zz");
  notInjected.metadata!.annotations = {};
  const list = [...pods(4, (i) => (i === 0 ? { updated: true } : {})), notInjected];
  const p = plan({ maxUnavailable: 1, partition: 1 }, list);
  assert.deepEqual(
    p.pods.map((e) => [e.pod, e.state]),
    [
      ["default/pod-0000", "updated"],
      ["default/pod-0001", "kept-by-partition"],
      ["default/pod-0002", "waiting-for-budget"],
      ["default/pod-0003", "upgrade"],
      ["default/zz", "not-injected"],
    ],
  );
  for (const e of p.pods) assert.ok(e.reason.length > 10, e.pod);
  assert.equal(p.status.notInjectedPods, 1);
});

test("the same pods in any input order give the same plan order", () => {
  const list = pods(50, (i) => ({ ready: i % 7 !== 0, restarts: i % 3, labels: { zone: `z${i % 4}` } }));
  const strategy = { maxUnavailable: 5, scatterStrategy: [{ key: "zone" }] };
  const a = plan(strategy, list);
  const b = plan(strategy, [...list].reverse());
  assert.deepEqual(names(a.order), names(b.order));
  assert.deepEqual(names(a.upgrade), names(b.upgrade));
});

test("status is computed over matched pods only", () => {
  const stranger = makePod("x", { labels: { app: "other" } });
  const p = plan({}, [...pods(3, (i) => ({ updated: i === 0 })), stranger]);
  assert.deepEqual(p.status, { matchedPods: 3, updatedPods: 1, readyPods: 3, updatedReadyPods: 1, notInjectedPods: 0 });
});

test("a pod mid hot-upgrade stops upgrades until its idle container is parked", () => {
  const set = makeSet({ maxUnavailable: 5 }, {
    containers: [{ name: "envoy", image: "envoy:v2", upgradeStrategy: { upgradeType: "HotUpgrade", hotUpgradeEmptyImage: "empty:1" } }],
  });
  const mid = makePod("mid", { updated: true });
  mid.metadata!.annotations!["kruise.io/sidecarset-working-hotupgrade-container"] = '{"envoy":"envoy-2"}';
  mid.spec!.containers = [{ name: "envoy-1", image: "envoy:v1" }, { name: "envoy-2", image: "envoy:v2" }];
  mid.status!.containerStatuses = [
    { name: "envoy-1", image: "envoy:v1", imageID: "i1", ready: true, restartCount: 0 },
    { name: "envoy-2", image: "envoy:v2", imageID: "i2", ready: true, restartCount: 1 },
  ];
  delete mid.metadata!.annotations!["kruise.io/sidecarset-inplace-update-state"];
  const waiting = structuredClone(mid);
  waiting.metadata!.name = "waiting";
  waiting.metadata!.annotations!["kruise.io/sidecarset-hash"] = "{}";
  waiting.spec!.containers = [{ name: "envoy-1", image: "empty:1" }, { name: "envoy-2", image: "envoy:v1" }];
  waiting.status!.containerStatuses = [
    { name: "envoy-1", image: "empty:1", imageID: "e", ready: true, restartCount: 0 },
    { name: "envoy-2", image: "envoy:v1", imageID: "i1", ready: true, restartCount: 0 },
  ];
  const p = planUpgrade(set, [mid, waiting], { now: NOW });
  assert.deepEqual(names(p.hotUpgradeFlip), ["mid"]);
  assert.equal(p.stopped, "hot-upgrade-flip");
  assert.deepEqual(p.upgrade, []);
  assert.deepEqual(names(p.order), ["waiting"]);
});
