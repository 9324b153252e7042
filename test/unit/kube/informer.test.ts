import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";
import { RawKubeClient } from "../../../src/kube/client.js";
import { Informer, LAST_APPLIED, rawListWatch, type KubeObject } from "../../../src/kube/informer.js";
import { silentLogger } from "../../../src/observability/logger.js";
import { status, StubApiServer } from "./stub-apiserver.js";

interface Obj extends KubeObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string; managedFields?: unknown; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: unknown;
}

function pod(name: string, rv: string, extra: Partial<Obj> = {}, namespace = "ns"): Obj {
  return {
    metadata: { name, namespace, resourceVersion: rv, managedFields: [{ manager: "kubectl" }], annotations: { [LAST_APPLIED]: `{"kind":"Pod","metadata":{"name":"${name}"}}`, owner: "team-a" } },
    spec: { creationHint: "2024-01-01T00:00:00Z", unknownField: true },
    ...extra,
  };
}

let stub: StubApiServer;
let client: RawKubeClient;
let informers: Informer<Obj>[] = [];

beforeEach(async () => {
  stub = new StubApiServer();
  await stub.start();
  client = new RawKubeClient(stub.kubeConfig());
  stub.onWatch(() => undefined);
});

afterEach(async () => {
  for (const i of informers) await i.stop();
  informers = [];
  client.close();
  await stub.stop();
});

function newInformer(opts: Partial<ConstructorParameters<typeof Informer<Obj>>[0]> = {}) {
  const informer = new Informer<Obj>({
    name: "pods",
    source: rawListWatch<Obj>(client, "/api/v1/pods"),
    backoff: { initialMs: 5, maxMs: 20 },
    watchTimeoutSeconds: 300,
    logger: silentLogger(),
    ...opts,
  });
  informers.push(informer);
  return informer;
}

function recorder(informer: Informer<Obj>) {
  const log: string[] = [];
  informer.addEventHandler({
    add: (o) => log.push(`add ${o.metadata.name}@${o.metadata.resourceVersion}`),
    update: (a, b) => log.push(`update ${a.metadata.name}@${a.metadata.resourceVersion}->${b.metadata.resourceVersion}`),
    delete: (o) => log.push(`delete ${o.metadata.name}@${o.metadata.resourceVersion}`),
  });
  return log;
}

