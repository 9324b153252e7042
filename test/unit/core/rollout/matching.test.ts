import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../../../src/api/kube-types.js";
import { sidecarListOf } from "../../../../src/api/sidecar-containers.js";
import { sidecarNamesOf } from "../../../../src/core/rollout/consistency.js";
import type { SidecarSet } from "../../../../src/api/types.js";
import { isActivePod } from "../../../../src/core/pods.js";
import {
  canaryNamesOf,
  hasAllSidecarContainers,
  hotUpgradeContainers,
  isInjectedBy,
  podKey,
  podSelectorOf,
  selectPods,
  sidecarPodContainerNames,
} from "../../../../src/core/rollout/matching.js";
import { makePod, makeSet, names, SET } from "./fixtures.js";

const hotSet = makeSet({}, {
  containers: [
    { name: "envoy", image: "envoy:v2", upgradeStrategy: { upgradeType: "HotUpgrade", hotUpgradeEmptyImage: "empty" } },
    { name: "log", image: "log:v1" },
  ],
  initContainers: [{ name: "init", image: "i" }, { name: "native", image: "n", restartPolicy: "Always" }],
});

test("a hot-upgrade sidecar contributes its -1/-2 pair to the pod container names; native sidecars follow, plain initContainers do not count", () => {
  assert.deepEqual(sidecarPodContainerNames(hotSet), ["envoy-1", "envoy-2", "log", "native"]);
});

test("sidecarList holds logical names plus native-sidecar initContainers, sorted", () => {
  assert.deepEqual(sidecarListOf(hotSet), ["envoy", "log", "native"]);
});

test("without a working-container entry the second container of the pair works", () => {
  const pod = makePod("p");
  assert.deepEqual(hotUpgradeContainers(pod, "envoy"), { working: "envoy-2", idle: "envoy-1" });
  pod.metadata!.annotations!["kruise.io/sidecarset-working-hotupgrade-container"] = '{"envoy":"envoy-1"}';
  assert.deepEqual(hotUpgradeContainers(pod, "envoy"), { working: "envoy-1", idle: "envoy-2" });
});

test("active pods: not Succeeded/Failed and not terminating", () => {
  assert.equal(isActivePod(makePod("a")), true);
  assert.equal(isActivePod(makePod("a", { phase: "Succeeded" })), false);
  assert.equal(isActivePod(makePod("a", { phase: "Failed" })), false);
  const deleting = makePod("a");
  deleting.metadata!.deletionTimestamp = "2026-01-01T00:00:00Z";
  assert.equal(isActivePod(deleting), false);
});

test("the injected-list is matched by whole names", () => {
  const pod = makePod("p");
  pod.metadata!.annotations!["kruise.io/sidecarset-injected-list"] = "sidecarset-ab,x";
  assert.equal(isInjectedBy(pod, SET), false);
  pod.metadata!.annotations!["kruise.io/sidecarset-injected-list"] = "a,sidecarset-a";
  assert.equal(isInjectedBy(pod, SET), true);
});

test("hot-upgrade sidecars need both containers and a working-container entry", () => {
  const pod = makePod("p");
  pod.spec!.containers = [{ name: "envoy-1", image: "x" }, { name: "envoy-2", image: "y" }, { name: "log", image: "l" }];
  assert.equal(hasAllSidecarContainers(pod, hotSet), false, "no working annotation");
  pod.metadata!.annotations!["kruise.io/sidecarset-working-hotupgrade-container"] = '{"envoy":"envoy-2"}';
  assert.equal(hasAllSidecarContainers(pod, hotSet), true);
  pod.spec!.containers = pod.spec!.containers.filter((c) => c.name !== "envoy-1");
  assert.equal(hasAllSidecarContainers(pod, hotSet), false, "missing envoy-1");
});

function withNs(pod: Pod, ns: string): Pod {
  pod.metadata!.namespace = ns;
  return pod;
}

test("selection sorts by (namespace, name) and splits matched from not-injected pods", () => {
  const set = makeSet();
  const missingSidecar = makePod("c");
  missingSidecar.spec!.containers = [{ name: "app", image: "a" }];
  const notInjected = makePod("d");
  notInjected.metadata!.annotations = {};
  const other = makePod("e", { labels: { app: "other" } });
  const done = makePod("f", { phase: "Succeeded" });
  const pods = [withNs(makePod("b"), "ns-b"), withNs(makePod("a"), "ns-b"), withNs(makePod("z"), "ns-a"), missingSidecar, notInjected, other, done];
  const sel = selectPods(set, pods);
  assert.deepEqual(sel.selected.map(podKey), ["default/c", "default/d", "ns-a/z", "ns-b/a", "ns-b/b"]);
  assert.deepEqual(sel.matched.map(podKey), ["ns-a/z", "ns-b/a", "ns-b/b"]);
  assert.deepEqual(names(sel.notInjected), ["c", "d"]);
});

