import assert from "node:assert/strict";
import { test } from "node:test";
import { KubeApiError } from "../../../src/kube/errors.js";
import {
  ApiDiscovery,
  applyYaml,
  collectionPathFor,
  describeApplied,
  groupVersionPath,
  parseManifests,
  type ApiResource,
  type ApplyClient,
  type ManifestObject,
} from "../../../src/local/apply.js";

/** An API server in memory: discovery documents plus objects by path. */
class StubClient implements ApplyClient {
  readonly calls: string[] = [];
  readonly objects = new Map<string, ManifestObject>();
  private version = 0;

  constructor(readonly discovery: Map<string, ApiResource[]>, readonly failCreate?: KubeApiError) {}

  get<T>(path: string): Promise<T> {
    this.calls.push(`GET ${path}`);
    const resources = this.discovery.get(path);
    if (resources) return Promise.resolve({ resources } as T);
    const obj = this.objects.get(path);
    if (!obj) return Promise.reject(new KubeApiError(404, "NotFound", `${path} not found`));
    return Promise.resolve(obj as T);
  }

  create<T>(collection: string, body: unknown): Promise<T> {
    this.calls.push(`POST ${collection}`);
    if (this.failCreate) return Promise.reject(this.failCreate);
    const obj = body as ManifestObject;
    const path = `${collection}/${obj.metadata?.name}`;
    if (this.objects.has(path)) return Promise.reject(new KubeApiError(409, "AlreadyExists", `${path} already exists`));
    this.objects.set(path, { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.version) } });
    return Promise.resolve(obj as T);
  }

  replace<T>(path: string, body: unknown): Promise<T> {
    this.calls.push(`PUT ${path} rv=${(body as ManifestObject).metadata?.resourceVersion}`);
    this.objects.set(path, body as ManifestObject);
    return Promise.resolve(body as T);
  }
}

const core: ApiResource[] = [
  { name: "namespaces", kind: "Namespace", namespaced: false },
  { name: "pods", kind: "Pod", namespaced: true },
  { name: "pods/status", kind: "Pod", namespaced: true },
  { name: "configmaps", kind: "ConfigMap", namespaced: true },
];
const apps: ApiResource[] = [{ name: "deployments", kind: "Deployment", namespaced: true }];
const kruise: ApiResource[] = [{ name: "sidecarsets", kind: "SidecarSet", namespaced: false }];

function stub(failCreate?: KubeApiError): StubClient {
  return new StubClient(new Map([["/api/v1", core], ["/apis/apps/v1", apps], ["/apis/apps.kruise.io/v1alpha1", kruise]]), failCreate);
}

const groupVersionCases: { name: string; apiVersion: string; path?: string }[] = [
  { name: "the core group lives under /api", apiVersion: "v1", path: "/api/v1" },
  { name: "a named group lives under /apis", apiVersion: "apps/v1", path: "/apis/apps/v1" },
  { name: "a dotted CRD group lives under /apis", apiVersion: "apps.kruise.io/v1alpha1", path: "/apis/apps.kruise.io/v1alpha1" },
  { name: "an empty apiVersion is rejected", apiVersion: "" },
  { name: "a group without a version is rejected", apiVersion: "apps/" },
  { name: "a path-like apiVersion is rejected", apiVersion: "apps/v1/../x" },
];
for (const c of groupVersionCases) {
  test(`groupVersionPath: ${c.name}`, () => {
    if (c.path) assert.equal(groupVersionPath(c.apiVersion), c.path);
    else assert.throws(() => groupVersionPath(c.apiVersion), /is not of the form v1 or GROUP\/VERSION/);
  });
}

const collectionCases: { name: string; resource: ApiResource; namespace?: string; path: string }[] = [
  { name: "a namespaced kind goes into its namespace", resource: apps[0]!, namespace: "demo", path: "/apis/apps/v1/namespaces/demo/deployments" },
  { name: "a namespaced kind without a namespace goes into default", resource: apps[0]!, path: "/apis/apps/v1/namespaces/default/deployments" },
  { name: "a cluster-scoped kind ignores the namespace", resource: kruise[0]!, namespace: "demo", path: "/apis/apps/v1/sidecarsets" },
];
for (const c of collectionCases) {
  test(`collectionPathFor: ${c.name}`, () => {
    assert.equal(collectionPathFor("/apis/apps/v1", c.resource, c.namespace), c.path);
  });
}

