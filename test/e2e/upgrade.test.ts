// In-place sidecar upgrades through the real API server and controller.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../src/api/kube-types.js";
import { applyYaml, createNamespace, useEnvironment, waitFor } from "../support/environment.js";
import { isPodReady, listPods } from "../support/kube.js";
import { REASON_ALL_UPGRADABLE } from "../../src/api/keys.js";
import { deploymentManifest, setSidecarImage, sidecarSetManifest, upgradableCondition } from "../support/rollout.js";
import { getSidecarSet, waitForObserved, type SidecarSetStatus } from "../support/sidecarsets.js";

const env = useEnvironment();

async function readyPods(ns: string, app: string, count: number): Promise<Pod[]> {
  return waitFor(
    `${count} ready ${app} pods`,
    async () => {
      const pods = await listPods(env().clients.kc, ns, `app=${app}`);
      return pods.length === count && pods.every(isPodReady) ? pods : undefined;
    },
    { timeoutMs: 60_000 },
  );
}

async function sidecarSetStatus(name: string): Promise<SidecarSetStatus> {
  return (await getSidecarSet(env(), name)).status ?? {};
}

test("an image change upgrades the sidecar in place: same pod UID, app container never restarted", async () => {
  await createNamespace(env().clients, "upgrade");
  await applyYaml(env().clients, sidecarSetManifest("inplace", { namespace: "upgrade", image: "registry.local/agent:1" }));
  await waitForObserved(env(), "inplace");
  await applyYaml(env().clients, deploymentManifest("inplace", "upgrade", 3, "inplace"));
  const before = await readyPods("upgrade", "inplace", 3);
  await waitFor("status matched 3", async () => (await sidecarSetStatus("inplace")).matchedPods === 3);

  await setSidecarImage(env(), "inplace", "registry.local/agent:2");
  const after = await waitFor(
    "every pod on agent:2 and ready",
    async () => {
      const pods = await listPods(env().clients.kc, "upgrade", "app=inplace");
      const done = pods.every(
        (p) =>
          isPodReady(p) &&
          p.status?.containerStatuses?.find((c) => c.name === "agent")?.image === "registry.local/agent:2",
      );
      return pods.length === 3 && done ? pods : undefined;
    },
    { timeoutMs: 90_000 },
  );
  assert.deepEqual(
    after.map((p) => p.metadata!.uid).sort(),
    before.map((p) => p.metadata!.uid).sort(),
    "pods were upgraded in place, not recreated",
  );
  for (const pod of after) {
    const app = pod.status!.containerStatuses!.find((c) => c.name === "app")!;
    const agent = pod.status!.containerStatuses!.find((c) => c.name === "agent")!;
    assert.equal(app.restartCount, 0, "the app container was not restarted");
    assert.equal(agent.restartCount, 1, "the sidecar restarted once, on its new image");
  }
  await waitFor("status updated 3 ready 3", async () => {
    const s = await sidecarSetStatus("inplace");
    return s.matchedPods === 3 && s.updatedPods === 3 && s.readyPods === 3 && s.updatedReadyPods === 3;
  });
  // Each upgraded pod is marked upgradable for this SidecarSet (docs/behaviour.md §6.9 step 6).
  const marked = await waitFor("every upgraded pod marked SidecarSetUpgradable=True", async () => {
    const pods = await listPods(env().clients.kc, "upgrade", "app=inplace");
    return pods.every((p) => upgradableCondition(p)?.status === "True") ? pods : undefined;
  });
  for (const pod of marked) {
    const condition = upgradableCondition(pod)!;
    assert.equal(condition.reason, REASON_ALL_UPGRADABLE);
    assert.deepEqual(JSON.parse(condition.message ?? ""), { inplace: true });
  }
});
