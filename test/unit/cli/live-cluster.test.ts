// What the live commands ask the API server for, and how its answers become
// the core's inputs: against a stub API server that records the requests.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { RawKubeClient } from "../../../src/kube/client.js";
import { InputError } from "../../../src/cli/documents.js";
import { listNamespaceLabels, listPodsOf, listRevisions, readPod, readSidecarSet } from "../../../src/cli/live-cluster.js";
import { status, StubApiServer } from "../kube/stub-apiserver.js";

const stub = new StubApiServer();
before(() => stub.start());
after(() => stub.stop());

function client(): RawKubeClient {
  stub.requests.length = 0;
  return new RawKubeClient(stub.kubeConfig());
}

test("a SidecarSet is read at the storage version and seen as the manager sees it: namespace by name, hash annotations computed", async () => {
  stub.onRequest(() => ({
    body: {
      apiVersion: "apps.kruise.io/v1beta1",
      kind: "SidecarSet",
      metadata: { name: "log-agent" },
      spec: {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "shop" } },
        selector: { matchLabels: { app: "web" } },
        containers: [{ name: "agent", image: "agent:1" }],
      },
    },
  }));
  const c = client();
  const set = await readSidecarSet(c, "log-agent");
  c.close();
  assert.equal(stub.requests[0]!.path, "/apis/apps.kruise.io/v1beta1/sidecarsets/log-agent");
  assert.equal(set.spec.namespace, "shop");
  assert.match(set.metadata.annotations?.["kruise.io/sidecarset-hash"] ?? "", /^[a-z0-9]{64}$/);
});

const missing: { name: string; read: (c: RawKubeClient) => Promise<unknown>; line: string }[] = [
  { name: "a missing pod", read: (c) => readPod(c, "shop", "web-9"), line: "pod shop/web-9 not found" },
  { name: "a missing SidecarSet", read: (c) => readSidecarSet(c, "nothing"), line: "SidecarSet nothing not found" },
];
for (const m of missing) {
  test(`${m.name} is an input error naming it`, async () => {
    stub.onRequest(() => status(404, "NotFound", "not found"));
    const c = client();
    await assert.rejects(m.read(c), (e: unknown) => e instanceof InputError && e.message === m.line);
    c.close();
  });
}

test("a SidecarSet's pods are listed in its namespace with its selector as the label query", async () => {
  stub.onRequest(() => ({ body: { items: [] } }));
  const c = client();
  await listPodsOf(c, { metadata: { name: "s" }, spec: { namespace: "shop", selector: { matchLabels: { app: "web" } }, containers: [] } });
  await listPodsOf(c, { metadata: { name: "s" }, spec: { selector: { matchExpressions: [{ key: "tier", operator: "In", values: ["a", "b"] }] }, containers: [] } });
  c.close();
  assert.deepEqual(
    stub.requests.map((r) => [r.path, r.query.get("labelSelector")]),
    [
      ["/api/v1/namespaces/shop/pods", "app=web"],
      ["/api/v1/pods", "tier in (a,b)"],
    ],
  );
});

test("revisions are those of the manager namespace, of one SidecarSet when named", async () => {
  stub.onRequest(() => ({ body: { items: [] } }));
  const c = client();
  await listRevisions(c, "sidecarset-system", "log-agent");
  c.close();
  assert.equal(stub.requests[0]!.path, "/apis/apps/v1/namespaces/sidecarset-system/controllerrevisions");
  assert.equal(stub.requests[0]!.query.get("labelSelector"), "kruise.io/sidecarset-name=log-agent");
});

test("a user who may not list Namespaces gets the labels of the pod's own Namespace", async () => {
  stub.onRequest((r) =>
    r.path === "/api/v1/namespaces" ? status(403, "Forbidden", "cannot list namespaces") : { body: { metadata: { name: "shop", labels: { mesh: "on" } } } },
  );
  const c = client();
  const labels = await listNamespaceLabels(c, ["shop"]);
  c.close();
  assert.deepEqual(labels, { shop: { mesh: "on" } });
  assert.deepEqual(stub.requests.map((r) => r.path), ["/api/v1/namespaces", "/api/v1/namespaces/shop"]);
});
