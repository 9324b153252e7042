// In-place sidecar upgrades through the real API server and controller.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Pod } from "../../src/api/kube-types.js";
import { applyYaml, createNamespace, startEnvironment, waitFor, type Environment } from "../support/environment.js";
import { isPodReady, listPods, rawRequest } from "../support/kube.js";

let env: Environment;

before(async () => {
  env = await startEnvironment();
});

after(async () => {
  await env?.stop();
});

function sidecarSet(name: string, ns: string, image: string, strategy: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: "apps.kruise.io/v1alpha1",
    kind: "SidecarSet",
    metadata: { name },
    spec: {
      namespace: ns,
      selector: { matchLabels: { app: name } },
      updateStrategy: strategy,
      containers: [{ name: "agent", image, command: ["sleep", "infinity"] }],
    },
  });
}

function deployment(name: string, ns: string, replicas: number): string {
  return JSON.stringify({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "app", image: "registry.local/app:1" }] },
      },
    },
  });
}

async function readyPods(ns: string, app: string, count: number): Promise<Pod[]> {
  return waitFor(
    `${count} ready ${app} pods`,
    async () => {
      const pods = await listPods(env.clients.kc, ns, `app=${app}`);
      return pods.length === count && pods.every(isPodReady) ? pods : undefined;
    },
    { timeoutMs: 60_000 },
  );
}

async function sidecarSetStatus(name: string): Promise<Record<string, number>> {
  const s = await rawRequest<{ status?: Record<string, number> }>(env.clients.kc, "GET", `/apis/apps.kruise.io/v1alpha1/sidecarsets/${name}`);
  return s.status ?? {};
}

async function setImage(name: string, image: string, strategy?: Record<string, unknown>): Promise<void> {
  const current = await rawRequest<{ spec: { containers: { image: string }[] } }>(
    env.clients.kc,
    "GET",
    `/apis/apps.kruise.io/v1alpha1/sidecarsets/${name}`,
  );
  const containers = current.spec.containers.map((c) => ({ ...c, image }));
  await rawRequest(
    env.clients.kc,
    "PATCH",
    `/apis/apps.kruise.io/v1alpha1/sidecarsets/${name}`,
    { spec: { containers, ...(strategy ? { updateStrategy: strategy } : {}) } },
    "application/merge-patch+json",
  );
}

test("an image change upgrades the sidecar in place: same pod UID, app container never restarted", async () => {
  await createNamespace(env.clients, "upgrade");
  await applyYaml(env.clients, sidecarSet("inplace", "upgrade", "registry.local/agent:1"));
  await applyYaml(env.clients, deployment("inplace", "upgrade", 3));
  const before = await readyPods("upgrade", "inplace", 3);
  await waitFor("status matched 3", async () => (await sidecarSetStatus("inplace")).matchedPods === 3);

  await setImage("inplace", "registry.local/agent:2");
  const after = await waitFor(
    "every pod on agent:2 and ready",
    async () => {
      const pods = await listPods(env.clients.kc, "upgrade", "app=inplace");
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
});
