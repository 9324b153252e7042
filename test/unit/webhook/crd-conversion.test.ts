import assert from "node:assert/strict";
import { test } from "node:test";
import { KubeApiError } from "../../../src/kube/errors.js";
import { crdConversion } from "../../../src/manifests/crd.js";
import { pointCrdConversionAt } from "../../../src/webhook/crd-conversion.js";

const CRD = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/sidecarsets.apps.kruise.io";

test("with a webhook host the CRD's whole conversion is replaced, so no Service is left beside the URL", async () => {
  const calls: { path: string; body: unknown; type?: string }[] = [];
  const client = {
    patch: async <T>(path: string, body: unknown, type?: string): Promise<T> => {
      calls.push({ path, body, ...(type ? { type } : {}) });
      return {} as T;
    },
  };
  const options = { webhookHost: "127.0.0.1", webhookPort: 19443, caBundle: "Q0E=" };
  assert.equal(await pointCrdConversionAt(client, options), true);
  assert.equal(calls.length, 1);
  assert.equal(calls[0]!.path, CRD);
  assert.deepEqual(calls[0]!.body, [{ op: "replace", path: "/spec/conversion", value: crdConversion(options) }]);
  assert.equal(calls[0]!.type, "application/json-patch+json");
  assert.deepEqual((crdConversion(options).webhook as { clientConfig: unknown }).clientConfig, {
    url: "https://127.0.0.1:19443/convert",
    caBundle: "Q0E=",
  });
});

test("a missing CRD is reported, other errors are not swallowed", async () => {
  const failing = (e: Error) => ({ patch: async <T>(): Promise<T> => Promise.reject(e) });
  assert.equal(await pointCrdConversionAt(failing(new KubeApiError(404, "NotFound", "not found")), {}), false);
  await assert.rejects(pointCrdConversionAt(failing(new KubeApiError(403, "Forbidden", "no")), {}), /no/);
});
