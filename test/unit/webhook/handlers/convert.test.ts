import assert from "node:assert/strict";
import { test } from "node:test";
import { CUSTOM_VERSION_LABEL } from "../../../../src/api/keys.js";
import { CONVERT_PATH, conversionRoutes } from "../../../../src/webhook/handlers/index.js";
import type { ConversionReview } from "../../../../src/webhook/conversion-review.js";

const route = conversionRoutes()[CONVERT_PATH]!;
const ALPHA = "apps.kruise.io/v1alpha1";
const BETA = "apps.kruise.io/v1beta1";

async function convert(body: unknown): Promise<{ status: number; review: ConversionReview }> {
  const reply = await route({ path: CONVERT_PATH, body, abandoned: false, signal: new AbortController().signal });
  return { status: reply.status, review: reply.body as ConversionReview };
}

function reviewOf(desiredAPIVersion: unknown, objects: unknown, uid: unknown = "u-1"): unknown {
  return { apiVersion: "apiextensions.k8s.io/v1", kind: "ConversionReview", request: { uid, desiredAPIVersion, objects } };
}

const alpha = {
  apiVersion: ALPHA,
  kind: "SidecarSet",
  metadata: { name: "log-agent", labels: { [CUSTOM_VERSION_LABEL]: "v2" } },
  spec: { namespace: "web", containers: [{ name: "agent", image: "agent:1" }] },
  status: { matchedPods: 3, updatedPods: 3, readyPods: 3 },
};
const beta = {
  apiVersion: BETA,
  kind: "SidecarSet",
  metadata: { name: "log-agent" },
  spec: {
    containers: [{ name: "agent", image: "agent:1" }],
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "web" } },
    customVersion: "v2",
  },
  status: { matchedPods: 3, updatedPods: 3, readyPods: 3 },
};

test("/convert answers a v1alpha1 → v1beta1 review with every object converted under the request's uid", async () => {
  const { status, review } = await convert(reviewOf(BETA, [alpha, { ...alpha, metadata: { name: "second" } }]));
  assert.equal(status, 200);
  assert.equal(review.apiVersion, "apiextensions.k8s.io/v1");
  assert.equal(review.kind, "ConversionReview");
  assert.equal(review.response.uid, "u-1");
  assert.deepEqual(review.response.result, { status: "Success" });
  assert.deepEqual(review.response.convertedObjects[0], beta);
  assert.equal((review.response.convertedObjects[1] as { apiVersion: string }).apiVersion, BETA);
});

test("/convert answers a v1beta1 → v1alpha1 review; the namespace stays a selector", async () => {
  const { review } = await convert(reviewOf(ALPHA, [beta]));
  assert.deepEqual(review.response.result, { status: "Success" });
  assert.deepEqual(review.response.convertedObjects, [
    { ...alpha, spec: { containers: alpha.spec.containers, namespaceSelector: beta.spec.namespaceSelector } },
  ]);
});

test("/convert answers an empty object list with an empty success", async () => {
  const { review } = await convert(reviewOf(ALPHA, []));
  assert.deepEqual(review.response, { uid: "u-1", convertedObjects: [], result: { status: "Success" } });
});

const malformed: { name: string; body: unknown; uid: string; message: RegExp }[] = [
  { name: "a body that is not an object", body: [1, 2], uid: "", message: /not a JSON object/ },
  { name: "null", body: null, uid: "", message: /not a JSON object/ },
  { name: "an AdmissionReview", body: { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid: "a" } }, uid: "a", message: /only apiextensions.k8s.io\/v1 ConversionReview/ },
  { name: "a review without request", body: { apiVersion: "apiextensions.k8s.io/v1", kind: "ConversionReview" }, uid: "", message: /request is missing/ },
  { name: "a request without uid", body: reviewOf(BETA, [], 7), uid: "", message: /request.uid/ },
  { name: "an unserved desired version", body: reviewOf("apps.kruise.io/v2", [alpha]), uid: "u-1", message: /desiredAPIVersion "apps.kruise.io\/v2" is not served/ },
  { name: "another group's version", body: reviewOf("apps/v1", [alpha]), uid: "u-1", message: /is not served/ },
  { name: "objects that are not a list", body: reviewOf(BETA, { a: 1 }), uid: "u-1", message: /request.objects is not a list/ },
  { name: "an object of another kind", body: reviewOf(BETA, [alpha, { apiVersion: ALPHA, kind: "Pod", metadata: { name: "p" } }]), uid: "u-1", message: /request.objects\[1\] \(SidecarSet "p"\): kind "Pod"/ },
  { name: "an object in an unserved version", body: reviewOf(BETA, [{ ...alpha, apiVersion: "apps.kruise.io/v9" }]), uid: "u-1", message: /request.objects\[0\] \(SidecarSet "log-agent"\): apiVersion "apps.kruise.io\/v9" is not served/ },
  { name: "an object that is a string", body: reviewOf(BETA, ["x"]), uid: "u-1", message: /request.objects\[0\]: expected a SidecarSet object/ },
];

for (const m of malformed) {
  test(`/convert answers ${m.name} with a failed result, not an error`, async () => {
    const { status, review } = await convert(m.body);
    assert.equal(status, 200);
    assert.equal(review.kind, "ConversionReview");
    assert.equal(review.response.uid, m.uid);
    assert.equal(review.response.result.status, "Failure");
    assert.match(review.response.result.message ?? "", m.message);
    assert.deepEqual(review.response.convertedObjects, []);
  });
}

test("/convert answers a review whose objects throw on access with a failed result", async () => {
  const hostile = new Proxy({}, { get: () => { throw new Error("boom"); }, has: () => { throw new Error("boom"); } });
  const { status, review } = await convert(reviewOf(BETA, [hostile]));
  assert.equal(status, 200);
  assert.equal(review.response.uid, "u-1");
  assert.equal(review.response.result.status, "Failure");
  assert.match(review.response.result.message ?? "", /boom/);
});