test("onMatched sees each matched pod once, in listing order; slots map the sorted pods back", () => {
  const visit = (pods: Pod[]): { seen: string[]; slots: number[] | null; matched: string[] } => {
    const seen: string[] = [];
    const sel = selectPods(makeSet(), pods, { onMatched: (pod, slot) => seen.push(`${slot}:${podKey(pod)}`) });
    return { seen, slots: sel.slots && [...sel.slots], matched: sel.matched.map(podKey) };
  };
  const [a, b, c] = [makePod("a"), makePod("b"), makePod("c")];
  const stranger = makePod("s", { labels: { app: "other" } });
  assert.deepEqual(visit([a, stranger, b, c]), { seen: ["0:default/a", "1:default/b", "2:default/c"], slots: null, matched: ["default/a", "default/b", "default/c"] });
  assert.deepEqual(visit([b, c, stranger, a]), {
    seen: ["0:default/b", "1:default/c", "2:default/a"],
    slots: [2, 0, 1],
    matched: ["default/a", "default/b", "default/c"],
  });
});

test("a namespace that prefixes another sorts first", () => {
  const sel = selectPods(makeSet(), [withNs(makePod("a"), "team-a"), withNs(makePod("b"), "team")]);
  assert.deepEqual(sel.matched.map(podKey), ["team/b", "team-a/a"]);
});

test("spec.namespace limits selection to one namespace", () => {
  const set = makeSet({}, { namespace: "prod" });
  const sel = selectPods(set, [withNs(makePod("a"), "prod"), withNs(makePod("b"), "dev")]);
  assert.deepEqual(names(sel.selected), ["a"]);
});

test("namespaceSelector matches the Namespace labels; an unknown namespace is not selected", () => {
  const set = makeSet({}, { namespaceSelector: { matchLabels: { env: "prod" } } });
  const pods = [withNs(makePod("a"), "p1"), withNs(makePod("b"), "d1"), withNs(makePod("c"), "ghost")];
  const sel = selectPods(set, pods, { namespaceLabels: { p1: { env: "prod" }, d1: { env: "dev" } } });
  assert.deepEqual(names(sel.selected), ["a"]);
});

test("a SidecarSet's kept pod selector follows the Namespace labels it is asked with", () => {
  const set = makeSet({}, { namespaceSelector: { matchLabels: { env: "prod" } } });
  const pod = withNs(makePod("a"), "team");
  assert.equal(podSelectorOf(set, { team: { env: "dev" } })(pod), false);
  assert.equal(podSelectorOf(set, { team: { env: "prod" } })(pod), true);
  const labels = { team: { env: "prod" } };
  assert.equal(podSelectorOf(set, labels), podSelectorOf(set, labels), "kept for the same labels map");
});

test("a SidecarSet object's pod selector and sidecar names are made once, also when no Namespace labels are given", () => {
  const set = makeSet();
  assert.equal(podSelectorOf(set), podSelectorOf(set));
  assert.equal(sidecarNamesOf(hotSet), sidecarNamesOf(hotSet));
  assert.deepEqual(sidecarNamesOf(hotSet).list, ["envoy-1", "envoy-2", "log", "native"]);
  const copy = structuredClone(hotSet);
  copy.spec.containers = copy.spec.containers!.slice(1);
  assert.deepEqual(sidecarNamesOf(copy).list, ["log", "native"], "another object is read afresh");
});

test("an empty selector selects nothing", () => {
  const set: SidecarSet = { ...makeSet(), spec: { ...makeSet().spec, selector: {} } };
  assert.equal(selectPods(set, [makePod("a")]).selected.length, 0);
});

test("pods carrying a canary of S are neither matched nor not-injected", () => {
  const set = makeSet();
  const canary = makeSet();
  canary.metadata = { name: "canary", annotations: { "apps.kruise.io/sidecarset-canary": "true", "apps.kruise.io/sidecarset-base": SET } };
  const pod = makePod("a");
  pod.metadata!.annotations!["kruise.io/sidecarset-injected-list"] = "canary";
  const canaries = canaryNamesOf(set, [set, canary]);
  assert.deepEqual(canaries, ["canary"]);
  const sel = selectPods(set, [pod], { canaryNames: canaries });
  assert.equal(sel.matched.length + sel.notInjected.length, 0);
  assert.equal(selectPods(set, [pod]).notInjected.length, 1);
});
