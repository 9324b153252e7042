import assert from "node:assert/strict";
import { test } from "node:test";
import type { LabelSelector } from "../../../src/api/kube-types.js";
import { selectorMatches } from "../../../src/core/selector.js";
import { namespaceManifest } from "../../../src/manifests/manager.js";
import {
  MUTATE_POD_PATH,
  MUTATE_POD_WEBHOOK,
  MUTATE_SIDECARSET_PATH,
  MUTATE_SIDECARSET_WEBHOOK,
  VALIDATE_SIDECARSET_PATH,
  VALIDATE_SIDECARSET_WEBHOOK,
  mutatingWebhookConfiguration,
  validatingWebhookConfiguration,
  webhookManifests,
} from "../../../src/manifests/webhook.js";
import type { ManifestOptions } from "../../../src/manifests/options.js";

interface Webhook {
  name: string;
  clientConfig: { url?: string; caBundle?: string; service?: { name: string; namespace: string; path: string; port: number } };
  rules: { apiGroups: string[]; apiVersions: string[]; resources: string[]; operations: string[]; scope?: string }[];
  namespaceSelector?: LabelSelector;
  failurePolicy: string;
  sideEffects: string;
  admissionReviewVersions: string[];
  timeoutSeconds: number;
  reinvocationPolicy?: string;
}

function webhooks(options: ManifestOptions = {}): Webhook[] {
  return webhookManifests(options).flatMap((c) => c.webhooks as Webhook[]);
}

function webhook(name: string, options: ManifestOptions = {}): Webhook {
  const w = webhooks(options).find((x) => x.name === name);
  assert.ok(w, `no webhook ${name}`);
  return w;
}

const podWebhook = webhook(MUTATE_POD_WEBHOOK);

test("the configurations have the names the manager and the RBAC rules use", () => {
  assert.equal((mutatingWebhookConfiguration().metadata as { name: string }).name, "sidecarset-mutating-webhook-configuration");
  assert.equal(
    (validatingWebhookConfiguration().metadata as { name: string }).name,
    "sidecarset-validating-webhook-configuration",
  );
});

test("the mutating configuration holds the pod and SidecarSet webhooks; the validating one the SidecarSet check", () => {
  assert.deepEqual(
    (mutatingWebhookConfiguration().webhooks as Webhook[]).map((w) => w.name),
    [MUTATE_POD_WEBHOOK, MUTATE_SIDECARSET_WEBHOOK],
  );
  assert.deepEqual((validatingWebhookConfiguration().webhooks as Webhook[]).map((w) => w.name), [VALIDATE_SIDECARSET_WEBHOOK]);
});

for (const w of webhooks()) {
  test(`${w.name}: fully-qualified name, sideEffects None, failurePolicy Fail, AdmissionReview v1, timeout within 1-30 s`, () => {
    assert.match(w.name, /^[a-z0-9-]+(\.[a-z0-9-]+){2,}$/);
    assert.equal(w.sideEffects, "None");
    assert.equal(w.failurePolicy, "Fail");
    assert.deepEqual(w.admissionReviewVersions, ["v1"]);
    assert.ok(w.timeoutSeconds >= 1 && w.timeoutSeconds <= 30);
  });
}

test("the pod webhook is registered for pod CREATE only: sidecars are never added to existing pods", () => {
  assert.deepEqual(podWebhook.rules, [
    { apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], operations: ["CREATE"], scope: "Namespaced" },
  ]);
});

test("the pod webhook is not re-invoked after other mutating webhooks", () => {
  assert.equal(podWebhook.reinvocationPolicy, "Never");
});

test("the SidecarSet webhooks see sidecarsets of both served versions on CREATE and UPDATE, each as sent", () => {
  for (const name of [MUTATE_SIDECARSET_WEBHOOK, VALIDATE_SIDECARSET_WEBHOOK]) {
    assert.deepEqual(webhook(name).rules, [
      {
        apiGroups: ["apps.kruise.io"],
        apiVersions: ["v1alpha1", "v1beta1"],
        resources: ["sidecarsets"],
        operations: ["CREATE", "UPDATE"],
        scope: "Cluster",
      },
    ]);
  }
});

