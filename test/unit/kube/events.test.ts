import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { KubeApiError } from "../../../src/kube/errors.js";
import { EventRecorder, MAX_EVENT_MESSAGE, metaTime, referenceTo, type CoreEvent, type EventSink } from "../../../src/kube/events.js";
import { createLogger } from "../../../src/observability/logger.js";

class FakeSink implements EventSink {
  events = new Map<string, CoreEvent>();
  calls: string[] = [];
  failCreate: Error | undefined;
  failPatch: Error | undefined;

  async create(namespace: string, event: CoreEvent): Promise<unknown> {
    this.calls.push(`create ${namespace}/${event.metadata.name}`);
    if (this.failCreate) throw this.failCreate;
    this.events.set(`${namespace}/${event.metadata.name}`, structuredClone(event));
    return event;
  }

  async patch(namespace: string, name: string, patch: { count: number; lastTimestamp: string }): Promise<unknown> {
    this.calls.push(`patch ${namespace}/${name} count=${patch.count}`);
    if (this.failPatch) throw this.failPatch;
    const e = this.events.get(`${namespace}/${name}`);
    if (!e) throw new KubeApiError(404, "NotFound", "event not found");
    Object.assign(e, patch);
    return e;
  }

  all(): CoreEvent[] {
    return [...this.events.values()];
  }
}

const pod = { apiVersion: "v1", kind: "Pod", name: "web-1", namespace: "apps", uid: "u1" };
const sidecarSet = { apiVersion: "apps.kruise.io/v1alpha1", kind: "SidecarSet", name: "log-agent", uid: "s1" };

function recorder(sink: FakeSink, extra: Partial<ConstructorParameters<typeof EventRecorder>[0]> = {}) {
  let now = Date.UTC(2024, 4, 1, 12, 0, 0);
  const r = new EventRecorder({ sink, component: "sidecarset-controller", host: "manager-0", now: () => (now += 1000), ...extra });
  return r;
}

test("an event is created in the object's namespace with type, reason, message, source and count 1", async () => {
  const sink = new FakeSink();
  const r = recorder(sink);
  r.event(pod, "Normal", "SidecarUpgraded", "upgraded sidecar log-agent");
  await r.flush();
  const [e] = sink.all();
  assert.ok(e);
  assert.equal(e.metadata.namespace, "apps");
  assert.match(e.metadata.name, /^web-1\.[0-9a-f]+$/);
  assert.deepEqual(e.involvedObject, pod);
  assert.equal(e.type, "Normal");
  assert.equal(e.reason, "SidecarUpgraded");
  assert.equal(e.message, "upgraded sidecar log-agent");
  assert.deepEqual(e.source, { component: "sidecarset-controller", host: "manager-0" });
  assert.equal(e.reportingComponent, "sidecarset-controller");
  assert.equal(e.reportingInstance, "manager-0");
  assert.equal(e.count, 1);
  assert.equal(e.firstTimestamp, e.lastTimestamp);
  assert.match(e.firstTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

test("a repeated event increments count on the existing Event instead of creating another", async () => {
  const sink = new FakeSink();
  const r = recorder(sink);
  for (let i = 0; i < 3; i++) r.event(sidecarSet, "Warning", "PodsNotInjected", "2 pods lack the sidecars");
  await r.flush();
  assert.equal(sink.all().length, 1);
  assert.equal(sink.all()[0]!.count, 3);
  assert.deepEqual(sink.calls.map((c) => c.split(" ")[0]), ["create", "patch", "patch"]);
  const e = sink.all()[0]!;
  assert.ok(e.lastTimestamp > e.firstTimestamp, "lastTimestamp moves on");
});

test("events that differ in message, reason, type or object are separate Events", async () => {
  const sink = new FakeSink();
  const r = recorder(sink);
  r.event(pod, "Normal", "A", "m1");
  r.event(pod, "Normal", "A", "m2");
  r.event(pod, "Normal", "B", "m1");
  r.event(pod, "Warning", "A", "m1");
  r.event({ ...pod, name: "web-2" }, "Normal", "A", "m1");
  await r.flush();
  assert.equal(sink.all().length, 5);
  assert.ok(sink.all().every((e) => e.count === 1));
});

test("events about a cluster-scoped object go to the configured namespace, default when unset", async () => {
  const sink = new FakeSink();
  const plain = recorder(sink);
  const configured = recorder(sink, { clusterScopedNamespace: "kruise-system" });
  plain.event(sidecarSet, "Normal", "R", "m");
  configured.event(sidecarSet, "Normal", "R2", "m");
  await Promise.all([plain.flush(), configured.flush()]);
  const namespaces = sink.all().map((e) => e.metadata.namespace).sort();
  assert.deepEqual(namespaces, ["default", "kruise-system"]);
});

test("a failing API never reaches the caller; the failure is logged", async () => {
  const lines: string[] = [];
  const logger = createLogger({
    level: "warn",
    destination: new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    }),
  });
  const sink = new FakeSink();
  sink.failCreate = new KubeApiError(403, "Forbidden", "events is forbidden");
  const r = recorder(sink, { logger });
  assert.doesNotThrow(() => r.event(pod, "Warning", "Failed", "x"));
  await r.flush();
  assert.equal(sink.all().length, 0);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /writing an event failed/);
  assert.match(lines[0]!, /403 Forbidden/);
  assert.match(lines[0]!, /Pod apps\/web-1/);
});

