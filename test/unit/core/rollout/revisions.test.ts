import assert from "node:assert/strict";
import { test } from "node:test";
import type { ControllerRevision, Pod } from "../../../../src/api/kube-types.js";
import type { SidecarSet } from "../../../../src/api/types.js";
import { revisionData } from "../../../../src/api/revision.js";
import {
  buildRevision,
  chooseRevision,
  customVersionPatch,
  historyAfter,
  resolveNameCollision,
  revisionCreateBody,
  revisionsOf,
  revisionsToDelete,
  sortRevisions,
} from "../../../../src/core/rollout/revisions.js";
import { makePod } from "./fixtures.js";

const NS = "sidecarset-system";

function dnsSet(image = "dns:1.0", extra: Partial<SidecarSet["spec"]> = {}, labels: Record<string, string> = {}): SidecarSet {
  return {
    metadata: { name: "sidecarset-test", uid: "uid-1", labels, annotations: { "kruise.io/sidecarset-hash": "h" } },
    spec: {
      selector: { matchLabels: { a: "b" } },
      containers: [
        {
          name: "dns-f",
          image,
          imagePullPolicy: "IfNotPresent",
          terminationMessagePath: "/dev/termination-log",
          terminationMessagePolicy: "File",
          podInjectPolicy: "BeforeAppContainer",
          upgradeStrategy: { upgradeType: "ColdUpgrade" },
          shareVolumePolicy: { type: "disabled" },
          resources: {},
        },
      ],
      ...extra,
    },
  };
}

function stored(set: SidecarSet, revision: number, collisionCount = 0, created = "2026-01-01T00:00:00Z"): ControllerRevision {
  const r = buildRevision(set, { namespace: NS, revision, collisionCount });
  r.metadata!.creationTimestamp = created;
  return r;
}

test("a new revision: docs/behaviour.md §3.2 name, labels, annotations and a controller owner reference", () => {
  const set = dnsSet();
  const r = buildRevision(set, { namespace: NS, revision: 1, collisionCount: 0 });
  assert.equal(r.metadata!.name, "sidecarset-test-788d67c95d");
  assert.deepEqual(r.metadata!.labels, { "kruise.io/sidecarset-name": "sidecarset-test", "controller.kubernetes.io/hash": "788d67c95d" });
  assert.deepEqual(r.metadata!.annotations, { "kruise.io/sidecarset-hash": "h" });
  assert.deepEqual(r.metadata!.ownerReferences, [
    { apiVersion: "apps.kruise.io/v1alpha1", kind: "SidecarSet", name: "sidecarset-test", uid: "uid-1", controller: true, blockOwnerDeletion: true },
  ]);
  assert.equal(r.metadata!.namespace, NS);
  assert.equal(JSON.stringify(r.data), revisionData(set));
});

test("no history ⇒ create revision 1", () => {
  const c = chooseRevision(dnsSet(), [], { namespace: NS });
  assert.equal(c.action, "create");
  assert.equal(c.revision.revision, 1);
});

test("the latest revision holds the spec ⇒ reuse it", () => {
  const set = dnsSet();
  const history = [stored(dnsSet("dns:0.9"), 1), stored(set, 2)];
  const c = chooseRevision(set, history, { namespace: NS });
  assert.equal(c.action, "reuse");
  assert.equal(c.revision, history[1]);
});

test("an older revision holds the spec (rollback) ⇒ raise its number", () => {
  const set = dnsSet();
  const history = [stored(set, 1), stored(dnsSet("dns:2.0"), 2)];
  const c = chooseRevision(set, history, { namespace: NS });
  assert.equal(c.action, "raise");
  assert.equal(c.action === "raise" && c.to, 3);
  const raised = { ...history[0]!, revision: 3 };
  assert.deepEqual(historyAfter(history, c, raised).map((r) => r.revision), [2, 3]);
});

test("a new spec ⇒ create with the next number and the stored collision count", () => {
  const history = [stored(dnsSet("dns:0.9"), 4)];
  const c = chooseRevision(dnsSet(), history, { namespace: NS, collisionCount: 2 });
  assert.equal(c.action, "create");
  assert.equal(c.revision.revision, 5);
  assert.equal(c.revision.metadata!.name, buildRevision(dnsSet(), { namespace: NS, revision: 5, collisionCount: 2 }).metadata!.name);
});

test("stored data is compared by meaning, whatever key order the API returned", () => {
  const set = dnsSet();
  const r = stored(set, 1);
  const reordered = JSON.parse(JSON.stringify(r.data)) as { spec: Record<string, unknown> };
  r.data = { spec: Object.fromEntries(Object.entries(reordered.spec).reverse()) };
  assert.equal(chooseRevision(set, [r], { namespace: NS }).action, "reuse");
});

function shellSet(image: string): SidecarSet {
  const set = dnsSet(image);
  set.spec.containers![0]!.command = ["sh", "-c", "true && sleep 1d <x>"];
  return set;
}

test("data written with `&`, `<` and `>` escaped or not holds the same spec (rollback to such a spec raises it)", () => {
  const old = shellSet("busybox:1.36");
  const newer = shellSet("busybox:1.37");
  // As the API server hands it back: decoded, so the escapes are gone.
  const legacy = stored(old, 1);
  legacy.data = JSON.parse(JSON.stringify(legacy.data)) as object;
  const history = [legacy, stored(newer, 2)];
  const rollback = chooseRevision(old, history, { namespace: NS });
  assert.equal(rollback.action, "raise");
  assert.equal(rollback.action === "raise" && rollback.revision, legacy);
  // Data kept as a string in the escaped form means the same.
  const asText = { ...stored(old, 3), data: revisionData(old) as unknown as object };
  assert.equal(chooseRevision(old, [...history, asText], { namespace: NS }).action, "reuse");
});