test("discovery asks each group version once and skips subresources", async () => {
  const client = stub();
  const discovery = new ApiDiscovery(client);
  assert.equal(await discovery.collectionPath("v1", "Pod", "ns"), "/api/v1/namespaces/ns/pods");
  assert.equal(await discovery.collectionPath("v1", "ConfigMap", "ns"), "/api/v1/namespaces/ns/configmaps");
  assert.equal(await discovery.collectionPath("v1", "Namespace"), "/api/v1/namespaces");
  assert.deepEqual(client.calls, ["GET /api/v1"]);
});

test("discovery looks a missing kind up once more, so a CRD created a moment ago is found", async () => {
  const client = stub();
  const discovery = new ApiDiscovery(client);
  await discovery.collectionPath("apps.kruise.io/v1alpha1", "SidecarSet");
  client.discovery.set("/apis/apps.kruise.io/v1alpha1", [...kruise, { name: "widgets", kind: "Widget", namespaced: true }]);
  assert.equal(await discovery.collectionPath("apps.kruise.io/v1alpha1", "Widget", "x"), "/apis/apps.kruise.io/v1alpha1/namespaces/x/widgets");
  assert.equal(client.calls.length, 2);
});

test("discovery names the kind and group version it cannot find", async () => {
  const discovery = new ApiDiscovery(stub());
  await assert.rejects(discovery.collectionPath("apps/v1", "Gadget"), /does not serve kind Gadget in apps\/v1/);
  await assert.rejects(discovery.collectionPath("example.com/v1", "Gadget"), /does not serve example\.com\/v1: .*not found/);
});

test("apply creates each document in order, in the namespace it names, else the option's, else default", async () => {
  const client = stub();
  const applied = await applyYaml(client, [
    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: demo\nspec: {}",
    "",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings",
    "apiVersion: apps.kruise.io/v1alpha1\nkind: SidecarSet\nmetadata:\n  name: log-agent\nspec: {}",
  ].join("\n---\n"), { namespace: "team" });
  assert.deepEqual(applied.map(describeApplied), [
    "namespace/demo created",
    "deployment/web (namespace demo) created",
    "configmap/settings (namespace team) created",
    "sidecarset/log-agent created",
  ]);
  assert.deepEqual(client.calls.filter((c) => !c.startsWith("GET")), [
    "POST /api/v1/namespaces",
    "POST /apis/apps/v1/namespaces/demo/deployments",
    "POST /api/v1/namespaces/team/configmaps",
    "POST /apis/apps.kruise.io/v1alpha1/sidecarsets",
  ]);
  assert.equal(client.objects.get("/api/v1/namespaces/team/configmaps/settings")?.metadata?.namespace, "team", "the namespace is written into the object");
  assert.equal(client.objects.get("/apis/apps.kruise.io/v1alpha1/sidecarsets/log-agent")?.metadata?.namespace, undefined, "a cluster-scoped object gets no namespace");
});

test("apply replaces an object that exists, sending the current resourceVersion", async () => {
  const client = stub();
  const doc = (image: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: demo\nspec:\n  image: ${image}`;
  await applyYaml(client, doc("a"));
  const applied = await applyYaml(client, doc("b"));
  assert.deepEqual(applied, [{ kind: "Deployment", name: "web", namespace: "demo", action: "replaced" }]);
  assert.ok(client.calls.includes("PUT /apis/apps/v1/namespaces/demo/deployments/web rv=1"));
  assert.deepEqual(client.objects.get("/apis/apps/v1/namespaces/demo/deployments/web")?.spec, { image: "b" });
});

test("apply takes the items of a List", async () => {
  const client = stub();
  const applied = await applyYaml(client, JSON.stringify({
    apiVersion: "v1", kind: "List",
    items: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "a" } }, { apiVersion: "v1", kind: "Namespace", metadata: { name: "b" } }],
  }));
  assert.deepEqual(applied.map((a) => a.name), ["a", "b"]);
});

test("apply reports an API error with the object it was applying", async () => {
  const client = stub(new KubeApiError(422, "Invalid", "spec.containers: Required value"));
  await assert.rejects(
    applyYaml(client, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: demo"),
    /applying Deployment demo\/web: spec\.containers: Required value/,
  );
});

test("apply refuses an object without apiVersion, kind or name before calling the server", async () => {
  const client = stub();
  await assert.rejects(applyYaml(client, "apiVersion: v1\nkind: ConfigMap\nmetadata: {}"), /needs apiVersion, kind and metadata\.name .*name ""/);
  assert.deepEqual(client.calls, []);
});

test("parseManifests names the document with a YAML error and one that is not an object", () => {
  assert.throws(() => parseManifests("a: 1\n---\nb: [\n", "x.yaml"), /^Error: x\.yaml: document 2: /);
  assert.throws(() => parseManifests("- a\n- b\n", "y.yaml"), /y\.yaml: document 1 is not an object \(got a list\)/);
});
