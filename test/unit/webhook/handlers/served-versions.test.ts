// The SidecarSet webhooks answer v1beta1 requests as v1alpha1 ones, in the
// v1beta1 form the user sent.
import assert from "node:assert/strict";
import { test } from "node:test";
import jsonpatch from "fast-json-patch";
import { convertSidecarSet } from "../../../../src/api/conversion.js";
import { defaultSidecarSet } from "../../../../src/api/defaults.js";
import { CUSTOM_VERSION_LABEL } from "../../../../src/api/keys.js";
import type { SidecarSet } from "../../../../src/api/types.js";
import { admissionRoutes, MUTATE_SIDECARSET_PATH, VALIDATE_SIDECARSET_PATH } from "../../../../src/webhook/handlers/index.js";
import { capturingLogger, fakeCache, patchOf, review } from "./fixtures.js";

const BETA_KIND = { group: "apps.kruise.io", version: "v1beta1", kind: "SidecarSet" };
const BETA_RESOURCE = { group: "apps.kruise.io", version: "v1beta1", resource: "sidecarsets" };

function routes(sidecarSets: SidecarSet[] = []) {
  const deps = { cache: fakeCache({ sidecarSets, namespaces: { web: { "kubernetes.io/metadata.name": "web" } } }), now: () => new Date(0), random: () => 0.5, logger: capturingLogger().logger };
  const all = admissionRoutes(deps);
  const asHandler = (path: string) => (body: unknown) => all[path]!({ path, body, abandoned: false, signal: new AbortController().signal });
  return { mutate: asHandler(MUTATE_SIDECARSET_PATH), validate: asHandler(VALIDATE_SIDECARSET_PATH) };
}

function betaSet(spec: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: "apps.kruise.io/v1beta1",
    kind: "SidecarSet",
    metadata: { name: "log-agent", labels: { team: "obs" } },
    spec: {
      selector: { matchLabels: { app: "web" } },
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "web" } },
      customVersion: "2024-01",
      containers: [{ name: "logtail", image: "logtail:1.0" }],
      ...spec,
    },
  };
}

function betaReview(operation: "CREATE" | "UPDATE", object: unknown, oldObject?: unknown): Record<string, unknown> {
  return review({
    uid: "beta-uid",
    kind: BETA_KIND,
    resource: BETA_RESOURCE,
    name: "log-agent",
    operation,
    userInfo: { username: "admin" },
    object,
    ...(oldObject ? { oldObject } : {}),
  });
}

/** The AdmissionResponse a route answers with. */
async function answer(route: (body: unknown) => unknown, body: unknown) {
  const reply = (await route(body)) as { status: number; body: { response: Parameters<typeof patchOf>[0] } };
  assert.equal(reply.status, 200);
  return reply.body.response;
}

test("v1beta1 CREATE: the defaulting patch applies to the object as sent and leaves customVersion and namespaceSelector alone", async () => {
  const object = betaSet();
  const r = await answer(routes().mutate, betaReview("CREATE", object));
  assert.equal(r.allowed, true);
  const ops = patchOf(r);
  for (const op of ops) assert.doesNotMatch(op.path, /customVersion|namespaceSelector|labels/, `patch touches ${op.path}`);
  const out = jsonpatch.applyPatch(structuredClone(object), ops, true, false).newDocument as Record<string, unknown>;
  // The same defaults as for the v1alpha1 form of the same SidecarSet.
  const alphaDefaulted = defaultSidecarSet(convertSidecarSet(object, "v1alpha1") as unknown as SidecarSet);
  assert.deepEqual(out, convertSidecarSet(alphaDefaulted as unknown as Record<string, unknown>, "v1beta1"));
  assert.equal((out.apiVersion as string), "apps.kruise.io/v1beta1");
  assert.match((out.metadata as { annotations: Record<string, string> }).annotations["kruise.io/sidecarset-hash"]!, /^[a-z0-9]{64}$/);
});