test("when the Event to increment has expired (404) a new one is created", async () => {
  const sink = new FakeSink();
  const r = recorder(sink);
  r.event(pod, "Normal", "R", "m");
  await r.flush();
  sink.events.clear();
  r.event(pod, "Normal", "R", "m");
  await r.flush();
  assert.equal(sink.all().length, 1);
  assert.equal(sink.all()[0]!.count, 1);
});

test("a failed increment for another reason does not forget the Event, so the next repeat increments it", async () => {
  const sink = new FakeSink();
  const r = recorder(sink);
  r.event(pod, "Normal", "R", "m");
  await r.flush();
  sink.failPatch = new Error("connection reset");
  r.event(pod, "Normal", "R", "m");
  await r.flush();
  sink.failPatch = undefined;
  r.event(pod, "Normal", "R", "m");
  await r.flush();
  assert.equal(sink.all().length, 1);
  assert.equal(sink.all()[0]!.count, 2);
});

test("long messages are cut to the API's limit", async () => {
  const sink = new FakeSink();
  const r = recorder(sink);
  r.event(pod, "Warning", "R", "x".repeat(5000));
  await r.flush();
  assert.equal(sink.all()[0]!.message.length, MAX_EVENT_MESSAGE);
});

test("the de-duplication cache forgets the least recently used events beyond its size", async () => {
  const sink = new FakeSink();
  const r = recorder(sink, { cacheSize: 2 });
  r.event(pod, "Normal", "A", "m");
  r.event(pod, "Normal", "B", "m");
  r.event(pod, "Normal", "C", "m"); // evicts A
  await r.flush();
  r.event(pod, "Normal", "A", "m");
  await r.flush();
  assert.equal(sink.all().filter((e) => e.reason === "A").length, 2, "A was forgotten, so a new Event was created");
});

test("event names are unique even within one millisecond", async () => {
  const sink = new FakeSink();
  const r = new EventRecorder({ sink, component: "c", now: () => 1_000 });
  for (let i = 0; i < 5; i++) r.event(pod, "Normal", `R${i}`, "m");
  await r.flush();
  assert.equal(new Set(sink.all().map((e) => e.metadata.name)).size, 5);
});

test("referenceTo takes kind, name, namespace, uid and resourceVersion from a raw object", () => {
  const ref = referenceTo({ metadata: { name: "s", uid: "u", resourceVersion: "5" } }, { apiVersion: "apps.kruise.io/v1alpha1", kind: "SidecarSet" });
  assert.deepEqual(ref, { apiVersion: "apps.kruise.io/v1alpha1", kind: "SidecarSet", name: "s", uid: "u", resourceVersion: "5" });
});

test("metav1.Time is RFC 3339 in whole seconds", () => {
  assert.equal(metaTime(Date.UTC(2024, 0, 2, 3, 4, 5, 678)), "2024-01-02T03:04:05Z");
});
