// A controller term owns the controller's caches: nothing is listed or watched
// before it starts (a standby holds no pod), and stopping it ends every watch.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { RawKubeClient } from "../../../src/kube/raw-client.js";
import { EventRecorder } from "../../../src/kube/events.js";
import { ControllerTerm } from "../../../src/manager/controller-term.js";
import { silentLogger } from "../../../src/observability/logger.js";
import { createMetrics } from "../../../src/observability/metrics.js";
import { SIDECARSET_COLLECTION_PATH } from "../../../src/api/storage-version.js";
import { StubApiServer } from "../kube/stub-apiserver.js";

const pods = Array.from({ length: 3 }, (_, i) => ({ metadata: { name: `p${i}`, namespace: "default", resourceVersion: "1" } }));
const LISTS: Record<string, unknown[]> = {
  [SIDECARSET_COLLECTION_PATH]: [],
  "/api/v1/pods": pods,
  "/api/v1/namespaces": [{ metadata: { name: "default", resourceVersion: "1" } }],
  "/apis/apps/v1/namespaces/sidecarset-system/controllerrevisions": [],
};

const api = new StubApiServer();
before(() => api.start());
after(() => api.stop());

test("a term lists and watches nothing until it starts, caches the pods once started, and ends every watch when stopped", async () => {
  api.onRequest((req) => ({ body: { kind: "List", metadata: { resourceVersion: "1" }, items: LISTS[req.path] ?? [] } }));
  const logger = silentLogger();
  const term = new ControllerTerm({
    client: new RawKubeClient(api.kubeConfig()),
    recorder: new EventRecorder({ sink: { create: async () => undefined, patch: async () => undefined } as never, component: "test", host: "test", clusterScopedNamespace: "default", logger }),
    logger,
    namespace: "sidecarset-system",
    workers: 1,
    expectationTimeoutMs: 60_000,
    metrics: createMetrics(),
    podWebhookScope: { enabled: true, graceMs: 30_000 },
  });
  assert.equal(api.requests.length, 0, "a term that has not started asks the API server nothing");

  await term.start();
  assert.equal(term.syncing(), false);
  assert.deepEqual(term.caches.sizes(), { sidecarsets: 0, pods: 3, namespaces: 1, controllerrevisions: 0 });
  assert.ok(api.requests.some((r) => r.path === "/api/v1/pods"));

  const watching = async () => {
    const deadline = Date.now() + 10_000;
    while (api.watches.length < Object.keys(LISTS).length) {
      if (Date.now() > deadline) throw new Error(`only ${api.watches.length} watches opened`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await watching();
  await term.stop();
  const deadline = Date.now() + 10_000;
  while (api.watches.some((w) => !w.closed)) {
    if (Date.now() > deadline) throw new Error("a watch stayed open after the term stopped");
    await new Promise((r) => setTimeout(r, 10));
  }
});