test("v1beta1 and v1alpha1 forms of one SidecarSet get the same hash annotations", async () => {
  const beta = betaSet();
  const alpha = convertSidecarSet(beta, "v1alpha1");
  const { mutate } = routes();
  const betaOut = jsonpatch.applyPatch(structuredClone(beta), patchOf(await answer(mutate, betaReview("CREATE", beta))), true, false).newDocument as unknown as SidecarSet;
  const alphaReview = betaReview("CREATE", alpha) as { request: Record<string, unknown> };
  alphaReview.request.kind = { ...BETA_KIND, version: "v1alpha1" };
  alphaReview.request.resource = { ...BETA_RESOURCE, version: "v1alpha1" };
  const alphaOut = jsonpatch.applyPatch(structuredClone(alpha), patchOf(await answer(mutate, alphaReview)), true, false).newDocument as unknown as SidecarSet;
  assert.deepEqual(betaOut.metadata.annotations, alphaOut.metadata.annotations);
  assert.equal(alphaOut.metadata.labels?.[CUSTOM_VERSION_LABEL], "2024-01");
});

test("a defaulted v1beta1 object gets no patch", async () => {
  const alphaDefaulted = defaultSidecarSet(convertSidecarSet(betaSet(), "v1alpha1") as unknown as SidecarSet);
  const beta = convertSidecarSet(alphaDefaulted as unknown as Record<string, unknown>, "v1beta1");
  const r = await answer(routes().mutate, betaReview("UPDATE", beta, beta));
  assert.equal(r.allowed, true);
  assert.equal(r.patch, undefined);
});

test("v1beta1 validation denies with the v1beta1 field path of the problem", async () => {
  const object = betaSet({ namespaceSelector: { matchExpressions: [{ key: "env", operator: "Sideways" }] } });
  const r = await answer(routes().validate, betaReview("CREATE", object));
  assert.equal(r.allowed, false);
  assert.equal(r.status?.code, 422);
  const fields = (r.status?.details?.causes ?? []).map((c) => c.field);
  assert.ok(fields.some((f) => f.startsWith("spec.namespaceSelector")), JSON.stringify(r.status));
});

test("a valid v1beta1 SidecarSet is allowed", async () => {
  const r = await answer(routes().validate, betaReview("CREATE", betaSet()));
  assert.equal(r.allowed, true, JSON.stringify(r.status));
});

test("v1alpha1 requests are handled as before", async () => {
  const alpha = convertSidecarSet(betaSet(), "v1alpha1");
  const body = betaReview("CREATE", alpha) as { request: Record<string, unknown> };
  body.request.kind = { ...BETA_KIND, version: "v1alpha1" };
  body.request.resource = { ...BETA_RESOURCE, version: "v1alpha1" };
  assert.equal((await answer(routes().validate, body)).allowed, true);
  const out = jsonpatch.applyPatch(structuredClone(alpha), patchOf(await answer(routes().mutate, body)), true, false).newDocument;
  assert.deepEqual(out, defaultSidecarSet(alpha as unknown as SidecarSet));
});

test("a v1beta1 customVersion that is no valid label value is refused at spec.customVersion", async () => {
  const r = await answer(routes().validate, betaReview("CREATE", betaSet({ customVersion: "not a label value!" })));
  assert.equal(r.allowed, false);
  assert.equal(r.status?.code, 422);
  const causes = r.status?.details?.causes ?? [];
  assert.deepEqual(causes.map((c) => c.field), ["spec.customVersion"], JSON.stringify(r.status));
  assert.match(causes[0]!.message, /v1alpha1 clients read it as label apps\.kruise\.io\/sidecarset-custom-version/);
  assert.match(r.status?.message ?? "", /^SidecarSet\.apps\.kruise\.io "log-agent" is invalid: spec\.customVersion: /);
  assert.doesNotMatch(r.status?.message ?? "", /metadata\.labels/);
});
