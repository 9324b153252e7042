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

test("the version moves with every change of the SidecarSets, Namespaces and ControllerRevisions, never back", async () => {
  const ns = (name: string, rv: string, labels: Record<string, string> = {}) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, resourceVersion: rv, labels } });
  const revision = (name: string, rv: string) => ({ apiVersion: "apps/v1", kind: "ControllerRevision", metadata: { name, namespace: NS, resourceVersion: rv }, revision: 1 });
  api.onRequest(() => ({ body: { kind: "List", metadata: { resourceVersion: "5" }, items: [] } }));
  const client = new RawKubeClient(api.kubeConfig());
  const caches = new AdmissionCaches({ client, namespace: NS, logger: capturingLogger().logger });
  caches.start();
  try {
    await caches.waitForSync(new AbortController().signal);
    const watchOf = async (path: string) => {
      for (let i = 0; i < 200; i++) {
        const w = api.watches.filter((x) => x.request.path === path).at(-1);
        if (w) return w;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no watch of ${path}`);
    };
    const seen = [caches.version()];
    const changed = async (what: string, send: () => void, visible: () => boolean) => {
      send();
      for (let i = 0; !visible() && i < 200; i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(visible(), `${what} reached the cache`);
      const v = caches.version();
      assert.ok(v > seen.at(-1)!, `${what}: the version moved forward (${seen.join(", ")} → ${v})`);
      seen.push(v);
    };
    const sets = await watchOf(SIDECARSET_COLLECTION_PATH);
    await changed("a SidecarSet added", () => sets.send("ADDED", set("agent", "6")), () => caches.sidecarSets().length === 1);
    const namespaces = await watchOf("/api/v1/namespaces");
    await changed("a Namespace added", () => namespaces.send("ADDED", ns("team-a", "7")), () => caches.namespaceLabels("team-a") !== undefined);
    await changed("its labels changed", () => namespaces.send("MODIFIED", ns("team-a", "8", { env: "prod" })), () => caches.namespaceLabels("team-a")?.env === "prod");
    const revisions = await watchOf(`/apis/apps/v1/namespaces/${NS}/controllerrevisions`);
    await changed("a ControllerRevision added", () => revisions.send("ADDED", revision("agent-1", "9")), () => caches.revisions().length === 1);
    await changed("a SidecarSet deleted", () => sets.send("DELETED", set("agent", "10")), () => caches.sidecarSets().length === 0);
  } finally {
    await caches.stop();
    client.close();
  }
});

test("a SidecarSet's status count write keeps the cached object and the version; a new latest revision moves them", async () => {
  const counted = (rv: string, matchedPods: number, latestRevision = "agent-1") => ({
    ...set("agent", rv),
    metadata: { name: "agent", resourceVersion: rv, generation: 1 },
    status: { observedGeneration: 1, matchedPods, updatedPods: 0, readyPods: 0, latestRevision },
  });
  api.onRequest((req) => ({ body: { kind: "List", metadata: { resourceVersion: "5" }, items: req.path === SIDECARSET_COLLECTION_PATH ? [counted("1", 0)] : [] } }));
  const client = new RawKubeClient(api.kubeConfig());
  const caches = new AdmissionCaches({ client, namespace: NS, logger: capturingLogger().logger });
  caches.start();
  try {
    await caches.waitForSync(new AbortController().signal);
    let heard = 0;
    caches.onSidecarSetsChanged(() => heard++);
    let watch = api.watches.filter((w) => w.request.path === SIDECARSET_COLLECTION_PATH).at(-1);
    for (let i = 0; !watch && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 10));
      watch = api.watches.filter((w) => w.request.path === SIDECARSET_COLLECTION_PATH).at(-1);
    }
    assert.ok(watch, "the SidecarSet watch is open");
    const [cached] = caches.sidecarSets();
    const version = caches.version();
    const heardBefore = heard; // a handler added late is given the cached objects first

    watch.send("MODIFIED", counted("2", 7));
    // A change admission reads, sent after it, tells when the first has been handled.
    watch.send("MODIFIED", counted("3", 7, "agent-2"));
    for (let i = 0; caches.sidecarSets()[0]!.status?.latestRevision !== "agent-2" && i < 200; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(caches.sidecarSets()[0]!.status?.latestRevision, "agent-2", "the new latest revision reached the cache");
    assert.equal(caches.version(), version + 1, "one change of the version: the latest revision's, none for the counts");
    assert.equal(heard - heardBefore, 1, "handlers heard the latest revision only");
    assert.notEqual(caches.sidecarSets()[0], cached);
  } finally {
    await caches.stop();
    client.close();
  }
});
