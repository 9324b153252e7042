// What keeps a rollout safe, through the real API server and controller: the
// maxUnavailable budget at every instant, a broken image halting the rollout,
// changes that cannot be applied in place, and pods deleted while upgrading.
// The kubelet takes a second to restart an upgraded container, so upgrades
// stay in flight long enough to be observed.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../src/api/kube-types.js";
import { REASON_UPDATE_IMMUTABLE_FIELD } from "../../src/api/keys.js";
import { useEnvironment, waitFor } from "../support/environment.js";
import { isPodReady, MERGE_PATCH, rawRequest, recordPodEvents, waitForPod } from "../support/kube.js";
import {
  activePods,
  awaitTwoReconciles,
  deploySettled,
  deployWithSidecarSet,
  podName,
  replay,
  runsSpecImage,
  setSidecarImage,
  SIDECAR,
  specImage,
  statusImage,
  upgradableCondition,
  upgradeOrder,
  waitForAppPods,
  waitForStatus,
} from "../support/rollout.js";
import { getSidecarSet, patchSidecarSet, sidecarSetEvents } from "../support/sidecarsets.js";

const RESTART_DELAY_MS = 1_000;

const env = useEnvironment({ kubelet: { restartDelayMs: RESTART_DELAY_MS } });

const V1 = "registry.local/agent:1";
const V2 = "registry.local/agent:2";

/** Asked to run `image` but not (yet) ready on it. */
const upgradedButUnavailable = (pod: Pod, image: string): boolean => specImage(pod) === image && !(isPodReady(pod) && statusImage(pod) === image);

test("maxUnavailable 2: at no point of the watched event stream are more than 2 pods upgraded but not ready", async () => {
  const ns = "max-unavailable";
  const name = "max-unavailable";
  await deploySettled(env(), name, { replicas: 8, image: V1, updateStrategy: { maxUnavailable: 2 } });

  const recorder = await recordPodEvents(env().clients.kc, ns);
  try {
    await setSidecarImage(env(), name, V2, { maxUnavailable: 2 });
    await waitForStatus(env(), name, { matchedPods: 8, updatedPods: 8, updatedReadyPods: 8 });
  } finally {
    recorder.stop();
  }
  let worst = 0;
  for (const { index, pods } of replay(recorder)) {
    const unavailable = [...pods.values()].filter((p) => upgradedButUnavailable(p, V2)).map(podName);
    assert.ok(unavailable.length <= 2, `after event #${index} ${unavailable.length} pods were upgraded but not ready: ${unavailable.join(", ")}`);
    worst = Math.max(worst, unavailable.length);
  }
  assert.equal(worst, 2, "the rollout used its budget of 2 (otherwise this test proves nothing)");
  assert.equal(upgradeOrder(recorder, V2).length, 8);
});

test("a broken image with maxUnavailable 1 stops the rollout at one unavailable pod", async () => {
  const ns = "broken-image";
  const name = "broken-image";
  const BROKEN = "registry.local/agent:2-broken";
  await deploySettled(env(), name, { replicas: 4, image: V1, updateStrategy: { maxUnavailable: 1 } });

  const recorder = await recordPodEvents(env().clients.kc, ns);
  try {
    await setSidecarImage(env(), name, BROKEN);
    // The upgraded pod runs the new image (so the kubelet finished restarting it) and stays unready.
    const stuck = await waitFor("a pod running the broken image", async () =>
      (await activePods(env(), ns, name)).find((p) => statusImage(p) === BROKEN),
    );
    assert.equal(isPodReady(stuck), false, "the pod on the broken image is not ready");
    await waitForStatus(env(), name, { matchedPods: 4, updatedPods: 1, readyPods: 3, updatedReadyPods: 0 });
    await awaitTwoReconciles(env(), name);

    assert.deepEqual(upgradeOrder(recorder, BROKEN), [podName(stuck)], "only one pod was ever given the broken image");
    const others = (await activePods(env(), ns, name)).filter((p) => podName(p) !== podName(stuck));
    assert.equal(others.length, 3);
    for (const p of others) assert.ok(specImage(p) === V1 && runsSpecImage(p), `${podName(p)} still runs ${V1} and is ready`);
  } finally {
    recorder.stop();
  }
});

const HEALTH_GATE = "example.com/sidecar-healthy";

/** Sets the readiness-gate condition the way an external health checker would. */
async function setGate(ns: string, pod: string, healthy: boolean): Promise<void> {
  await rawRequest(
    env().clients.kc,
    "PATCH",
    `/api/v1/namespaces/${ns}/pods/${pod}/status`,
    { status: { conditions: [{ type: HEALTH_GATE, status: healthy ? "True" : "False" }] } },
    "application/strategic-merge-patch+json",
  );
}

