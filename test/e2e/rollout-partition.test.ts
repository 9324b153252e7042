// updateStrategy.partition through the real API server and controller: the
// rollout upgrades exactly (matched − partition) pods and then holds, and
// lowering the partition lets it continue.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useEnvironment, waitFor } from "../support/environment.js";
import { sidecarSetEvents } from "../support/sidecarsets.js";
import { recordPodEvents } from "../support/kube.js";
import {
  activePods,
  awaitTwoReconciles,
  deploySettled,
  podName,
  setSidecarImage,
  specImage,
  upgradeOrder,
  waitForAppPods,
  waitForStatus,
} from "../support/rollout.js";

const env = useEnvironment();

const V1 = "registry.local/agent:1";
const V2 = "registry.local/agent:2";

test("partition 40 of 50 pods: exactly 10 are upgraded and the rollout holds there; removing the partition upgrades the other 40", async () => {
  const ns = "partition-int";
  const name = "partition-int";
  // maxUnavailable above 10 so that only the partition can stop the rollout at 10.
  await deploySettled(env(), name, { replicas: 50, image: V1, updateStrategy: { maxUnavailable: 25 } });

  const recorder = await recordPodEvents(env().clients.kc, ns);
  try {
    await setSidecarImage(env(), name, V2, { maxUnavailable: 25, partition: 40 });
    await waitForStatus(env(), name, { matchedPods: 50, updatedPods: 10, updatedReadyPods: 10, readyPods: 50 });
    await awaitTwoReconciles(env(), name);

    const pods = await activePods(env(), ns, name);
    assert.equal(pods.length, 50);
    assert.equal(pods.filter((p) => specImage(p) === V2).length, 10, "pods on the new image after two more reconciles");
    assert.equal(upgradeOrder(recorder, V2).length, 10, "pods the watch ever saw asked to run the new image");
    await waitForStatus(env(), name, { matchedPods: 50, updatedPods: 10, updatedReadyPods: 10 });
    const held = await waitFor("a PartitionReached event", async () => {
      const events = await sidecarSetEvents(env(), name, "PartitionReached");
      return events.length > 0 ? events : undefined;
    });
    assert.deepEqual(
      held.map((e) => [e.type, e.message, e.count ?? 1]),
      [["Normal", "upgraded 10/50, partition keeps 40 on the previous version", 1]],
      "announced once, however many reconciles ran while held",
    );

    await setSidecarImage(env(), name, V2, { maxUnavailable: 25, partition: 0 });
    await waitForStatus(env(), name, { matchedPods: 50, updatedPods: 50, readyPods: 50, updatedReadyPods: 50 });
    const upgraded = await waitForAppPods(env(), ns, name, 50, (p) => specImage(p) === V2);
    assert.deepEqual(
      upgradeOrder(recorder, V2).sort(),
      upgraded.map(podName).sort(),
      "every pod was upgraded in place (the pods that exist now are the ones the watch saw upgraded)",
    );
    const completed = await waitFor("a RolloutCompleted event", async () => {
      const events = await sidecarSetEvents(env(), name, "RolloutCompleted");
      return events.some((e) => e.message.startsWith("rollout complete: all 50 matched pod(s) run revision ")) ? events : undefined;
    });
    assert.equal(completed[0]!.type, "Normal");
  } finally {
    recorder.stop();
  }
});

test('partition "75%" of 10 pods keeps ceil(7.5) = 8 pods on the old image: exactly 2 are upgraded', async () => {
  const ns = "partition-pct";
  const name = "partition-pct";
  await deploySettled(env(), name, { replicas: 10, image: V1, updateStrategy: { maxUnavailable: 10 } });

  const recorder = await recordPodEvents(env().clients.kc, ns);
  try {
    await setSidecarImage(env(), name, V2, { maxUnavailable: 10, partition: "75%" });
    await waitForStatus(env(), name, { matchedPods: 10, updatedPods: 2, updatedReadyPods: 2, readyPods: 10 });
    await awaitTwoReconciles(env(), name);
    const pods = await activePods(env(), ns, name);
    assert.equal(pods.filter((p) => specImage(p) === V2).length, 2, "pods on the new image after two more reconciles");
    assert.equal(upgradeOrder(recorder, V2).length, 2, "pods the watch ever saw asked to run the new image");
  } finally {
    recorder.stop();
  }
});
