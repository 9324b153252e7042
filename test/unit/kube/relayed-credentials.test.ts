import assert from "node:assert/strict";
import type https from "node:https";
import { test } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { RelayedCredentials, resolveCredentials, sameCredentials } from "../../../src/kube/relayed-credentials.js";

function kubeConfig(user: Record<string, unknown>, cluster: Record<string, unknown> = {}): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: "https://api.example:6443", caData: Buffer.from("CA PEM").toString("base64"), ...cluster }],
    users: [{ name: "u", ...user }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return kc;
}

test("a bearer token, the cluster CA and the server survive the hand-over as plain data", async () => {
  const resolved = await resolveCredentials(kubeConfig({ token: "t0k3n" }));
  assert.ok(resolved);
  assert.equal(resolved.server, "https://api.example:6443");
  assert.equal(resolved.tls.ca, "CA PEM");
  assert.equal(resolved.headers.Authorization, "Bearer t0k3n");
  assert.deepEqual(structuredClone(resolved), resolved, "structured-cloneable without loss");

  const relayed = new RelayedCredentials(resolved);
  const options: https.RequestOptions = { headers: { "X-Keep": "1" } };
  await relayed.applyToHTTPSOptions(options);
  assert.deepEqual(options.headers, { "X-Keep": "1", Authorization: "Bearer t0k3n" });
  assert.equal(options.ca, "CA PEM");
  assert.deepEqual(relayed.getCurrentCluster(), { server: "https://api.example:6443" });
});

test("basic auth becomes an Authorization header; a changed token is a change", async () => {
  const basic = await resolveCredentials(kubeConfig({ username: "admin", password: "secret" }));
  assert.equal(basic?.headers.Authorization, `Basic ${Buffer.from("admin:secret").toString("base64")}`);
  const a = await resolveCredentials(kubeConfig({ token: "a" }));
  const b = await resolveCredentials(kubeConfig({ token: "b" }));
  assert.equal(sameCredentials(a, await resolveCredentials(kubeConfig({ token: "a" }))), true);
  assert.equal(sameCredentials(a, b), false);
});

test("credentials behind a proxy are not relayed (a proxy agent is not plain data)", async () => {
  assert.equal(await resolveCredentials(kubeConfig({ token: "t" }, { proxyUrl: "http://proxy:3128" })), undefined);
});