test("each webhook calls its own path on the Service's port 443", () => {
  const paths: [string, string][] = [
    [MUTATE_POD_WEBHOOK, MUTATE_POD_PATH],
    [MUTATE_SIDECARSET_WEBHOOK, MUTATE_SIDECARSET_PATH],
    [VALIDATE_SIDECARSET_WEBHOOK, VALIDATE_SIDECARSET_PATH],
  ];
  for (const [name, path] of paths) {
    assert.deepEqual(webhook(name).clientConfig, {
      service: { name: "sidecarset-webhook", namespace: "sidecarset-system", path, port: 443 },
    });
  }
  assert.deepEqual([MUTATE_POD_PATH, MUTATE_SIDECARSET_PATH, VALIDATE_SIDECARSET_PATH], [
    "/mutate-pod",
    "/mutate-apps-kruise-io-sidecarset",
    "/validate-apps-kruise-io-sidecarset",
  ]);
});

// Namespace labels as the API server sets them (kubernetes.io/metadata.name is automatic).
const nsLabels = (name: string, extra: Record<string, string> = {}) => ({ "kubernetes.io/metadata.name": name, ...extra });
const namespaceCases: { name: string; labels: Record<string, string>; injected: boolean }[] = [
  { name: "an ordinary namespace gets injection", labels: nsLabels("demo"), injected: true },
  { name: "default gets injection", labels: nsLabels("default"), injected: true },
  { name: "kube-system is excluded", labels: nsLabels("kube-system"), injected: false },
  {
    name: "the manager namespace is excluded by its control-plane label",
    labels: (namespaceManifest().metadata as { labels: Record<string, string> }).labels,
    injected: false,
  },
  { name: "the manager namespace is excluded by name even without its label", labels: nsLabels("sidecarset-system"), injected: false },
  { name: "any namespace labelled control-plane is excluded", labels: nsLabels("infra", { "control-plane": "x" }), injected: false },
];
for (const c of namespaceCases) {
  test(`pod webhook namespaceSelector: ${c.name}`, () => {
    assert.equal(selectorMatches(podWebhook.namespaceSelector, c.labels), c.injected);
  });
}

test("a custom manager namespace is the one excluded by name", () => {
  const w = webhook(MUTATE_POD_WEBHOOK, { namespace: "platform" });
  assert.equal(selectorMatches(w.namespaceSelector, nsLabels("platform")), false);
  assert.equal(selectorMatches(w.namespaceSelector, nsLabels("sidecarset-system")), true);
  assert.equal(w.clientConfig.service?.namespace, "platform");
});

test("the SidecarSet webhooks have no namespaceSelector: SidecarSets are cluster-scoped", () => {
  assert.equal(webhook(MUTATE_SIDECARSET_WEBHOOK).namespaceSelector, undefined);
  assert.equal(webhook(VALIDATE_SIDECARSET_WEBHOOK).namespaceSelector, undefined);
});

test("webhookHost mode calls https://HOST:PORT/<path> instead of the Service", () => {
  const opts = { webhookHost: "127.0.0.1", webhookPort: 19443 };
  assert.deepEqual(webhook(MUTATE_POD_WEBHOOK, opts).clientConfig, { url: "https://127.0.0.1:19443/mutate-pod" });
  assert.deepEqual(webhook(VALIDATE_SIDECARSET_WEBHOOK, opts).clientConfig, {
    url: "https://127.0.0.1:19443/validate-apps-kruise-io-sidecarset",
  });
});

test("webhookHost mode puts an IPv6 address in brackets", () => {
  const w = webhook(MUTATE_POD_WEBHOOK, { webhookHost: "::1", webhookPort: 9443 });
  assert.equal(w.clientConfig.url, "https://[::1]:9443/mutate-pod");
});

test("a given caBundle is set on every webhook; without one the field is absent for the manager to fill", () => {
  for (const w of webhooks({ caBundle: "Q0E=" })) assert.equal(w.clientConfig.caBundle, "Q0E=");
  for (const w of webhooks({ caBundle: "Q0E=", webhookHost: "10.0.0.1" })) assert.equal(w.clientConfig.caBundle, "Q0E=");
  for (const w of webhooks()) assert.ok(!("caBundle" in w.clientConfig));
});
