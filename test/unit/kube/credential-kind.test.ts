import assert from "node:assert/strict";
import { test } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { credentialKind } from "../../../src/kube/credential-kind.js";

function kindOf(user: Record<string, unknown>, cluster: Record<string, unknown> = {}): ReturnType<typeof credentialKind> {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: "https://api.example:6443", ...cluster }],
    users: [{ name: "u", ...user }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return credentialKind(kc.getCurrentCluster(), kc.getCurrentUser());
}

test("static credentials are relayable; the files they are read from are watched", () => {
  assert.deepEqual(kindOf({ token: "t" }), { kind: "relayable", files: [] });
  assert.deepEqual(kindOf({ username: "a", password: "b" }, { caData: "Q0E=" }), { kind: "relayable", files: [] });
  assert.deepEqual(kindOf({ certFile: "/pki/client.crt", keyFile: "/pki/client.key" }, { caFile: "/pki/ca.crt" }), {
    kind: "relayable",
    files: ["/pki/ca.crt", "/pki/client.crt", "/pki/client.key"],
  });
});

test("the in-cluster service account is relayable and its rotating token file is watched", () => {
  const kind = kindOf({ authProvider: { name: "tokenFile", config: { tokenFile: "/sa/token" } } }, { caFile: "/sa/ca.crt" });
  assert.deepEqual(kind, { kind: "relayable", files: ["/sa/ca.crt", "/sa/token"] });
});

test("credentials a plugin renews, or a proxy, keep the library in the process", () => {
  const exec = kindOf({ exec: { command: "aws", args: ["eks", "get-token"], apiVersion: "client.authentication.k8s.io/v1" } });
  assert.equal(exec.kind, "in-process");
  assert.match((exec as { reason: string }).reason, /exec credential plugin/);
  for (const name of ["oidc", "gcp", "azure", "something-new"]) {
    const kind = kindOf({ authProvider: { name, config: { "id-token": "x", tokenFile: "/also/a/file" } } });
    assert.equal(kind.kind, "in-process", name);
    assert.match((kind as { reason: string }).reason, new RegExp(`"${name}"`));
  }
  const proxied = kindOf({ token: "t" }, { proxyUrl: "http://proxy:3128" });
  assert.deepEqual(proxied, { kind: "in-process", reason: "the cluster is reached through a proxy" });
  assert.equal(credentialKind(null, null).kind, "in-process");
});
