import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import {
  loadKubeConfig,
  PatchType,
  RawKubeClient,
  resourcePath,
  type WatchEvent,
} from "../../../src/kube/client.js";
import { isGone, isNotFound, KubeApiError } from "../../../src/kube/errors.js";
import { status, StubApiServer } from "./stub-apiserver.js";

const stub = new StubApiServer();
before(() => stub.start());
after(() => stub.stop());

const podJson = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "ns", creationTimestamp: "2024-05-01T10:00:00Z", resourceVersion: "7" },
  spec: { containers: [{ name: "c", image: "i", someFutureField: { x: 1 } }] },
};

test("get returns the object as sent: unknown fields kept, timestamps as strings", async () => {
  stub.onRequest(() => ({ body: podJson }));
  const client = new RawKubeClient(stub.kubeConfig());
  const pod = await client.get<typeof podJson>("/api/v1/namespaces/ns/pods/p");
  assert.deepEqual(pod, podJson);
  assert.equal(typeof pod.metadata.creationTimestamp, "string");
  client.close();
});

test("requests carry the kubeconfig's bearer token and accept JSON", async () => {
  stub.onRequest(() => ({ body: {} }));
  const client = new RawKubeClient(stub.kubeConfig("secret-token"));
  await client.get("/api/v1/namespaces");
  const last = stub.requests.at(-1)!;
  assert.equal(last.headers.authorization, "Bearer secret-token");
  assert.equal(last.headers.accept, "application/json");
  client.close();
});

test("list returns items and list metadata, and passes the query", async () => {
  stub.onRequest(() => ({ body: { kind: "PodList", metadata: { resourceVersion: "42", continue: "tok" }, items: [podJson] } }));
  const client = new RawKubeClient(stub.kubeConfig());
  const list = await client.list("/api/v1/pods", { query: { labelSelector: "app=web", limit: 10, skipped: undefined } });
  assert.equal(list.items.length, 1);
  assert.deepEqual(list.metadata, { resourceVersion: "42", continue: "tok" });
  const q = stub.requests.at(-1)!.query;
  assert.equal(q.get("labelSelector"), "app=web");
  assert.equal(q.get("limit"), "10");
  assert.equal(q.has("skipped"), false);
  client.close();
});

const patchCases = [
  { name: "JSON patch", type: PatchType.json, expected: "application/json-patch+json", body: [{ op: "replace", path: "/spec/x", value: 1 }] },
  { name: "merge patch", type: PatchType.merge, expected: "application/merge-patch+json", body: { metadata: { labels: { a: "b" } } } },
  { name: "strategic merge patch", type: PatchType.strategicMerge, expected: "application/strategic-merge-patch+json", body: { spec: {} } },
];
for (const c of patchCases) {
  test(`patch sends a ${c.name} with its content type and the body as JSON`, async () => {
    stub.onRequest(() => ({ body: podJson }));
    const client = new RawKubeClient(stub.kubeConfig());
    await client.patch("/api/v1/namespaces/ns/pods/p", c.body, c.type);
    const last = stub.requests.at(-1)!;
    assert.equal(last.method, "PATCH");
    assert.equal(last.headers["content-type"], c.expected);
    assert.deepEqual(JSON.parse(last.body), c.body);
    client.close();
  });
}

test("create and replace send JSON with POST and PUT", async () => {
  stub.onRequest((r) => ({ status: r.method === "POST" ? 201 : 200, body: JSON.parse(r.body) }));
  const client = new RawKubeClient(stub.kubeConfig());
  const created = await client.create("/api/v1/namespaces/ns/configmaps", { metadata: { name: "x" } });
  assert.deepEqual(created, { metadata: { name: "x" } });
  assert.equal(stub.requests.at(-1)!.method, "POST");
  assert.equal(stub.requests.at(-1)!.headers["content-type"], "application/json");
  await client.replace("/api/v1/namespaces/ns/configmaps/x", { metadata: { name: "x", resourceVersion: "3" } });
  assert.equal(stub.requests.at(-1)!.method, "PUT");
  client.close();
});

