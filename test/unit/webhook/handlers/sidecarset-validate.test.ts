import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { defaultSidecarSet } from "../../../../src/api/defaults.js";
import type { ControllerRevision } from "../../../../src/api/kube-types.js";
import type { SidecarSet } from "../../../../src/api/types.js";
import type { AdmissionCache } from "../../../../src/webhook/handlers/cache-view.js";
import { createSidecarSetValidateHandler } from "../../../../src/webhook/handlers/sidecarset-validate.js";
import { fakeCache, responseOf, run, sidecarSetReview } from "./fixtures.js";

/** A SidecarSet as the cluster holds it after the defaulting webhook. */
function stored(name: string, spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): SidecarSet {
  return defaultSidecarSet({
    apiVersion: "apps.kruise.io/v1alpha1",
    kind: "SidecarSet",
    metadata: { name, ...metadata },
    spec: { selector: { matchLabels: { app: "web" } }, containers: [{ name: `${name}-c`, image: "img:1.0" }], ...spec },
  } as unknown as SidecarSet);
}

function validator(cache: AdmissionCache = fakeCache(), allowPatchPodMetadataWithoutWhitelist = false) {
  return createSidecarSetValidateHandler({ cache, allowPatchPodMetadataWithoutWhitelist });
}

async function answer(cache: AdmissionCache, op: "CREATE" | "UPDATE", object: unknown, old?: unknown, flag = false) {
  return responseOf(await run(validator(cache, flag), sidecarSetReview(op, object, old === undefined ? {} : { oldObject: old })));
}

function fields(r: { status?: { details?: { causes?: { field: string }[] } } }): string[] {
  return (r.status?.details?.causes ?? []).map((c) => c.field);
}

test("a valid SidecarSet is allowed without warnings", async () => {
  const r = await answer(fakeCache(), "CREATE", stored("log-agent"));
  assert.equal(r.allowed, true);
  assert.equal(r.status, undefined);
  assert.equal(r.warnings, undefined);
});

test("errors are a 422 Invalid denial with one cause per error and the API server's message format", async () => {
  // docs/behaviour.md §8 E13
  const object = stored("bad", { namespace: "team-a", namespaceSelector: { matchLabels: { env: "prod" } } });
  (object.spec as Record<string, unknown>).selector = { matchLabels: ["app", "web"] };
  const r = await answer(fakeCache(), "CREATE", object);
  assert.equal(r.allowed, false);
  assert.equal(r.status?.code, 422);
  assert.equal(r.status?.reason, "Invalid");
  assert.deepEqual(fields(r), ["spec.selector.matchLabels", "spec.namespaceSelector"]);
  assert.deepEqual(r.status!.details!.causes![0], {
    reason: "FieldValueInvalid",
    field: "spec.selector.matchLabels",
    message: "must be a map of label key to string value, got a list",
  });
  assert.equal(r.status!.details!.name, "bad");
  assert.equal(r.status!.details!.kind, "SidecarSet");
  assert.equal(r.status!.details!.group, "apps.kruise.io");
  assert.equal(
    r.status!.message,
    'SidecarSet.apps.kruise.io "bad" is invalid: [spec.selector.matchLabels: must be a map of label key to string value, got a list, ' +
      "spec.namespaceSelector: cannot be combined with spec.namespace; use namespace for one namespace by name or namespaceSelector to select namespaces by label]",
  );
});