/** Polls until `cond` holds; fails with `what` after 5 s. */
async function eventually(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function listReply(items: Obj[], rv: string, cont?: string) {
  return { body: { kind: "PodList", metadata: { resourceVersion: rv, ...(cont ? { continue: cont } : {}) }, items } };
}

test("the first list fills the cache with raw objects without managedFields, then hasSynced", async () => {
  stub.onRequest(() => listReply([pod("a", "1"), pod("b", "2")], "10"));
  const informer = newInformer();
  const log = recorder(informer);
  assert.equal(informer.hasSynced(), false);
  informer.start();
  await informer.waitForSync();
  assert.equal(informer.hasSynced(), true);
  assert.deepEqual(log.sort(), ["add a@1", "add b@2"]);
  const a = informer.get("ns/a")!;
  assert.equal(a.metadata.managedFields, undefined, "managedFields stripped");
  assert.deepEqual(a.metadata.annotations, { owner: "team-a" }, "kubectl's last-applied record stripped, other annotations kept");
  assert.deepEqual(a.spec, { creationHint: "2024-01-01T00:00:00Z", unknownField: true }, "unknown fields and string timestamps kept");
  assert.equal(informer.getByName("ns", "b")?.metadata.resourceVersion, "2");
  assert.equal(informer.list().length, 2);
});

test("the watch starts at the list's resourceVersion with bookmarks and the selectors", async () => {
  stub.onRequest(() => listReply([], "10"));
  const informer = newInformer({ labelSelector: "app=web", fieldSelector: "spec.nodeName=n1" });
  informer.start();
  const w = await stub.nextWatch();
  const q = w.request.query;
  assert.equal(q.get("resourceVersion"), "10");
  assert.equal(q.get("allowWatchBookmarks"), "true");
  assert.equal(q.get("labelSelector"), "app=web");
  assert.equal(q.get("fieldSelector"), "spec.nodeName=n1");
  const list = stub.requests.find((r) => r.query.get("watch") !== "true")!;
  assert.equal(list.query.get("labelSelector"), "app=web");
});

test("watch events update the cache and call add, update (old and new) and delete", async () => {
  stub.onRequest(() => listReply([pod("a", "1")], "10"));
  const informer = newInformer();
  const log = recorder(informer);
  informer.start();
  const w = await stub.nextWatch();
  w.send("ADDED", pod("b", "11"));
  w.send("MODIFIED", pod("a", "12"));
  w.send("DELETED", pod("b", "13"));
  w.send("MODIFIED", pod("c", "14")); // never seen before: an add
  await eventually(() => log.length === 5, "five events");
  assert.deepEqual(log, ["add a@1", "add b@11", "update a@1->12", "delete b@13", "add c@14"]);
  assert.equal(informer.get("ns/b"), undefined);
  assert.equal(informer.get("ns/a")?.metadata.managedFields, undefined, "watch objects are stripped too");
  assert.deepEqual(informer.get("ns/a")?.metadata.annotations, { owner: "team-a" });
  assert.equal(informer.lastSyncResourceVersion, "14");
});

test("after a clean end of the stream the watch resumes from the last resourceVersion, bookmarks included, without relisting", async () => {
  let lists = 0;
  stub.onRequest(() => (lists++, listReply([], "10")));
  const informer = newInformer();
  informer.start();
  const w1 = await stub.nextWatch();
  w1.send("ADDED", pod("a", "11"));
  w1.send("BOOKMARK", { metadata: { resourceVersion: "20" } });
  await eventually(() => informer.lastSyncResourceVersion === "20", "bookmark applied");
  w1.end();
  const w2 = await stub.nextWatch();
  assert.equal(w2.request.query.get("resourceVersion"), "20");
  assert.equal(lists, 1);
});

test("a dropped connection is retried from the last resourceVersion", async () => {
  stub.onRequest(() => listReply([], "10"));
  const informer = newInformer();
  informer.start();
  const w1 = await stub.nextWatch();
  w1.send("ADDED", pod("a", "15"));
  await eventually(() => informer.get("ns/a") !== undefined, "a cached");
  w1.destroy();
  const w2 = await stub.nextWatch();
  assert.equal(w2.request.query.get("resourceVersion"), "15");
});

test("410 Gone from the watch relists, and objects deleted meanwhile get delete events", async () => {
  let lists = 0;
  stub.onRequest(() => {
    lists++;
    return lists === 1 ? listReply([pod("a", "1"), pod("b", "2")], "10") : listReply([pod("a", "30")], "31");
  });
  const informer = newInformer();
  const log = recorder(informer);
  informer.start();
  const w1 = await stub.nextWatch();
  w1.send("ERROR", { kind: "Status", code: 410, reason: "Expired", message: "too old resource version" });
  const w2 = await stub.nextWatch();
  assert.equal(w2.request.query.get("resourceVersion"), "31");
  assert.equal(lists, 2);
  assert.deepEqual(log.sort(), ["add a@1", "add b@2", "delete b@2", "update a@1->30"]);
  assert.equal(informer.get("ns/b"), undefined);
});

test("a failing list is retried with backoff until it succeeds (the informer never gives up)", async () => {
  let lists = 0;
  stub.onRequest(() => {
    lists++;
    return lists <= 3 ? status(500, "InternalError", "etcd unavailable") : listReply([pod("a", "1")], "10");
  });
  const informer = newInformer();
  informer.start();
  await informer.waitForSync();
  assert.equal(lists, 4);
  assert.ok(informer.get("ns/a"));
});

test("a watch refused with 403 is retried too, not fatal", async () => {
  let watches = 0;
  stub.onRequest(() => listReply([], "10"));
  stub.onWatch(() => (++watches <= 2 ? status(403, "Forbidden", "no") : undefined));
  const informer = newInformer();
  informer.start();
  await stub.nextWatch();
  assert.equal(watches, 3);
});

test("the periodic resync delivers every cached object again as an update, from the local store, and the watch resumes", async () => {
  let lists = 0;
  stub.onRequest(() => (lists++, listReply([pod("a", "1")], "10")));
  const informer = newInformer({ resyncMs: 50 });
  const log = recorder(informer);
  informer.start();
  const w1 = await stub.nextWatch();
  assert.equal(w1.request.query.get("timeoutSeconds"), "1", "the watch is cut short to resync on time");
  await eventually(() => log.includes("update a@1->1"), "resync update");
  const w2 = await stub.nextWatch();
  assert.equal(w2.request.query.get("resourceVersion"), "10", "the watch resumes where it was");
  assert.equal(lists, 1, "a resync sends no list");
  assert.equal(log[0], "add a@1");
});

test("a relist keeps the cached object when its resourceVersion is unchanged", async () => {
  let lists = 0;
  stub.onRequest(() => (++lists === 1 ? listReply([pod("a", "1"), pod("b", "2")], "10") : listReply([pod("a", "1"), pod("b", "5")], "12")));
  const informer = newInformer();
  informer.start();
  const w1 = await stub.nextWatch();
  const [a, b] = [informer.get("ns/a"), informer.get("ns/b")];
  w1.send("ERROR", { kind: "Status", code: 410, reason: "Expired", message: "too old resource version" });
  await stub.nextWatch();
  assert.equal(lists, 2);
  assert.equal(informer.get("ns/a"), a, "same object kept");
  assert.notEqual(informer.get("ns/b"), b);
  assert.equal(informer.get("ns/b")?.metadata.resourceVersion, "5");
});

test("lists are paged with limit and continue", async () => {
  stub.onRequest((r) => {
    const cont = r.query.get("continue");
    if (!cont) return listReply([pod("a", "1")], "10", "page2");
    if (cont === "page2") return listReply([pod("b", "2")], "10", "page3");
    return listReply([pod("c", "3")], "10");
  });
  const informer = newInformer({ pageSize: 1 });
  informer.start();
  await informer.waitForSync();
  assert.deepEqual(informer.list().map((o) => o.metadata.name).sort(), ["a", "b", "c"]);
  assert.ok(stub.requests.every((r) => r.query.get("watch") === "true" || r.query.get("limit") === "1"));
});

test("each page of a list is transformed when it arrives, before the next page is asked for", async () => {
  const order: string[] = [];
  stub.onRequest((r) => {
    if (r.query.get("watch") === "true") return listReply([], "10");
    const cont = r.query.get("continue");
    order.push(`list ${cont ?? "first"}`);
    if (!cont) return listReply([pod("a", "1"), pod("b", "2")], "10", "page2");
    return listReply([pod("c", "3")], "10");
  });
  const informer = newInformer({ pageSize: 2, transform: (o) => (order.push(`transform ${o.metadata.name}`), o) });
  informer.start();
  await informer.waitForSync();
  assert.deepEqual(order, ["list first", "transform a", "transform b", "list page2", "transform c"]);
  assert.deepEqual(informer.list().map((o) => o.metadata.name).sort(), ["a", "b", "c"]);
});

test("sameForReaders: an update that changes nothing the readers read keeps the cached object and revision, unheard; others apply", async () => {
  let lists = 0;
  const labelled = (name: string, rv: string, app: string, note: string): Obj => ({ metadata: { name, namespace: "ns", resourceVersion: rv, labels: { app } }, spec: { note } });
  stub.onRequest(() =>
    ++lists === 1 ? listReply([labelled("a", "1", "web", "x"), labelled("b", "2", "web", "x")], "10") : listReply([labelled("a", "13", "web", "relisted"), labelled("b", "14", "db", "relisted")], "20"),
  );
  // Readers here read labels only.
  const informer = newInformer({ sameForReaders: (cached, next) => cached.metadata.labels?.app === next.metadata.labels?.app });
  const log = recorder(informer);
  informer.start();
  const w1 = await stub.nextWatch();
  const a = informer.get("ns/a");
  const revision = informer.revision;

  w1.send("MODIFIED", labelled("a", "11", "web", "y"));
  w1.send("MODIFIED", labelled("b", "12", "db", "y"));
  await eventually(() => informer.get("ns/b")?.metadata.labels?.app === "db", "b's label change applied");
  assert.equal(informer.get("ns/a"), a, "a kept: only what readers do not read changed");
  assert.equal(informer.revision, revision + 1, "one change: b's");
  assert.deepEqual(log.slice(2), ["update b@2->12"]);

  const b = informer.get("ns/b");
  w1.send("ERROR", { kind: "Status", code: 410, reason: "Expired", message: "too old resource version" });
  await stub.nextWatch();
  assert.equal(informer.get("ns/a"), a, "a relist keeps it too");
  assert.equal(informer.get("ns/b"), b);
  assert.equal(informer.revision, revision + 1);
  assert.equal(informer.lastSyncResourceVersion, "20", "the informer itself moves on to the list's resourceVersion");
});

test("an expired continue token falls back to one unpaged list", async () => {
  stub.onRequest((r) => {
    if (r.query.get("continue")) return status(410, "Expired", "continue token expired");
    if (r.query.get("limit")) return listReply([pod("a", "1")], "10", "page2");
    return listReply([pod("a", "1"), pod("b", "2")], "12");
  });
  const informer = newInformer();
  informer.start();
  await informer.waitForSync();
  assert.deepEqual(informer.list().map((o) => o.metadata.name).sort(), ["a", "b"]);
  assert.equal(informer.lastSyncResourceVersion, "12");
});

test("secondary indexes and the namespace index follow adds, updates and deletes", async () => {
  stub.onRequest(() =>
    listReply([pod("a", "1", {}, "x"), pod("b", "2", {}, "y"), { ...pod("c", "3", {}, "x"), metadata: { name: "c", namespace: "x", resourceVersion: "3", labels: { app: "web" } } }], "10"),
  );
  const informer = newInformer({ indexers: { app: (o) => (o.metadata.labels?.app ? [o.metadata.labels.app] : []) } });
  informer.start();
  await informer.waitForSync();
  assert.deepEqual(informer.listInNamespace("x").map((o) => o.metadata.name).sort(), ["a", "c"]);
  assert.deepEqual(informer.byIndex("app", "web").map((o) => o.metadata.name), ["c"]);
  const w = await stub.nextWatch();
  w.send("MODIFIED", { metadata: { name: "c", namespace: "x", resourceVersion: "11", labels: { app: "db" } } });
  w.send("DELETED", pod("a", "12", {}, "x"));
  await eventually(() => informer.byIndex("app", "db").length === 1, "index updated");
  assert.deepEqual(informer.byIndex("app", "web"), []);
  assert.deepEqual(informer.listInNamespace("x").map((o) => o.metadata.name), ["c"]);
  assert.throws(() => informer.byIndex("nope", "v"), /no index "nope"/);
});

test("a throwing handler does not stop the informer or other handlers", async () => {
  stub.onRequest(() => listReply([], "10"));
  const informer = newInformer();
  informer.addEventHandler({
    add: () => {
      throw new Error("handler bug");
    },
  });
  const log = recorder(informer);
  informer.start();
  const w = await stub.nextWatch();
  w.send("ADDED", pod("a", "11"));
  w.send("ADDED", pod("b", "12"));
  await eventually(() => log.length === 2, "both adds delivered");
  assert.ok(informer.get("ns/b"));
});

test("a handler added after sync is given the cached objects as adds", async () => {
  stub.onRequest(() => listReply([pod("a", "1")], "10"));
  const informer = newInformer();
  informer.start();
  await informer.waitForSync();
  const log = recorder(informer);
  assert.deepEqual(log, ["add a@1"]);
});

test("waitForSync rejects when its signal aborts or the informer stops first", async () => {
  stub.onRequest(() => status(500, "InternalError", "down"));
  const informer = newInformer();
  informer.start();
  const abort = new AbortController();
  const cancelled = informer.waitForSync(abort.signal);
  abort.abort();
  await assert.rejects(cancelled, /cancelled/);
  const pending = informer.waitForSync();
  await informer.stop();
  await assert.rejects(pending, /stopped before it synced/);
});

test("stop ends an open watch and the informer makes no more requests", async () => {
  stub.onRequest(() => listReply([], "10"));
  const informer = newInformer();
  informer.start();
  const w = await stub.nextWatch();
  await informer.stop();
  const count = stub.requests.length;
  await eventually(() => w.closed || true, "settle");
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(stub.requests.length, count);
});