test("a non-2xx answer throws a KubeApiError with the server's reason and message", async () => {
  stub.onRequest(() => status(404, "NotFound", 'pods "p" not found'));
  const client = new RawKubeClient(stub.kubeConfig());
  await assert.rejects(client.get("/api/v1/namespaces/ns/pods/p"), (e: unknown) => {
    assert.ok(isNotFound(e));
    assert.match((e as Error).message, /GET \/api\/v1\/namespaces\/ns\/pods\/p: pods "p" not found/);
    return true;
  });
  client.close();
});

test("a 2xx answer that is not JSON is an error, not a silent undefined", async () => {
  stub.onRequest(() => ({ raw: "<html>proxy</html>", contentType: "text/html" }));
  const client = new RawKubeClient(stub.kubeConfig());
  await assert.rejects(client.get("/x"), /response is not JSON/);
  client.close();
});

test("a request with no answer within its deadline fails with a 504 Timeout error", async () => {
  stub.onRequest(() => new Promise(() => {}));
  const client = new RawKubeClient(stub.kubeConfig());
  await assert.rejects(client.get("/slow", { timeoutMs: 50 }), (e: unknown) => {
    assert.ok(e instanceof KubeApiError);
    assert.equal(e.code, 504);
    return true;
  });
  client.close();
});

test("watch delivers events in order and resolves when the server ends the stream", async () => {
  stub.onWatch(() => undefined);
  const client = new RawKubeClient(stub.kubeConfig());
  const events: WatchEvent[] = [];
  const done = client.watch("/api/v1/pods", { resourceVersion: "5" }, (ev) => events.push(ev));
  const w = await stub.nextWatch();
  assert.equal(w.request.query.get("watch"), "true");
  assert.equal(w.request.query.get("resourceVersion"), "5");
  w.send("ADDED", { metadata: { name: "a" } });
  w.send("MODIFIED", { metadata: { name: "a" } });
  w.send("BOOKMARK", { metadata: { resourceVersion: "9" } });
  w.end();
  await done;
  assert.deepEqual(
    events.map((e) => e.type),
    ["ADDED", "MODIFIED", "BOOKMARK"],
  );
  client.close();
});

test("a watch ERROR event rejects with its Status (410 Gone for an expired resourceVersion)", async () => {
  stub.onWatch(() => undefined);
  const client = new RawKubeClient(stub.kubeConfig());
  const done = client.watch("/api/v1/pods", {}, () => {});
  const w = await stub.nextWatch();
  w.send("ERROR", { kind: "Status", code: 410, reason: "Expired", message: "too old resource version: 1 (500)" });
  await assert.rejects(done, (e: unknown) => isGone(e));
  client.close();
});

test("a watch answered with an error status rejects with that status", async () => {
  stub.onWatch(() => status(403, "Forbidden", "pods is forbidden"));
  const client = new RawKubeClient(stub.kubeConfig());
  await assert.rejects(client.watch("/api/v1/pods", {}, () => {}), (e: unknown) => e instanceof KubeApiError && e.code === 403);
  client.close();
});

test("aborting a watch resolves it", async () => {
  stub.onWatch(() => undefined);
  const client = new RawKubeClient(stub.kubeConfig());
  const abort = new AbortController();
  const done = client.watch("/api/v1/pods", {}, () => {}, { signal: abort.signal });
  await stub.nextWatch();
  abort.abort();
  await done;
  client.close();
});

