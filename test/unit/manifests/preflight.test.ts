import assert from "node:assert/strict";
import { test } from "node:test";
import { sidecarSetCRD } from "../../../src/manifests/crd.js";
import { preflightFindings, type CrdObject, type WebhookConfigurationObject } from "../../../src/manifests/preflight.js";
import { webhookManifests } from "../../../src/manifests/webhook.js";

const ourCrd = sidecarSetCRD() as unknown as CrdObject;
const ourWebhooks = webhookManifests() as unknown as WebhookConfigurationObject[];
const kruiseService = { service: { name: "kruise-webhook-service", namespace: "kruise-system", path: "/mutate-pod" } };

// OpenKruise's configuration, as data: a pod webhook that fails closed next to its SidecarSet webhook.
const kruiseMutating: WebhookConfigurationObject = {
  kind: "MutatingWebhookConfiguration",
  metadata: { name: "kruise-mutating-webhook-configuration" },
  webhooks: [
    { name: "mpod.kb.io", failurePolicy: "Fail", clientConfig: kruiseService, rules: [{ apiGroups: [""], resources: ["pods"], operations: ["CREATE"] }] },
    {
      name: "msidecarset.kb.io",
      failurePolicy: "Fail",
      clientConfig: { service: { ...kruiseService.service, path: "/mutate-apps-kruise-io-v1alpha1-sidecarset" } },
      rules: [{ apiGroups: ["apps.kruise.io"], resources: ["sidecarsets"], operations: ["CREATE", "UPDATE"] }],
    },
  ],
};
const unrelated: WebhookConfigurationObject = {
  kind: "MutatingWebhookConfiguration",
  metadata: { name: "istio-sidecar-injector" },
  webhooks: [{ name: "sidecar-injector.istio.io", failurePolicy: "Fail", rules: [{ apiGroups: [""], resources: ["pods"], operations: ["CREATE"] }] }],
};
const withConversion = (clientConfig: unknown): CrdObject => {
  const crd = structuredClone(ourCrd);
  crd.spec!.conversion = { strategy: "Webhook", webhook: { clientConfig: clientConfig as never } };
  return crd;
};

test("preflight: our own objects and other managers' unrelated pod webhooks are fine", () => {
  assert.deepEqual(preflightFindings({ webhookConfigurations: [...ourWebhooks, unrelated], crd: ourCrd }), []);
});

test("preflight: another SidecarSet manager's webhook configuration is named, with its pod webhook that fails closed", () => {
  const [finding, ...rest] = preflightFindings({ webhookConfigurations: [...ourWebhooks, kruiseMutating], crd: ourCrd });
  assert.deepEqual(rest, []);
  assert.equal(finding!.subject, "MutatingWebhookConfiguration kruise-mutating-webhook-configuration");
  assert.match(finding!.problem, /webhook msidecarset\.kb\.io admits SidecarSets for another manager \(at service kruise-system\/kruise-webhook-service\/mutate-apps-kruise-io-v1alpha1-sidecarset\)/);
  assert.match(finding!.problem, /webhook mpod\.kb\.io fails closed for every new pod/);
  assert.equal(finding!.fix, "remove that manager and kubectl delete mutatingwebhookconfiguration kruise-mutating-webhook-configuration");
});

const crdCases: { name: string; crd: CrdObject | undefined; problem: RegExp }[] = [
  { name: "a missing CRD", crd: undefined, problem: /is not installed/ },
  {
    name: "an earlier release's CRD (v1beta1 listed, not served)",
    crd: { spec: { versions: [{ name: "v1alpha1", served: true, storage: true }, { name: "v1beta1", served: false, storage: false }] } },
    problem: /does not serve and store v1beta1/,
  },
  { name: "conversion without a webhook", crd: { spec: { versions: ourCrd.spec!.versions!, conversion: { strategy: "None" } } }, problem: /without a webhook/ },
  {
    name: "conversion through OpenKruise's manager",
    crd: withConversion({ service: { name: "kruise-webhook-service", namespace: "kruise-system", path: "/convert" } }),
    problem: /converts through service kruise-system\/kruise-webhook-service\/convert, not this manager \(service sidecarset-system\/sidecarset-webhook-conversion\/convert\)/,
  },
];
for (const c of crdCases) {
  test(`preflight: ${c.name} is reported with the step that fixes it`, () => {
    const findings = preflightFindings({ webhookConfigurations: ourWebhooks, crd: c.crd });
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.subject, "CustomResourceDefinition sidecarsets.apps.kruise.io");
    assert.match(findings[0]!.problem, c.problem);
    assert.match(findings[0]!.fix, /sidecarset manifests --only crd \| kubectl apply -f -/);
  });
}

test("preflight: with a webhook host the CRD must call that URL", () => {
  const options = { webhookHost: "127.0.0.1", webhookPort: 19443 };
  const hosted = sidecarSetCRD(options) as unknown as CrdObject;
  assert.deepEqual(preflightFindings({ webhookConfigurations: [], crd: hosted }, options), []);
  assert.match(preflightFindings({ webhookConfigurations: [], crd: ourCrd }, options)[0]!.problem, /not this manager \(https:\/\/127\.0\.0\.1:19443\/convert\)/);
});