test("a single error is reported without brackets, as the API server does", async () => {
  const r = await answer(fakeCache(), "CREATE", stored("Bad_Name", { containers: [{ name: "c", image: "c:1" }] }));
  assert.deepEqual(fields(r), ["metadata.name"]);
  assert.match(r.status!.message, /^SidecarSet\.apps\.kruise\.io "Bad_Name" is invalid: metadata\.name: [^[]/);
});

test("a container name used by an overlapping SidecarSet in the cache is a conflict naming it", async () => {
  const other = stored("other", { containers: [{ name: "logtail", image: "x:1" }] });
  const r = await answer(fakeCache({ sidecarSets: [other] }), "CREATE", stored("log-agent", { containers: [{ name: "logtail", image: "y:1" }] }));
  assert.equal(r.allowed, false);
  assert.deepEqual(fields(r), ["spec.containers[0].name"]);
  assert.match(r.status!.details!.causes![0]!.message, /"other"/);
});

test("the SidecarSet's own cached copy never conflicts with it", async () => {
  const current = stored("log-agent", { containers: [{ name: "logtail", image: "y:1" }] });
  const next = stored("log-agent", { containers: [{ name: "logtail", image: "y:2" }] });
  const r = await answer(fakeCache({ sidecarSets: [current] }), "UPDATE", next, current);
  assert.equal(r.allowed, true, r.status?.message);
});

test("namespace overlap uses the cached Namespace labels", async () => {
  const bySelector = stored("other", { namespaceSelector: { matchLabels: { env: "prod" } }, containers: [{ name: "logtail", image: "x:1" }] });
  const byName = stored("log-agent", { namespace: "team-a", containers: [{ name: "logtail", image: "y:1" }] });
  const prod = await answer(fakeCache({ sidecarSets: [bySelector], namespaces: { "team-a": { env: "prod" } } }), "CREATE", byName);
  assert.deepEqual(fields(prod), ["spec.containers[0].name"]);
  const dev = await answer(fakeCache({ sidecarSets: [bySelector], namespaces: { "team-a": { env: "dev" } } }), "CREATE", byName);
  assert.equal(dev.allowed, true);
});

test("UPDATE: adding a container is rejected (docs/behaviour.md §8 E11), the same object on CREATE is fine", async () => {
  const old = stored("log-agent", { containers: [{ name: "a", image: "a:1" }] });
  const next = stored("log-agent", { containers: [{ name: "a", image: "a:1" }, { name: "b", image: "b:1" }] });
  const update = await answer(fakeCache({ sidecarSets: [old] }), "UPDATE", next, old);
  assert.deepEqual(fields(update), ["spec.containers[1].name"]);
  assert.match(update.status!.details!.causes![0]!.message, /container "b" does not exist in the current SidecarSet/);
  const create = await answer(fakeCache(), "CREATE", next);
  assert.equal(create.allowed, true);
});

test("warnings are returned on an allowed answer (HotUpgrade without hotUpgradeEmptyImage)", async () => {
  const object = stored("envoy", { containers: [{ name: "envoy", image: "envoy:1", upgradeStrategy: { upgradeType: "HotUpgrade" } }] });
  const r = await answer(fakeCache(), "CREATE", object);
  assert.equal(r.allowed, true);
  assert.ok((r.warnings ?? []).some((w) => /hotUpgradeEmptyImage/.test(w)), JSON.stringify(r.warnings));
});

test("warnings also travel with a denial", async () => {
  const object = stored("Bad_Name", { containers: [{ name: "envoy", image: "envoy:1", upgradeStrategy: { upgradeType: "HotUpgrade" } }] });
  const r = await answer(fakeCache(), "CREATE", object);
  assert.equal(r.allowed, false);
  assert.ok((r.warnings ?? []).some((w) => /hotUpgradeEmptyImage/.test(w)));
});

const patching = stored("meta", { patchPodMetadata: [{ annotations: { "example.com/team": "a" } }] });
const whitelistCases: { name: string; whitelist?: string; flag: boolean; allowed: boolean }[] = [
  { name: "patchPodMetadata without a whitelist ConfigMap is rejected", flag: false, allowed: false },
  { name: "patchPodMetadata without a whitelist is allowed with the manager flag", flag: true, allowed: true },
  { name: "patchPodMetadata with a key the cached whitelist allows is accepted", whitelist: '{"rules":[{"allowedAnnotationKeyExprs":["^example\\\\.com/"]}]}', flag: false, allowed: true },
  { name: "patchPodMetadata with a key the cached whitelist does not allow is rejected even with the flag", whitelist: '{"rules":[{"allowedAnnotationKeyExprs":["^other/"]}]}', flag: true, allowed: false },
];
for (const c of whitelistCases) {
  test(c.name, async () => {
    const cache = fakeCache(c.whitelist === undefined ? {} : { whitelist: c.whitelist });
    const r = await answer(cache, "CREATE", patching, undefined, c.flag);
    assert.equal(r.allowed, c.allowed, r.status?.message);
    if (!c.allowed) assert.ok(fields(r).every((f) => f.startsWith("spec.patchPodMetadata")), fields(r).join(","));
  });
}

test("a pinned revision is looked up in the cached ControllerRevisions", async () => {
  const pinned = stored("log-agent", { injectionStrategy: { revision: { revisionName: "log-agent-abc" } } });
  const missing = await answer(fakeCache(), "CREATE", pinned);
  assert.equal(missing.allowed, false);
  assert.ok(fields(missing).some((f) => f.startsWith("spec.injectionStrategy.revision")), fields(missing).join(","));
  const revision = {
    apiVersion: "apps/v1",
    kind: "ControllerRevision",
    metadata: { name: "log-agent-abc", namespace: "sidecarset-system", labels: { "kruise.io/sidecarset-name": "log-agent" } },
    revision: 1,
    data: {},
  } as unknown as ControllerRevision;
  const found = await answer(fakeCache({ revisions: [revision] }), "CREATE", pinned);
  assert.equal(found.allowed, true, found.status?.message);
});

const passThrough: { name: string; body: Record<string, unknown> }[] = [
  { name: "a DELETE is allowed", body: sidecarSetReview("DELETE", undefined, { name: "x", oldObject: stored("x") }) },
  { name: "a status subresource write is allowed", body: sidecarSetReview("UPDATE", { metadata: { name: "Bad_Name" } }, { subResource: "status", oldObject: stored("x") }) },
];
for (const c of passThrough) {
  test(c.name, async () => {
    const r = responseOf(await run(validator(), c.body));
    assert.equal(r.allowed, true);
  });
}

test("a request for another kind is denied naming what this webhook admits", async () => {
  const r = responseOf(await run(validator(), sidecarSetReview("CREATE", stored("x"), { kind: { group: "apps", version: "v1", kind: "Deployment" } })));
  assert.equal(r.allowed, false);
  assert.equal(r.status?.code, 400);
  assert.match(r.status!.message, /got apps\/v1 Deployment/);
});

test("property: any JSON as the SidecarSet is answered: allowed, or 422 with a cause per error", async () => {
  const others = [stored("other", { containers: [{ name: "logtail", image: "x:1" }], patchPodMetadata: [{ annotations: { k: "v" }, patchPolicy: "Overwrite" }] })];
  const h = validator(fakeCache({ sidecarSets: others, namespaces: { default: {} } }));
  const junk = fc.jsonValue({ maxDepth: 4 });
  const setLike = fc.oneof(
    junk,
    fc.record(
      {
        metadata: fc.oneof(fc.record({ name: fc.oneof(fc.constant("log-agent"), fc.string()), annotations: junk, labels: junk }, { requiredKeys: [] }), junk),
        spec: fc.oneof(
          fc.record(
            {
              selector: fc.oneof(fc.constant({ matchLabels: { app: "web" } }), junk),
              containers: fc.oneof(fc.array(fc.record({ name: fc.oneof(fc.constant("logtail"), fc.string()), image: junk }), { maxLength: 2 }), junk),
              patchPodMetadata: junk,
              updateStrategy: junk,
              injectionStrategy: junk,
            },
            { requiredKeys: [] },
          ),
          junk,
        ),
      },
      { requiredKeys: [] },
    ),
  );
  await fc.assert(
    fc.asyncProperty(setLike, fc.boolean(), async (object, update) => {
      const body = sidecarSetReview(update ? "UPDATE" : "CREATE", object, update ? { oldObject: object } : {});
      const a = await run(h, body);
      const r = responseOf(a);
      if (r.allowed) return;
      if (r.status!.code === 400) {
        // Not an object at all: the review itself is malformed.
        assert.match(r.status!.message, /^malformed AdmissionReview: request\.object/);
        return;
      }
      assert.equal(r.status!.code, 422);
      assert.ok(r.status!.details!.causes!.length > 0);
      assert.match(r.status!.message, /^SidecarSet\.apps\.kruise\.io ".*" is invalid: /s);
    }),
    { numRuns: 300 },
  );
});