const pathCases = [
  { ref: { group: "", version: "v1", resource: "pods", namespace: "ns", name: "p" }, path: "/api/v1/namespaces/ns/pods/p" },
  { ref: { group: "", version: "v1", resource: "namespaces" }, path: "/api/v1/namespaces" },
  {
    ref: { group: "apps.kruise.io", version: "v1alpha1", resource: "sidecarsets", name: "s", subresource: "status" },
    path: "/apis/apps.kruise.io/v1alpha1/sidecarsets/s/status",
  },
  { ref: { group: "apps", version: "v1", resource: "controllerrevisions", namespace: "kruise-system" }, path: "/apis/apps/v1/namespaces/kruise-system/controllerrevisions" },
];
for (const c of pathCases) {
  test(`resourcePath builds ${c.path}`, () => assert.equal(resourcePath(c.ref), c.path));
}

test("resourcePath refuses a subresource without a name", () => {
  assert.throws(() => resourcePath({ group: "", version: "v1", resource: "pods", subresource: "status" }), /needs a name/);
});

function kubeconfigFile(dir: string, name: string, server: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: { server: "${server}" }
users:
- name: u
  user: { token: t }
contexts:
- name: ctx
  context: { cluster: c, user: u }
- name: other
  context: { cluster: c, user: u }
current-context: ctx
`,
  );
  return file;
}

test("kubeconfig precedence: --kubeconfig, then KUBECONFIG, then in-cluster, then ~/.kube/config", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kc-"));
  try {
    const flag = kubeconfigFile(dir, "flag", "https://flag:6443");
    const env = kubeconfigFile(dir, "env", "https://env:6443");
    fs.mkdirSync(path.join(dir, "home", ".kube"), { recursive: true });
    kubeconfigFile(path.join(dir, "home", ".kube"), "config", "https://home:6443");
    const saRoot = path.join(dir, "sa");
    fs.mkdirSync(path.join(saRoot, "var/run/secrets/kubernetes.io/serviceaccount"), { recursive: true });
    fs.writeFileSync(path.join(saRoot, "var/run/secrets/kubernetes.io/serviceaccount/token"), "tok");
    fs.writeFileSync(path.join(saRoot, "var/run/secrets/kubernetes.io/serviceaccount/ca.crt"), "");
    const inCluster = { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" };
    const home = path.join(dir, "home");

    const a = loadKubeConfig({ kubeconfigPath: flag, env: { KUBECONFIG: env, ...inCluster }, homeDir: home, serviceAccountRoot: saRoot });
    assert.deepEqual([a.source, a.server], ["flag", "https://flag:6443"]);
    const b = loadKubeConfig({ env: { KUBECONFIG: env, ...inCluster }, homeDir: home, serviceAccountRoot: saRoot });
    assert.deepEqual([b.source, b.server], ["env", "https://env:6443"]);
    const c = loadKubeConfig({ env: { ...inCluster }, homeDir: home, serviceAccountRoot: saRoot });
    assert.deepEqual([c.source, c.server], ["in-cluster", "https://10.0.0.1:443"]);
    const d = loadKubeConfig({ env: {}, homeDir: home, serviceAccountRoot: saRoot });
    assert.deepEqual([d.source, d.server], ["home", "https://home:6443"]);
    assert.throws(() => loadKubeConfig({ env: {}, homeDir: path.join(dir, "nowhere") }), /no cluster configured: pass --kubeconfig/);
    assert.throws(() => loadKubeConfig({ kubeconfigPath: path.join(dir, "missing") }), /--kubeconfig .*missing: no such file/);
    assert.equal(process.env.KUBERNETES_SERVICE_HOST === "10.0.0.1", false, "the process environment is left alone");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("--context selects a context and an unknown one names the known ones", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kc-"));
  try {
    const file = kubeconfigFile(dir, "cfg", "https://x:6443");
    assert.equal(loadKubeConfig({ kubeconfigPath: file, context: "other" }).kubeConfig.getCurrentContext(), "other");
    assert.throws(() => loadKubeConfig({ kubeconfigPath: file, context: "nope" }), /--context nope: not in the kubeconfig \(contexts: ctx, other\)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

