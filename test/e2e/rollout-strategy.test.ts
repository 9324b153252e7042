// The updateStrategy knobs that choose which pods a rollout touches and when
// (canary selector, scatter, paused), and the hot-upgrade sidecar pair,
// through the real API server and controller.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../src/api/kube-types.js";
import { SIDECARSET_WORKING_HOT_UPGRADE_CONTAINER_ANNOTATION } from "../../src/api/keys.js";
import { applyYaml, createNamespace, useEnvironment } from "../support/environment.js";
import { isPodReady, rawRequest, recordPodEvents, strategicMergePatch } from "../support/kube.js";
import {
  activePods,
  awaitTwoReconciles,
  deploymentManifest,
  deploySettled,
  deployWithSidecarSet,
  planOf,
  podName,
  runsSpecImage,
  setSidecarImage,
  sidecarSetManifest,
  snapshotsBeforeUpgrades,
  specImage,
  statusImage,
  upgradeOrder,
  waitForAppPods,
  waitForStatus,
} from "../support/rollout.js";
import { getSidecarSet, patchSidecarSet, waitForObserved } from "../support/sidecarsets.js";

const env = useEnvironment();

const V1 = "registry.local/agent:1";
const V2 = "registry.local/agent:2";

async function labelPod(ns: string, name: string, labels: Record<string, string>): Promise<void> {
  await env().clients.core.patchNamespacedPod({ name, namespace: ns, body: { metadata: { labels } } }, strategicMergePatch());
}

test("canary updateStrategy.selector: only pods matching it are upgraded, and a pod labelled later joins the rollout", async () => {
  const ns = "canary-selector";
  const name = "canary-selector";
  await deployWithSidecarSet(env(), name, { replicas: 6, image: V1, updateStrategy: { maxUnavailable: 6 } });
  const pods = (await waitForAppPods(env(), ns, name, 6)).map(podName).sort();
  const canaries = pods.slice(0, 2);
  for (const pod of canaries) await labelPod(ns, pod, { canary: "true" });
  await waitForStatus(env(), name, { matchedPods: 6, updatedPods: 6 });

  const recorder = await recordPodEvents(env().clients.kc, ns);
  try {
    await setSidecarImage(env(), name, V2, { maxUnavailable: 6, selector: { matchLabels: { canary: "true" } } });
    await waitForStatus(env(), name, { matchedPods: 6, updatedPods: 2, updatedReadyPods: 2 });
    await awaitTwoReconciles(env(), name);
    assert.deepEqual(upgradeOrder(recorder, V2).sort(), canaries, "only the canary pods were ever upgraded");

    const late = pods[2]!;
    await labelPod(ns, late, { canary: "true" });
    await waitForStatus(env(), name, { matchedPods: 6, updatedPods: 3, updatedReadyPods: 3 });
    await awaitTwoReconciles(env(), name);
    assert.deepEqual(upgradeOrder(recorder, V2).sort(), [...canaries, late].sort(), "the newly labelled pod was upgraded, the others not");
    const now = await activePods(env(), ns, name);
    assert.deepEqual(now.filter((p) => specImage(p) === V1).map(podName).sort(), pods.slice(3), "pods outside the selector keep the old image");
  } finally {
    recorder.stop();
  }
});

