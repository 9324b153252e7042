// The webhook views (docs/behaviour.md §6.4): each replica's Lease saying
// which SidecarSet generations its pod webhook holds, and the Lease holder's
// judgement of which other replicas lag behind a SidecarSet, bounded in time.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { SidecarSet } from "../../../src/api/types.js";
import { RawKubeClient } from "../../../src/kube/raw-client.js";
import { GenerationWaits, GONE_VIEW_LEASE_DURATIONS, goneViewLeases, laggingReplicas, OtherReplicaViews } from "../../../src/manager/other-replica-views.js";
import { decodeWebhookView, encodeWebhookView, MAX_VIEW_TEXT, WEBHOOK_VIEW_ANNOTATION, webhookViewLeaseName } from "../../../src/manager/webhook-view-lease.js";
import { WebhookViewPublisher } from "../../../src/manager/webhook-view-publisher.js";
import { silentLogger } from "../../../src/observability/logger.js";
import { StubApiServer, type RecordedRequest } from "../kube/stub-apiserver.js";

const set = (uid: string, generation: number): SidecarSet => ({ metadata: { name: `set-${uid}`, uid, generation }, spec: { containers: [] } }) as unknown as SidecarSet;

test("a view is the held uids and generations, sorted, so an unchanged view is the same text", () => {
  const text = encodeWebhookView([
    ["b", "uid-2", 3],
    ["a", "uid-1", 7],
  ]);
  assert.equal(text, '{"uid-1":7,"uid-2":3}');
  assert.equal(encodeWebhookView([["a", "uid-1", 7], ["b", "uid-2", 3]]), text);
  assert.deepEqual(decodeWebhookView(text), new Map([["uid-1", 7], ["uid-2", 3]]));
});

test("a view too large for an annotation is not written, and text that is no view reads as none", () => {
  const many = Array.from({ length: 6_000 }, (_, i) => [`s${i}`, `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`, 1] as [string, string, number]);
  assert.ok(JSON.stringify(many).length > MAX_VIEW_TEXT);
  assert.equal(encodeWebhookView(many), undefined);
  for (const bad of [undefined, "", "not json", "[]", "null", '{"uid":"3"}', '{"uid":1.5}']) assert.equal(decodeWebhookView(bad), undefined, String(bad));
});

test("a Lease name is a valid object name, the same for the same pod", () => {
  const name = webhookViewLeaseName("sidecarset-manager-7d9c8b6f5-x2x4q");
  assert.match(name, /^sidecarset-webhook-view-[0-9a-f]{16}$/);
  assert.equal(webhookViewLeaseName("sidecarset-manager-7d9c8b6f5-x2x4q"), name);
  assert.notEqual(webhookViewLeaseName("sidecarset-manager-7d9c8b6f5-zzzzz"), name);
});

test("lagging replicas: fresh views without the generation; not this replica, not a stale Lease, not a Lease without a view", () => {
  const seen = (changedAt: number, view: Map<string, number> | undefined, holder: string) => ({ resourceVersion: "1", changedAt, durationMs: 20_000, holder, view });
  const leases = new Map([
    ["own", seen(100_000, new Map(), "me")],
    ["behind", seen(100_000, new Map([["u", 1]]), "replica-behind")],
    ["caught-up", seen(100_000, new Map([["u", 2]]), "replica-ahead")],
    ["other-object", seen(100_000, new Map([["v", 9]]), "replica-other")],
    ["stale", seen(70_000, new Map(), "replica-gone")],
    ["unreadable", seen(100_000, undefined, "replica-unreadable")],
  ]);
  assert.deepEqual(laggingReplicas(leases, "own", set("u", 2), 100_500), ["replica-behind", "replica-other"]);
  assert.deepEqual(laggingReplicas(leases, "own", set("u", 1), 100_500), ["replica-other"]);
  assert.deepEqual(laggingReplicas(leases, "own", set("u", 2), 121_000), [], "every Lease has gone unchanged for its duration");
});

test("a generation waits for lagging replicas at most the longest wait, is given up on once, and a new generation waits afresh", () => {
  const waits = new GenerationWaits(20_000);
  const s2 = set("u", 2);
  assert.equal(waits.waitedTooLong(s2, true, 0), undefined);
  assert.equal(waits.waitedTooLong(s2, true, 20_000), undefined);
  assert.equal(waits.waitedTooLong(s2, true, 20_001), 20_001, "given up, with how long it waited");
  assert.equal(waits.waitedTooLong(s2, true, 30_000), 0, "and said only once");
  assert.equal(waits.waitedTooLong(set("u", 3), true, 30_000), undefined, "the next generation waits again");
  assert.equal(waits.waitedTooLong(set("u", 3), false, 31_000), undefined);
  assert.equal(waits.waitedTooLong(set("u", 3), true, 60_000), undefined, "a wait that ended starts over");
  assert.equal(waits.size, 1);
  waits.forget("u");
  assert.equal(waits.size, 0, "a deleted SidecarSet's wait is dropped");
});

const api = new StubApiServer();
before(() => api.start());
after(() => api.stop());

const LEASES = "/apis/coordination.k8s.io/v1/namespaces/ns/leases";

async function settle(count: () => number, expected: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (count() < expected) {
    if (Date.now() > deadline) throw new Error(`${count()} of ${expected} requests`);
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 20));
}

