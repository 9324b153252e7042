import assert from "node:assert/strict";
import { test } from "node:test";
import { waitForWebhooksCalled } from "../../../src/local/environment.js";

interface Call {
  path: string;
  body: { apiVersion?: string; kind?: string };
  query: Record<string, unknown> | undefined;
}

test("the local environment waits until a dry run of a v1alpha1 SidecarSet gets through the webhooks", async () => {
  const calls: Call[] = [];
  const failures = [
    'conversion webhook for apps.kruise.io/v1alpha1, Kind=SidecarSet failed: Post "https://127.0.0.1:1/convert": tls: failed to verify certificate: x509: certificate signed by unknown authority',
    'Internal error occurred: failed calling webhook "validate.sidecarset.apps.kruise.io": connection refused',
  ];
  const client = {
    create: async (path: string, body: unknown, opts?: { query?: Record<string, unknown> }) => {
      calls.push({ path, body: body as Call["body"], query: opts?.query });
      const failure = failures.shift();
      if (failure) throw new Error(failure);
      return body;
    },
  };
  await waitForWebhooksCalled(client as never, 10_000);
  assert.equal(calls.length, 3, "tried until the API server called the webhooks");
  for (const call of calls) {
    assert.equal(call.path, "/apis/apps.kruise.io/v1alpha1/sidecarsets");
    assert.equal(call.body.apiVersion, "apps.kruise.io/v1alpha1", "as v1alpha1, so that the API server converts it to the stored version");
    assert.equal(call.body.kind, "SidecarSet");
    assert.deepEqual(call.query, { dryRun: "All" }, "a dry run: nothing is stored");
  }
});

test("the wait gives up with the last error when the API server never calls the webhooks", async () => {
  const client = {
    create: async () => {
      throw new Error("x509: certificate signed by unknown authority");
    },
  };
  await assert.rejects(waitForWebhooksCalled(client as never, 500), /call the manager's webhooks.*certificate signed by unknown authority/);
});
