import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { SIDECARSET_COLLECTION_PATH } from "../../../src/api/storage-version.js";
import { RawKubeClient } from "../../../src/kube/raw-client.js";
import { AdmissionCaches } from "../../../src/webhook/caches.js";
import { StubApiServer } from "../kube/stub-apiserver.js";
import { capturingLogger } from "./handlers/fixtures.js";

const NS = "sidecarset-system";
const set = (name: string, rv: string) => ({ apiVersion: "apps.kruise.io/v1beta1", kind: "SidecarSet", metadata: { name, resourceVersion: rv }, spec: { containers: [] } });

const api = new StubApiServer();
before(() => api.start());
after(() => api.stop());

test("SidecarSets come in injection order (by name), also after one is added later, and the list is built once per change", async () => {
  api.onRequest((req) => ({
    body: { kind: "List", metadata: { resourceVersion: "5" }, items: req.path === SIDECARSET_COLLECTION_PATH ? [set("mesh", "1"), set("logs", "2")] : [] },
  }));
  const client = new RawKubeClient(api.kubeConfig());
  const caches = new AdmissionCaches({ client, namespace: NS, logger: capturingLogger().logger });
  caches.start();
  try {
    await caches.waitForSync(new AbortController().signal);
    const names = () => caches.sidecarSets().map((s) => s.metadata.name);
    assert.deepEqual(names(), ["logs", "mesh"]);
    assert.equal(caches.sidecarSets(), caches.sidecarSets(), "the same list while nothing changed");

    let watch = api.watches.find((w) => w.request.path === SIDECARSET_COLLECTION_PATH);
    for (let i = 0; !watch && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 10));
      watch = api.watches.find((w) => w.request.path === SIDECARSET_COLLECTION_PATH);
    }
    assert.ok(watch, "the SidecarSet watch is open");
    const before = caches.sidecarSets();
    watch.send("ADDED", set("agent", "6"));
    for (let i = 0; names().length < 3 && i < 100; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(names(), ["agent", "logs", "mesh"]);
    assert.notEqual(caches.sidecarSets(), before, "a new list after the change");
    assert.deepEqual(before.map((s) => s.metadata.name), ["logs", "mesh"], "the list handed out before is left as it was");
  } finally {
    await caches.stop();
    client.close();
  }
});