test("the publisher creates its Lease, writes it again only when the view changes, takes over a Lease left by an earlier start, and deletes it when it stops", async () => {
  const seen: RecordedRequest[] = [];
  let version = 0;
  let exists = true;
  api.onRequest((req) => {
    seen.push(req);
    const lease = (body: string) => ({ ...(JSON.parse(body) as { metadata: object }), metadata: { ...(JSON.parse(body) as { metadata: object }).metadata, resourceVersion: String(++version) } });
    if (req.method === "POST") return exists ? { status: 409, body: { kind: "Status", code: 409, reason: "AlreadyExists", message: "exists" } } : { status: 201, body: lease(req.body) };
    if (req.method === "GET") return { body: { metadata: { name: "view", namespace: "ns", resourceVersion: "41" } } };
    if (req.method === "PUT") return { body: lease(req.body) };
    return { body: { kind: "Status", code: 200 } };
  });
  const publisher = new WebhookViewPublisher({ client: new RawKubeClient(api.kubeConfig()), namespace: "ns", name: "view", holderIdentity: "me", durationMs: 60_000, logger: silentLogger(), now: () => Date.parse("2026-12-07T12:00:00Z") });

  publisher.publish([["a", "uid-1", 1]]);
  await settle(() => seen.length, 3);
  assert.deepEqual(seen.map((r) => `${r.method} ${r.path}`), [`POST ${LEASES}`, `GET ${LEASES}/view`, `PUT ${LEASES}/view`], "a Lease of this name from an earlier start is taken over");
  const written = JSON.parse(seen[2]!.body) as { metadata: { resourceVersion: string; annotations: Record<string, string>; labels: Record<string, string> }; spec: Record<string, unknown> };
  assert.equal(written.metadata.resourceVersion, "41");
  assert.equal(written.metadata.annotations[WEBHOOK_VIEW_ANNOTATION], '{"uid-1":1}');
  assert.deepEqual(written.metadata.labels, { "sidecarset.io/webhook-view": "true" });
  assert.deepEqual(written.spec, { holderIdentity: "me", leaseDurationSeconds: 60, renewTime: "2026-12-07T12:00:00.000000Z" });

  publisher.publish([["a", "uid-1", 1]]);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(seen.length, 3, "the same view is not written again before the renewal");

  publisher.publish([["a", "uid-1", 2]]);
  await settle(() => seen.length, 4);
  const update = JSON.parse(seen[3]!.body) as { metadata: { resourceVersion: string; annotations: Record<string, string> } };
  assert.equal(seen[3]!.method, "PUT");
  assert.equal(update.metadata.resourceVersion, String(version - 1), "with the resourceVersion its last write returned");
  assert.equal(update.metadata.annotations[WEBHOOK_VIEW_ANNOTATION], '{"uid-1":2}');

  exists = false;
  await publisher.stop();
  assert.deepEqual(`${seen.at(-1)!.method} ${seen.at(-1)!.path}`, `DELETE ${LEASES}/view`);
  publisher.publish([["a", "uid-1", 3]]);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(seen.at(-1)!.method, "DELETE", "nothing is written after stopping");
});

test("gone replicas' Leases: unchanged for five of their durations; not this replica's, not one without a duration", () => {
  const seen = (changedAt: number, durationMs: number, holder: string) => ({ resourceVersion: `rv-${holder}`, changedAt, durationMs, holder, view: new Map<string, number>() });
  const leases = new Map([
    ["own", seen(0, 20_000, "me")],
    ["gone", seen(0, 20_000, "replica-gone")],
    ["quiet", seen(0, 60_000, "replica-quiet")],
    ["renewed", seen(90_000, 20_000, "replica-renewed")],
    ["no-duration", seen(0, 0, "replica-odd")],
  ]);
  assert.equal(GONE_VIEW_LEASE_DURATIONS, 5);
  assert.deepEqual(goneViewLeases(leases, "own", 100_000), []);
  assert.deepEqual(goneViewLeases(leases, "own", 100_001), [{ name: "gone", resourceVersion: "rv-replica-gone", holder: "replica-gone", unchangedMs: 100_001 }]);
  assert.deepEqual(
    goneViewLeases(leases, "own", 300_001).map((g) => g.name),
    ["gone", "quiet", "renewed"],
  );
});

test("the Lease holder deletes a gone replica's view Lease, guarded by the resourceVersion it saw, and keeps those that change", async () => {
  const lease = (name: string, resourceVersion: string) => ({
    metadata: { name, namespace: "ns", resourceVersion, labels: { "sidecarset.io/webhook-view": "true" }, annotations: { [WEBHOOK_VIEW_ANNOTATION]: "{}" } },
    spec: { holderIdentity: name, leaseDurationSeconds: 20 },
  });
  const requests: RecordedRequest[] = [];
  api.onRequest((req) => {
    requests.push(req);
    if (req.method === "GET") return { body: { metadata: { resourceVersion: "10" }, items: [lease("own", "1"), lease("gone", "2"), lease("alive", "3")] } };
    if (req.method === "DELETE") return { body: { kind: "Status", code: 200 } };
    return { status: 405, body: { kind: "Status", code: 405, message: "unexpected" } };
  });
  let now = 1_000_000;
  const views = new OtherReplicaViews({ client: new RawKubeClient(api.kubeConfig()), namespace: "ns", ownLease: "own", maxWaitMs: 3_600_000, logger: silentLogger(), now: () => now });
  const watch = api.nextWatch();
  views.start();
  try {
    await views.waitForSync(AbortSignal.timeout(5_000), 5_000);
    now += 60_000;
    (await watch).send("MODIFIED", lease("alive", "4"));
    await new Promise((r) => setTimeout(r, 50));
    now += 60_000;
    await views.sweepGone();
    const deletes = requests.filter((r) => r.method === "DELETE");
    assert.deepEqual(deletes.map((r) => r.path), [`${LEASES}/gone`], "120 s unchanged against a 20 s duration; the renewed one changed 60 s ago");
    assert.deepEqual(JSON.parse(deletes[0]!.body), { apiVersion: "v1", kind: "DeleteOptions", preconditions: { resourceVersion: "2" } });
  } finally {
    await views.stop();
  }
});
