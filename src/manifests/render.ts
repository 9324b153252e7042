// Groups the manifests in apply order and writes them as multi-document YAML.
import { toYamlDocuments } from "../api/yaml.js";
import { prometheusRule } from "./alerts.js";
import { sidecarSetCRD } from "./crd.js";
import { grafanaDashboardConfigMap } from "./dashboard.js";
import { managerManifests, namespaceManifest } from "./manager.js";
import { resolveOptions, type Manifest, type ManifestOptions } from "./options.js";
import { rbacManifests } from "./rbac.js";
import { webhookManifests } from "./webhook.js";

/** The parts `sidecarset manifests --only` can select, in apply order. */
export const MANIFEST_PARTS = ["crd", "namespace", "rbac", "manager", "webhook", "alerts", "dashboard"] as const;
export type ManifestPart = (typeof MANIFEST_PARTS)[number];

export function isManifestPart(s: string): s is ManifestPart {
  return (MANIFEST_PARTS as readonly string[]).includes(s);
}

/**
 * The parts installed by default. With `webhookHost` the manager runs outside
 * the cluster, so its Deployment and Service are left out. The alerting rules
 * and the Grafana dashboard only when asked for: the rules' kind exists only
 * with the Prometheus Operator, and the dashboard's ConfigMap is read only by a
 * Grafana that looks for it.
 */
export const OPT_IN_PARTS: readonly ManifestPart[] = ["alerts", "dashboard"];

export function defaultParts(options: ManifestOptions = {}): ManifestPart[] {
  const { webhookHost } = resolveOptions(options);
  return MANIFEST_PARTS.filter((p) => !OPT_IN_PARTS.includes(p) && (p !== "manager" || webhookHost === undefined));
}

export function manifestsOf(part: ManifestPart, options: ManifestOptions = {}): Manifest[] {
  switch (part) {
    case "crd":
      return [sidecarSetCRD(options)];
    case "namespace":
      return [namespaceManifest(options)];
    case "rbac":
      return rbacManifests(options);
    case "manager":
      return managerManifests(options);
    case "webhook":
      return webhookManifests(options);
    case "alerts":
      return [prometheusRule(options)];
    case "dashboard":
      return [grafanaDashboardConfigMap(options)];
  }
}

/**
 * The selected parts in apply order (whatever order they were asked in): the
 * webhook configurations come last so the pod webhook, which fails closed, is
 * registered only once its server is being deployed.
 */
export function selectManifests(parts: readonly ManifestPart[], options: ManifestOptions = {}): Manifest[] {
  return MANIFEST_PARTS.filter((p) => parts.includes(p)).flatMap((p) => manifestsOf(p, options));
}

export function allManifests(options: ManifestOptions = {}): Manifest[] {
  return selectManifests(defaultParts(options), options);
}

/** Multi-document YAML as `kubectl apply -f` reads it. */
export function toYaml(manifests: readonly unknown[]): string {
  return toYamlDocuments(manifests);
}
