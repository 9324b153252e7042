// Native sidecars upgraded in place (docs/behaviour.md §7a.6) through the real API server:
// without the manager flag a RollingUpdate SidecarSet with a native sidecar is
// refused with the flag named; with it, the native sidecar's image rolls out
// in place under partition and maxUnavailable, the kubelet restarting only that
// initContainer (the fake kubelet does what the 1.36 kubelet does for a
// restartable initContainer whose image changed: stop it, start it again).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../src/api/kube-types.js";
import { applyYaml, useEnvironment } from "../support/environment.js";
import { createNamespace, isPodReady, KubeRequestError, recordPodEvents } from "../support/kube.js";
import { activePods, awaitTwoReconciles, deploymentManifest, podName, waitForAppPods, waitForStatus } from "../support/rollout.js";
import { patchSidecarSet, postSidecarSet, sidecarSetObject, waitForObserved } from "../support/sidecarsets.js";

const env = useEnvironment({ kubelet: { restartDelayMs: 1000 } });

const PROXY = "proxy";
const V1 = "registry.local/proxy:1";
const V2 = "registry.local/proxy:2";
const FLAG = "--native-sidecar-in-place-upgrade";

function meshSpec(app: string, image: string, updateStrategy: Record<string, unknown>): Record<string, unknown> {
  return {
    selector: { matchLabels: { app } },
    initContainers: [{ name: PROXY, image, restartPolicy: "Always", command: ["proxy"] }],
    containers: [{ name: "log", image: "registry.local/log:1", command: ["log"] }],
    updateStrategy: { type: "RollingUpdate", ...updateStrategy },
  };
}

const initImage = (pod: Pod): string | undefined => pod.spec?.initContainers?.find((c) => c.name === PROXY)?.image;
const initStatus = (pod: Pod) => pod.status?.initContainerStatuses?.find((s) => s.name === PROXY);
const appStatus = (pod: Pod) => pod.status?.containerStatuses?.find((s) => s.name === "app");
/** Ready, and the kubelet runs the proxy image the spec names. */
const runsSpecProxy = (pod: Pod): boolean => isPodReady(pod) && initStatus(pod)?.image === initImage(pod);

test("without the flag, a RollingUpdate SidecarSet with a native sidecar is refused, naming the flag", async () => {
  const refused = await postSidecarSet(env(), "mesh-refused", meshSpec("mesh-refused", V1, {})).catch((e: unknown) => e);
  assert.ok(refused instanceof KubeRequestError, String(refused));
  assert.equal(refused.status, 422);
  assert.match(refused.body, /spec\.initContainers\[0\]\.restartPolicy/);
  assert.match(refused.body, /--native-sidecar-in-place-upgrade/);
});

test("with the flag, a native sidecar's new image rolls out in place within partition and maxUnavailable, restarting only the sidecar", async () => {
  await env().restartManager([FLAG]);
  const ns = "mesh";
  const name = "mesh";
  const strategy = { maxUnavailable: 2, partition: 2 };
  await createNamespace(env().clients, ns);
  await applyYaml(env().clients, JSON.stringify({ ...sidecarSetObject(name, meshSpec(name, V1, strategy)) }));
  await waitForObserved(env(), name);
  await applyYaml(env().clients, deploymentManifest(name, ns, 6, name));
  const before = await waitForAppPods(env(), ns, name, 6, runsSpecProxy);
  assert.ok(before.every((p) => initImage(p) === V1), "injected as a native sidecar");
  await waitForStatus(env(), name, { matchedPods: 6, updatedPods: 6, readyPods: 6 });
  const appContainers = new Map(before.map((p) => [podName(p), appStatus(p)?.containerID]));

  // At every instant the watch shows, at most maxUnavailable pods run an
  // upgraded proxy that is not back yet.
  const latest = new Map<string, Pod>();
  let worst = 0;
  const recorder = await recordPodEvents(env().clients.kc, ns, undefined, (type, pod) => {
    if (type === "DELETED") latest.delete(podName(pod));
    else latest.set(podName(pod), pod);
    const unavailable = [...latest.values()].filter((p) => initImage(p) === V2 && !runsSpecProxy(p)).length;
    worst = Math.max(worst, unavailable);
  });
  try {
    await patchSidecarSet(env(), name, { spec: meshSpec(name, V2, strategy) });
    await waitForStatus(env(), name, { matchedPods: 6, updatedPods: 4, updatedReadyPods: 4, readyPods: 6 });
    await awaitTwoReconciles(env(), name);
    const held = await activePods(env(), ns, name);
    assert.equal(held.filter((p) => initImage(p) === V2).length, 4, "partition 2 keeps two pods on the old proxy");

    await patchSidecarSet(env(), name, { spec: { updateStrategy: { partition: 0 } } });
    await waitForStatus(env(), name, { matchedPods: 6, updatedPods: 6, updatedReadyPods: 6, readyPods: 6 });
    const after = await waitForAppPods(env(), ns, name, 6, (p) => initImage(p) === V2 && runsSpecProxy(p));

    assert.deepEqual(after.map(podName).sort(), [...appContainers.keys()].sort(), "the same pods: none was recreated");
    for (const pod of after) {
      assert.equal(initStatus(pod)?.restartCount, 1, `${podName(pod)}: the proxy restarted once, in place`);
      assert.equal(appStatus(pod)?.containerID, appContainers.get(podName(pod)), `${podName(pod)}: the app container kept running`);
      assert.equal(appStatus(pod)?.restartCount, 0);
    }
    assert.ok(worst >= 1 && worst <= 2, `pods with an upgraded proxy not back yet, at most: ${worst} (maxUnavailable 2)`);
  } finally {
    recorder.stop();
  }
});
