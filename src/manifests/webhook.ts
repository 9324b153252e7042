// The admission webhook configurations (docs/behaviour.md §5.1, §7). The pod webhook is
// registered for CREATE only and never for the manager's namespace or
// kube-system, so the manager's own pods and the cluster's system pods start
// even while no manager replica answers (failurePolicy is Fail).
import { CONTROL_PLANE_LABEL } from "../api/keys.js";
import { SERVED_VERSIONS } from "../api/conversion.js";
import { GROUP, PLURAL } from "../api/types.js";
import {
  DEFAULT_WEBHOOK_SERVICE_PORT,
  DEFAULT_WEBHOOK_TIMEOUT_SECONDS,
  MUTATING_WEBHOOK_CONFIGURATION_NAME,
  PART_OF_LABELS,
  VALIDATING_WEBHOOK_CONFIGURATION_NAME,
  resolveOptions,
  type Manifest,
  type ManifestOptions,
  type ResolvedOptions,
} from "./options.js";

export const MUTATE_POD_PATH = "/mutate-pod";
export const MUTATE_SIDECARSET_PATH = "/mutate-apps-kruise-io-sidecarset";
export const VALIDATE_SIDECARSET_PATH = "/validate-apps-kruise-io-sidecarset";

export const MUTATE_POD_WEBHOOK = "mutate-pod.sidecarset.kruise.io";
export const MUTATE_SIDECARSET_WEBHOOK = "mutate-sidecarset.sidecarset.kruise.io";
export const VALIDATE_SIDECARSET_WEBHOOK = "validate-sidecarset.sidecarset.kruise.io";

/** Namespaces the pod webhook never sees, besides any labelled `control-plane`. */
export function excludedNamespaces(managerNamespace: string): string[] {
  return [...new Set(["kube-system", managerNamespace])];
}

export function podNamespaceSelector(managerNamespace: string): Record<string, unknown> {
  return {
    matchExpressions: [
      { key: CONTROL_PLANE_LABEL, operator: "DoesNotExist" },
      { key: "kubernetes.io/metadata.name", operator: "NotIn", values: excludedNamespaces(managerNamespace) },
    ],
  };
}

/** How the API server reaches `path` on the manager: through its Service, or at `webhookHost`. */
export function webhookClientConfig(options: ManifestOptions, path: string): Record<string, unknown> {
  return clientConfig(resolveOptions(options), path);
}

function clientConfig(o: ResolvedOptions, path: string): Record<string, unknown> {
  const config: Record<string, unknown> =
    o.webhookHost !== undefined
      ? { url: `https://${hostForUrl(o.webhookHost)}:${o.webhookPort}${path}` }
      : { service: { name: o.webhookServiceName, namespace: o.namespace, path, port: DEFAULT_WEBHOOK_SERVICE_PORT } };
  if (o.caBundle !== undefined) config.caBundle = o.caBundle;
  return config;
}

/** An IPv6 literal needs brackets in a URL. */
function hostForUrl(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

function commonSettings(): Record<string, unknown> {
  return {
    failurePolicy: "Fail",
    sideEffects: "None",
    admissionReviewVersions: ["v1"],
    timeoutSeconds: DEFAULT_WEBHOOK_TIMEOUT_SECONDS,
  };
}

function sidecarSetRules(): Record<string, unknown>[] {
  return [
    {
      apiGroups: [GROUP],
      // Both versions, so each request is checked as the user sent it, with
      // that version's field paths, and needs no conversion first.
      apiVersions: [...SERVED_VERSIONS],
      resources: [PLURAL],
      operations: ["CREATE", "UPDATE"],
      scope: "Cluster",
    },
  ];
}

export function mutatingWebhookConfiguration(options: ManifestOptions = {}): Manifest {
  const o = resolveOptions(options);
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingWebhookConfiguration",
    metadata: { name: MUTATING_WEBHOOK_CONFIGURATION_NAME, labels: { ...PART_OF_LABELS } },
    webhooks: [
      {
        name: MUTATE_POD_WEBHOOK,
        clientConfig: clientConfig(o, MUTATE_POD_PATH),
        rules: [
          { apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], operations: ["CREATE"], scope: "Namespaced" },
        ],
        namespaceSelector: podNamespaceSelector(o.namespace),
        // No matchConditions: the Lease holder keeps them at run time, like the
        // caBundle (docs/behaviour.md §7a.2); until then every pod is sent.
        ...commonSettings(),
        // Sidecars are added once; a later webhook's change must not make us add them again.
        reinvocationPolicy: "Never",
      },
      {
        name: MUTATE_SIDECARSET_WEBHOOK,
        clientConfig: clientConfig(o, MUTATE_SIDECARSET_PATH),
        rules: sidecarSetRules(),
        ...commonSettings(),
        reinvocationPolicy: "Never",
      },
    ],
  };
}

export function validatingWebhookConfiguration(options: ManifestOptions = {}): Manifest {
  const o = resolveOptions(options);
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: VALIDATING_WEBHOOK_CONFIGURATION_NAME, labels: { ...PART_OF_LABELS } },
    webhooks: [
      {
        name: VALIDATE_SIDECARSET_WEBHOOK,
        clientConfig: clientConfig(o, VALIDATE_SIDECARSET_PATH),
        rules: sidecarSetRules(),
        ...commonSettings(),
      },
    ],
  };
}

export function webhookManifests(options: ManifestOptions = {}): Manifest[] {
  return [mutatingWebhookConfiguration(options), validatingWebhookConfiguration(options)];
}