test("a pod deleted while its upgrade is in flight does not stall the rollout; its replacement is created with the new image", async () => {
  const ns = "deleted-mid-upgrade";
  const name = "deleted-mid-upgrade";
  // A readiness gate lets the test hold an upgraded pod unready for as long as it needs, independent of timing.
  await deployWithSidecarSet(env(), name, {
    replicas: 5,
    image: V1,
    updateStrategy: { maxUnavailable: 1 },
    podSpec: { readinessGates: [{ conditionType: HEALTH_GATE }] },
  });
  const initial = await waitForAppPods(env(), ns, name, 5, (p) => p.status?.phase === "Running");
  for (const p of initial) await setGate(ns, podName(p), true);
  const original = new Set((await waitForAppPods(env(), ns, name, 5)).map(podName));
  await waitForStatus(env(), name, { matchedPods: 5, updatedPods: 5, readyPods: 5 });

  const recorder = await recordPodEvents(env().clients.kc, ns);
  try {
    await setSidecarImage(env(), name, V2);
    const victim = podName(
      await waitFor("the first pod to be asked for the new image", () => recorder.events.find((e) => specImage(e.pod) === V2)?.pod, { intervalMs: 10 }),
    );
    // Its new sidecar never reports healthy: the upgrade stays in flight and, with maxUnavailable 1, holds the rollout.
    await setGate(ns, victim, false);
    await waitForPod(env().clients.kc, ns, victim, (p) => !isPodReady(p), `${victim} to be unready`);
    await waitForStatus(env(), name, { matchedPods: 5, updatedPods: 1, updatedReadyPods: 0 });
    await awaitTwoReconciles(env(), name);
    assert.deepEqual(upgradeOrder(recorder, V2), [victim], "the rollout waits on the unready upgraded pod");

    await env().clients.core.deleteNamespacedPod({ name: victim, namespace: ns });
    const replacement = await waitFor("the replacement pod", async () =>
      (await activePods(env(), ns, name)).find((p) => !original.has(podName(p)) && p.status?.phase === "Running"),
    );
    await setGate(ns, podName(replacement), true);

    const final = await waitForAppPods(env(), ns, name, 5, (p) => specImage(p) === V2 && runsSpecImage(p));
    await waitForStatus(env(), name, { matchedPods: 5, updatedPods: 5, readyPods: 5, updatedReadyPods: 5 });
    assert.deepEqual(
      final.map(podName).filter((n) => !original.has(n)),
      [podName(replacement)],
      `one replacement pod: ${final.map(podName).join(", ")}`,
    );
    const replacementImages = recorder.events.filter((e) => podName(e.pod) === podName(replacement)).map((e) => specImage(e.pod));
    assert.deepEqual([...new Set(replacementImages)], [V2], "the replacement was created with the new image, not upgraded later");
    assert.equal(final.filter((p) => original.has(podName(p))).length, 4, "the other four pods were upgraded in place");
  } finally {
    recorder.stop();
  }
});

test("a non-image change is not applied in place: pods stay as they are, get SidecarSetUpgradable=False and an event; new pods get the new spec", async () => {
  const ns = "not-upgradable";
  const name = "not-upgradable";
  const agent = (mode: string) => ({ name: SIDECAR, image: V1, command: ["sleep", "infinity"], env: [{ name: "MODE", value: mode }] });
  const before = await deploySettled(env(), name, { replicas: 3, image: V1, containers: [agent("a")] });

  const recorder = await recordPodEvents(env().clients.kc, ns);
  try {
    await patchSidecarSet(env(), name, { spec: { containers: [agent("b")] } });
    const marked = await waitForAppPods(env(), ns, name, 3, (p) => upgradableCondition(p)?.status === "False");
    for (const pod of marked) {
      const condition = upgradableCondition(pod)!;
      assert.equal(condition.reason, REASON_UPDATE_IMMUTABLE_FIELD, podName(pod));
      assert.deepEqual(JSON.parse(condition.message ?? ""), { [name]: false }, podName(pod));
      assert.equal(condition.message, `{"${name}":false}`, "compact JSON");
      const earlier = before.find((p) => podName(p) === podName(pod))!;
      assert.deepEqual(pod.spec?.containers, earlier.spec?.containers, `${podName(pod)}: containers unchanged`);
      assert.equal(pod.metadata?.annotations?.["kruise.io/sidecarset-hash"], earlier.metadata?.annotations?.["kruise.io/sidecarset-hash"]);
    }
    const events = await waitFor("a NotUpgradablePods event on the SidecarSet", async () => {
      const list = await sidecarSetEvents(env(), name, "NotUpgradablePods");
      return list.length > 0 ? list : undefined;
    });
    assert.equal(events[0]!.type, "Normal");
    assert.equal(events[0]!.involvedObject.kind, "SidecarSet");
    assert.match(events[0]!.message, /detected 3 not upgradable pod\(s\)/);
    await waitForStatus(env(), name, { matchedPods: 3, updatedPods: 0, readyPods: 3 });

    await rawRequest(env().clients.kc, "PATCH", `/apis/apps/v1/namespaces/${ns}/deployments/${name}`, { spec: { replicas: 4 } }, MERGE_PATCH);
    const pods = await waitForAppPods(env(), ns, name, 4);
    const fresh = pods.filter((p) => !before.some((b) => podName(b) === podName(p)));
    assert.equal(fresh.length, 1);
    const freshAgent = fresh[0]!.spec?.containers.find((c) => c.name === SIDECAR);
    assert.deepEqual(freshAgent?.env?.find((e) => e.name === "MODE"), { name: "MODE", value: "b" }, "the new pod got the new env");
    await waitForStatus(env(), name, { matchedPods: 4, updatedPods: 1, readyPods: 4, updatedReadyPods: 1 });

    const oldPods = pods.filter((p) => podName(p) !== podName(fresh[0]!));
    for (const p of oldPods) {
      assert.deepEqual(p.spec?.containers.find((c) => c.name === SIDECAR)?.env?.find((e) => e.name === "MODE"), { name: "MODE", value: "a" });
    }
    for (const { pod } of recorder.events) {
      const earlier = before.find((p) => podName(p) === podName(pod));
      if (earlier) assert.deepEqual(pod.spec?.containers, earlier.spec?.containers, `${podName(pod)}: the watch never saw its containers change`);
    }
    const set = await getSidecarSet(env(), name);
    assert.equal(set.status?.observedGeneration, set.metadata.generation);
  } finally {
    recorder.stop();
  }
});