test("the create body carries the data in Go's escaped form, so the API server's re-encoding leaves it unchanged", () => {
  const set = shellSet("busybox:1.36");
  const r = buildRevision(set, { namespace: NS, revision: 1, collisionCount: 0 });
  const body = revisionCreateBody(r);
  const data = revisionData(set);
  assert.ok(data.includes("\\u0026\\u0026") && data.includes("\\u003cx\\u003e"), data);
  assert.ok(body.endsWith(`,"data":${data}}`), body);
  assert.deepEqual(JSON.parse(body), JSON.parse(JSON.stringify(r)));
  assert.equal(revisionCreateBody({ revision: 1, data: { b: "&", a: 1 } }), '{"revision":1,"data":{"a":1,"b":"\\u0026"}}');
});

test("name collision with identical data ⇒ use the existing revision", () => {
  const set = dnsSet();
  const candidate = stored(set, 1);
  const res = resolveNameCollision(set, candidate, structuredClone(candidate), { namespace: NS, collisionCount: 0 });
  assert.equal(res.action, "use-existing");
});

test("name collision with other data ⇒ collisionCount + 1 and a new name", () => {
  const set = dnsSet();
  const candidate = stored(set, 1);
  const squatter = { ...stored(dnsSet("other:1"), 1), metadata: { ...candidate.metadata } };
  const res = resolveNameCollision(set, candidate, squatter, { namespace: NS, collisionCount: 0 });
  assert.equal(res.action, "retry");
  if (res.action !== "retry") return;
  assert.equal(res.collisionCount, 1);
  assert.notEqual(res.revision.metadata!.name, candidate.metadata!.name);
  assert.equal(res.revision.metadata!.name, buildRevision(set, { namespace: NS, revision: 1, collisionCount: 1 }).metadata!.name);
});

test("history: only S's labelled revisions owned by S or by nobody, sorted by revision, time, name", () => {
  const set = dnsSet();
  const mine = stored(set, 2);
  const orphan = { ...stored(dnsSet("x:1"), 1), metadata: { ...stored(dnsSet("x:1"), 1).metadata, ownerReferences: [] } };
  const foreign = stored(dnsSet("y:1"), 3);
  foreign.metadata!.ownerReferences![0]!.uid = "uid-other";
  const unlabelled = stored(dnsSet("z:1"), 4);
  delete unlabelled.metadata!.labels!["kruise.io/sidecarset-name"];
  assert.deepEqual(revisionsOf(set, [mine, foreign, orphan, unlabelled]), [orphan, mine]);
  const a = { metadata: { name: "b", creationTimestamp: "2026-01-01T00:00:01Z" }, revision: 1 };
  const b = { metadata: { name: "a", creationTimestamp: "2026-01-01T00:00:01Z" }, revision: 1 };
  const c = { metadata: { name: "c", creationTimestamp: "2026-01-01T00:00:00Z" }, revision: 1 };
  assert.deepEqual(sortRevisions([a, b, c]).map((r) => r.metadata?.name), ["c", "a", "b"]);
});

test("the custom-version label is patched onto the chosen revision when it differs", () => {
  const set = dnsSet("dns:1.0", {}, { "apps.kruise.io/sidecarset-custom-version": "v7" });
  const r = stored(dnsSet(), 1);
  assert.deepEqual(customVersionPatch(set, r), { metadata: { labels: { "apps.kruise.io/sidecarset-custom-version": "v7" } } });
  assert.equal(customVersionPatch(set, stored(set, 1)), null);
  assert.equal(customVersionPatch(dnsSet(), r), null);
});

function history(n: number): ControllerRevision[] {
  return Array.from({ length: n }, (_, i) => stored(dnsSet(`dns:${i}`), i + 1));
}
const nameOf = (r: ControllerRevision): string => r.metadata!.name!;

test("truncation deletes the oldest down to revisionHistoryLimit (10 by default)", () => {
  const h = history(12);
  const t = revisionsToDelete(dnsSet(), h, () => []);
  assert.equal(t.limit, 10);
  assert.deepEqual(t.delete.map(nameOf), h.slice(0, 2).map(nameOf));
  assert.equal(t.overLimit, 0);
});

test("truncation keeps at least the latest: a limit below 1 reads as 1", () => {
  const h = history(3);
  const t = revisionsToDelete(dnsSet("dns:1.0", { revisionHistoryLimit: 0 }), h, () => []);
  assert.deepEqual(t.delete.map(nameOf), h.slice(0, 2).map(nameOf));
});

test("truncation skips revisions in use: by matched pods, revisionName and the newest custom version", () => {
  const h = history(6);
  h[3]!.metadata!.labels!["apps.kruise.io/sidecarset-custom-version"] = "v1";
  h[2]!.metadata!.labels!["apps.kruise.io/sidecarset-custom-version"] = "v1";
  const set = dnsSet("dns:1.0", {
    revisionHistoryLimit: 1,
    injectionStrategy: { revision: { revisionName: nameOf(h[1]!), customVersion: "v1" } },
  });
  const pod: Pod = makePod("p");
  pod.metadata!.annotations!["kruise.io/sidecarset-hash"] = JSON.stringify({
    "sidecarset-test": { hash: "x", sidecarSetName: "sidecarset-test", controllerRevision: nameOf(h[0]!) },
  });
  const t = revisionsToDelete(set, h, () => [pod]);
  assert.deepEqual(t.delete.map(nameOf), [nameOf(h[2]!), nameOf(h[4]!)]);
  assert.equal(t.overLimit, 3, "three in use beyond the limit of 1 are kept and reported");
});