test("scatterStrategy {key: zone} with maxUnavailable 1: upgrades are spread across zones, each step in the order the scatter rule computes", async () => {
  const ns = "scatter";
  const name = "scatter";
  await createNamespace(env().clients, ns);
  await applyYaml(env().clients, sidecarSetManifest(name, { namespace: ns, image: V1, updateStrategy: { maxUnavailable: 1, scatterStrategy: [{ key: "zone" }] } }));
  await waitForObserved(env(), name);
  // Zone a first, zone b once a is ready: by default (latest ready first) all of one zone would go before the other.
  await applyYaml(env().clients, deploymentManifest(`${name}-a`, ns, 3, name, { zone: "a" }));
  await waitForStatus(env(), name, { matchedPods: 3, readyPods: 3 });
  // Ready times are recorded to the second: zone b's must all fall in a later second than zone a's.
  await new Promise((resolve) => setTimeout(resolve, 1_050 - (Date.now() % 1_000)));
  await applyYaml(env().clients, deploymentManifest(`${name}-b`, ns, 3, name, { zone: "b" }));
  const pods = await waitForAppPods(env(), ns, name, 6);
  const zoneOf = new Map(pods.map((p) => [podName(p), p.metadata?.labels?.zone]));
  await waitForStatus(env(), name, { matchedPods: 6, updatedPods: 6, readyPods: 6 });

  const recorder = await recordPodEvents(env().clients.kc, ns);
  try {
    await setSidecarImage(env(), name, V2);
    await waitForStatus(env(), name, { matchedPods: 6, updatedPods: 6, updatedReadyPods: 6 }, { timeoutMs: 60_000 });
  } finally {
    recorder.stop();
  }
  const order = upgradeOrder(recorder, V2);
  const zones = order.map((p) => zoneOf.get(p));
  assert.equal(order.length, 6, `every pod upgraded once: ${order.join(", ")}`);
  assert.notEqual(zones[0], zones[1], `the first two upgrades are in different zones (zones in upgrade order: ${zones.join(" ")})`);

  // Each step: the pod the controller upgraded is the first of the scatter order
  // `sidecarset plan` computes (docs/behaviour.md §6.8) from the pods as they were just before.
  const set = await getSidecarSet(env(), name);
  const steps = snapshotsBeforeUpgrades(recorder, V2);
  const unscattered = { ...set, spec: { ...set.spec, updateStrategy: { ...set.spec.updateStrategy, scatterStrategy: [] } } };
  const withoutScatter = planOf(unscattered, steps[0]!.before).order.map((k) => zoneOf.get(k.split("/")[1]!));
  assert.equal(withoutScatter[0], withoutScatter[1], `without scatter one zone would go first (${withoutScatter.join(" ")}), so the spread is scatter's doing`);
  for (const [i, step] of steps.entries()) {
    const plan = planOf(set, step.before);
    assert.equal(plan.order[0], `${ns}/${step.upgraded}`, `upgrade #${i + 1}: plan order ${plan.order.join(", ")}`);
  }
});

test("updateStrategy.paused: an image change upgrades no pod while paused; unpausing upgrades them all", async () => {
  const ns = "paused";
  const name = "paused";
  await deploySettled(env(), name, {
    replicas: 4,
    image: V1,
    updateStrategy: { maxUnavailable: 4 },
    settled: { matchedPods: 4, updatedPods: 4 },
  });

  const recorder = await recordPodEvents(env().clients.kc, ns);
  try {
    await setSidecarImage(env(), name, V2, { maxUnavailable: 4, paused: true });
    await waitForStatus(env(), name, { matchedPods: 4, updatedPods: 0, readyPods: 4 });
    await awaitTwoReconciles(env(), name);
    assert.deepEqual(upgradeOrder(recorder, V2), [], "no pod was upgraded while paused");

    await patchSidecarSet(env(), name, { spec: { updateStrategy: { paused: false } } });
    await waitForStatus(env(), name, { matchedPods: 4, updatedPods: 4, updatedReadyPods: 4 });
    await waitForAppPods(env(), ns, name, 4, (p) => specImage(p) === V2 && runsSpecImage(p));
  } finally {
    recorder.stop();
  }
});

