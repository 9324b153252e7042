// Names and settings shared by every manifest builder. The names are fixed
// (not derived from a release name) because the manager looks its webhook
// configurations and Secret up by these names, and the RBAC rules restrict
// access to exactly them.
import { createRequire } from "node:module";
import {
  CONTROL_PLANE_LABEL,
  CONTROL_PLANE_LABEL_VALUE,
  DEFAULT_MANAGER_NAMESPACE,
} from "../api/keys.js";

export const MANAGER_NAME = "sidecarset-manager";
export const SERVICE_ACCOUNT_NAME = MANAGER_NAME;
export const CLUSTER_ROLE_NAME = MANAGER_NAME;
export const ROLE_NAME = MANAGER_NAME;
export const WEBHOOK_SERVICE_NAME = "sidecarset-webhook";
/**
 * The Service the CRD's conversion webhook calls. Unlike the webhook Service
 * it also routes to manager pods that are not ready yet: a starting manager
 * becomes ready only after its first list of SidecarSets, and SidecarSets an
 * earlier release stored as v1alpha1 are listed only through `/convert`.
 */
export function conversionServiceName(webhookServiceName: string): string {
  return `${webhookServiceName}-conversion`;
}
export const WEBHOOK_CERT_SECRET_NAME = "sidecarset-webhook-certs";
export const MUTATING_WEBHOOK_CONFIGURATION_NAME = "sidecarset-mutating-webhook-configuration";
export const VALIDATING_WEBHOOK_CONFIGURATION_NAME = "sidecarset-validating-webhook-configuration";

export const DEFAULT_WEBHOOK_CONTAINER_PORT = 9443;
export const DEFAULT_WEBHOOK_SERVICE_PORT = 443;
export const DEFAULT_METRICS_PORT = 8080;
export const DEFAULT_REPLICAS = 2;
export const DEFAULT_WEBHOOK_TIMEOUT_SECONDS = 10;

/** Labels every object we ship carries, so `kubectl get -l` finds all of them. */
export const PART_OF_LABELS: Readonly<Record<string, string>> = {
  "app.kubernetes.io/name": "sidecarset",
  "app.kubernetes.io/part-of": "sidecarset",
};

/** Labels of the manager pods; the Service and the PodDisruptionBudget select on them. */
export const MANAGER_POD_LABELS: Readonly<Record<string, string>> = {
  "app.kubernetes.io/name": "sidecarset",
  "app.kubernetes.io/component": "manager",
  [CONTROL_PLANE_LABEL]: CONTROL_PLANE_LABEL_VALUE,
};

export interface ManifestOptions {
  /** Namespace of the manager, its revisions, Secret and Lease. */
  namespace?: string;
  /** Manager container image; defaults to `sidecarset:<package version>`. */
  image?: string;
  replicas?: number;
  /** Name of the Service in front of the webhook server (in-cluster mode). */
  webhookServiceName?: string;
  /** Port the webhook server listens on: the container port in-cluster, the URL port with `webhookHost`. */
  webhookPort?: number;
  /**
   * Out-of-cluster mode: the webhook configurations call `https://HOST:PORT/<path>`
   * instead of the Service.
   */
  webhookHost?: string;
  /** Base64-encoded PEM CA bundle for the webhook configurations; absent = the manager writes it. */
  caBundle?: string;
}

export interface ResolvedOptions {
  namespace: string;
  image: string;
  replicas: number;
  webhookServiceName: string;
  webhookPort: number;
  webhookHost: string | undefined;
  caBundle: string | undefined;
}

export function packageVersion(): string {
  const require = createRequire(import.meta.url);
  try {
    return (require("../../package.json") as { version: string }).version;
  } catch {
    return "latest";
  }
}

export function defaultImage(): string {
  return `sidecarset:${packageVersion()}`;
}

export function resolveOptions(opts: ManifestOptions = {}): ResolvedOptions {
  return {
    namespace: opts.namespace ?? DEFAULT_MANAGER_NAMESPACE,
    image: opts.image ?? defaultImage(),
    replicas: opts.replicas ?? DEFAULT_REPLICAS,
    webhookServiceName: opts.webhookServiceName ?? WEBHOOK_SERVICE_NAME,
    webhookPort: opts.webhookPort ?? DEFAULT_WEBHOOK_CONTAINER_PORT,
    webhookHost: opts.webhookHost,
    caBundle: opts.caBundle,
  };
}

/** A Kubernetes object as plain JSON, the form the YAML writer and kubectl take. */
export type Manifest = Record<string, unknown> & { apiVersion: string; kind: string };