test("hot upgrade: the idle container of the -1/-2 pair takes the new image, and only once it is ready the old one is parked on the empty image", async () => {
  const ns = "hot-upgrade";
  const name = "hot-upgrade";
  const P1 = "registry.local/proxy:1";
  const P2 = "registry.local/proxy:2";
  const EMPTY = "registry.local/proxy:empty";
  const proxy = (image: string) => ({
    name: "proxy",
    image,
    command: ["proxy"],
    upgradeStrategy: { upgradeType: "HotUpgrade", hotUpgradeEmptyImage: EMPTY },
  });
  await deployWithSidecarSet(env(), name, { replicas: 2, image: P1, containers: [proxy(P1)] });
  const ready = (p: Pod) => isPodReady(p) && runsSpecImage(p, "proxy-1") && runsSpecImage(p, "proxy-2");
  const before = await waitForAppPods(env(), ns, name, 2, ready);
  for (const pod of before) {
    assert.deepEqual(pod.spec?.containers.map((c) => [c.name, c.image]), [["proxy-1", P1], ["proxy-2", EMPTY], ["app", "registry.local/app:1"]]);
    assert.deepEqual(JSON.parse(pod.metadata?.annotations?.[SIDECARSET_WORKING_HOT_UPGRADE_CONTAINER_ANNOTATION] ?? "{}"), { proxy: "proxy-1" });
  }
  await waitForStatus(env(), name, { matchedPods: 2, updatedPods: 2, readyPods: 2 });

  const recorder = await recordPodEvents(env().clients.kc, ns);
  let after: Pod[];
  try {
    const current = await getSidecarSet(env(), name);
    await patchSidecarSet(env(), name, { spec: { containers: current.spec.containers.map((c) => ({ ...c, image: P2 })) } });
    after = await waitForAppPods(env(), ns, name, 2, (p) => ready(p) && specImage(p, "proxy-1") === EMPTY && specImage(p, "proxy-2") === P2);
    await waitForStatus(env(), name, { matchedPods: 2, updatedPods: 2, readyPods: 2, updatedReadyPods: 2 });
  } finally {
    recorder.stop();
  }

  assert.deepEqual(after.map((p) => p.metadata?.uid).sort(), before.map((p) => p.metadata?.uid).sort(), "pods were upgraded in place");
  for (const pod of after) {
    const pn = podName(pod);
    assert.deepEqual(JSON.parse(pod.metadata?.annotations?.[SIDECARSET_WORKING_HOT_UPGRADE_CONTAINER_ANNOTATION] ?? "{}"), { proxy: "proxy-2" }, pn);
    assert.equal(pod.status?.containerStatuses?.find((c) => c.name === "app")?.restartCount, 0, `${pn}: the app container never restarted`);

    const versions = recorder.events.map((e) => e.pod).filter((p) => podName(p) === pn);
    const pairs: string[] = [];
    for (const p of versions) {
      const pair = `${specImage(p, "proxy-1")} ${specImage(p, "proxy-2")}`;
      if (pairs.at(-1) !== pair) pairs.push(pair);
    }
    assert.deepEqual(pairs, [`${P1} ${EMPTY}`, `${P1} ${P2}`, `${EMPTY} ${P2}`], `${pn}: (proxy-1, proxy-2) spec images over time`);
    const parked = versions.findIndex((p) => specImage(p, "proxy-1") === EMPTY);
    const lastBeforeParking = versions[parked - 1]!;
    assert.ok(
      isPodReady(lastBeforeParking) && statusImage(lastBeforeParking, "proxy-2") === P2,
      `${pn}: proxy-2 ran ${P2} and the pod was ready before proxy-1 was parked (status ${JSON.stringify(lastBeforeParking.status?.containerStatuses)})`,
    );
  }
  const events = await rawRequest<{ items: { reason: string; involvedObject: { name: string } }[] }>(
    env().clients.kc,
    "GET",
    `/api/v1/namespaces/${ns}/events?fieldSelector=${encodeURIComponent("reason=ResetContainerSucceed")}`,
  );
  assert.deepEqual(
    [...new Set(events.items.map((e) => e.involvedObject.name))].sort(),
    after.map(podName).sort(),
    "each pod got a ResetContainerSucceed event when its old container was parked",
  );
});

