// The files under deploy/ that are generated from these builders, so the
// plain manifests, the Helm chart's CRD and RBAC, and `sidecarset manifests`
// never drift apart. hack/gen-manifests.ts writes them; a unit test checks
// the checked-in copies.
import { prometheusRule } from "./alerts.js";
import { sidecarSetCRD } from "./crd.js";
import { grafanaDashboardConfigMap, grafanaDashboardJson } from "./dashboard.js";
import { namespaceManifest } from "./manager.js";
import type { Manifest } from "./options.js";
import { rbacManifests } from "./rbac.js";
import { allManifests, manifestsOf, toYaml } from "./render.js";

export interface GeneratedFile {
  /** Path relative to the repository root. */
  path: string;
  content: string;
}

export const GENERATOR_COMMAND = "node --import tsx hack/gen-manifests.ts";

const HEADER = `# Generated from src/manifests/ by \`${GENERATOR_COMMAND}\`; do not edit.\n`;

/** A plain scalar the YAML writer leaves unquoted, replaced by a template action afterwards. */
const HELM_NAMESPACE_PLACEHOLDER = "HELM_RELEASE_NAMESPACE_PLACEHOLDER";
export const HELM_NAMESPACE_EXPRESSION = '{{ include "sidecarset.namespace" . }}';

export const HELM_CHART_DIR = "deploy/helm/sidecarset";

const HELM_CA_BUNDLE_PLACEHOLDER = "HELM_CA_BUNDLE_PLACEHOLDER";
const HELM_CA_INJECTOR_PLACEHOLDER = "HELM_CA_INJECTOR_PLACEHOLDER";
const CERTS_MODE = '(include "sidecarset.certsMode" .)';

/**
 * The CRD as a template, not under crds/: its conversion webhook names the
 * release's namespace and CA (cert-manager's CA injector in that mode, the
 * given bundle in secret mode; the manager writes it itself when
 * self-signed). Helm applies CRDs before the other templates, and keeps this
 * one on uninstall so the SidecarSets survive.
 */
function helmCrdTemplate(): string {
  const crd = sidecarSetCRD({ namespace: HELM_NAMESPACE_PLACEHOLDER, caBundle: HELM_CA_BUNDLE_PLACEHOLDER });
  const metadata = crd.metadata as Record<string, unknown>;
  metadata.annotations = { "helm.sh/resource-policy": "keep", [HELM_CA_INJECTOR_PLACEHOLDER]: "" };
  const text = toYaml([crd])
    .replace(
      new RegExp(`^( *)${HELM_CA_INJECTOR_PLACEHOLDER}: ""$`, "m"),
      (_, indent: string) =>
        `${indent}{{- if eq ${CERTS_MODE} "cert-manager" }}\n` +
        `${indent}cert-manager.io/inject-ca-from: ${HELM_NAMESPACE_EXPRESSION}/{{ include "sidecarset.certificateName" . }}\n` +
        `${indent}{{- end }}`,
    )
    .replace(
      new RegExp(`^( *)caBundle: ${HELM_CA_BUNDLE_PLACEHOLDER}$`, "m"),
      (_, indent: string) =>
        `${indent}{{- if eq ${CERTS_MODE} "secret" }}\n` +
        `${indent}caBundle: {{ required "certs.caBundle is required when certs.mode is secret" .Values.certs.caBundle }}\n` +
        `${indent}{{- end }}`,
    );
  return HEADER + text.replaceAll(HELM_NAMESPACE_PLACEHOLDER, HELM_NAMESPACE_EXPRESSION);
}

const HELM_SERVICE_ACCOUNT_PLACEHOLDER = "HELM_SERVICE_ACCOUNT_PLACEHOLDER";
export const HELM_SERVICE_ACCOUNT_EXPRESSION = '{{ include "sidecarset.serviceAccountName" . }}';

/**
 * The plain RBAC without its ServiceAccount, which templates/serviceaccount.yaml
 * creates or not (serviceAccount.create); the bindings name whichever is used.
 */
function helmRbacTemplate(): string {
  const manifests = rbacManifests({ namespace: HELM_NAMESPACE_PLACEHOLDER }).filter((m) => m.kind !== "ServiceAccount");
  for (const m of manifests) {
    for (const subject of (m.subjects as { name: string }[] | undefined) ?? []) subject.name = HELM_SERVICE_ACCOUNT_PLACEHOLDER;
  }
  return (
    HEADER +
    toYaml(manifests)
      .replaceAll(HELM_NAMESPACE_PLACEHOLDER, HELM_NAMESPACE_EXPRESSION)
      .replaceAll(HELM_SERVICE_ACCOUNT_PLACEHOLDER, HELM_SERVICE_ACCOUNT_EXPRESSION)
  );
}

const HELM_LABELS_PLACEHOLDER = "HELM_LABELS_PLACEHOLDER";

/** Prometheus's and Grafana's own `{{ }}` templates in a chart template, written out as text. */
function helmLiteralBraces(text: string): string {
  return text.replace(/\{\{(.*?)\}\}/g, "{{`{{`}}$1{{`}}`}}");
}

/**
 * An opt-in monitoring object as a template, rendered when
 * `.Values.metrics.<key>.enabled`: the chart's labels and those of
 * `.Values.metrics.<key>.labels` on it (Prometheus selects rules, Grafana's
 * sidecar dashboards, by label), in the namespace `namespaceExpression` gives.
 * The object's own `{{ }}` (Prometheus's and Grafana's templates) are written
 * out as text.
 */
function helmMonitoringTemplate(
  key: "prometheusRule" | "grafanaDashboard",
  build: (options: { namespace: string }) => Manifest,
  namespaceExpression: string,
): string {
  const manifest = build({ namespace: HELM_NAMESPACE_PLACEHOLDER });
  (manifest.metadata as Record<string, unknown>).labels = { [HELM_LABELS_PLACEHOLDER]: "" };
  const text = helmLiteralBraces(toYaml([manifest]))
    .replace(
      new RegExp(`^( *)${HELM_LABELS_PLACEHOLDER}: ""$`, "m"),
      (_, indent: string) =>
        `${indent}{{- include "sidecarset.labels" . | nindent ${indent.length} }}\n` +
        `${indent}{{- with .Values.metrics.${key}.labels }}\n` +
        `${indent}{{- toYaml . | nindent ${indent.length} }}\n` +
        `${indent}{{- end }}`,
    )
    .replaceAll(HELM_NAMESPACE_PLACEHOLDER, namespaceExpression);
  return `${HEADER}{{- if .Values.metrics.${key}.enabled }}\n${text}{{- end }}\n`;
}

/** Grafana's sidecar reads its own namespace unless told otherwise: the dashboard goes where the value says. */
const HELM_DASHBOARD_NAMESPACE_EXPRESSION = `{{ .Values.metrics.grafanaDashboard.namespace | default (include "sidecarset.namespace" .) }}`;

export function generatedFiles(): GeneratedFile[] {
  const crd = HEADER + toYaml([sidecarSetCRD()]);
  return [
    { path: "deploy/crd/apps.kruise.io_sidecarsets.yaml", content: crd },
    { path: "deploy/rbac/rbac.yaml", content: HEADER + toYaml(rbacManifests()) },
    { path: "deploy/webhook/webhooks.yaml", content: HEADER + toYaml(manifestsOf("webhook")) },
    { path: "deploy/manager/namespace.yaml", content: HEADER + toYaml([namespaceManifest()]) },
    { path: "deploy/manager/manager.yaml", content: HEADER + toYaml(manifestsOf("manager")) },
    { path: "deploy/all.yaml", content: HEADER + toYaml(allManifests()) },
    { path: `${HELM_CHART_DIR}/templates/crd.yaml`, content: helmCrdTemplate() },
    { path: `${HELM_CHART_DIR}/templates/rbac.yaml`, content: helmRbacTemplate() },
    { path: "deploy/monitoring/prometheusrule.yaml", content: HEADER + toYaml([prometheusRule()]) },
    { path: `${HELM_CHART_DIR}/templates/prometheusrule.yaml`, content: helmMonitoringTemplate("prometheusRule", prometheusRule, HELM_NAMESPACE_EXPRESSION) },
    { path: "deploy/monitoring/grafana-dashboard.json", content: grafanaDashboardJson() },
    { path: "deploy/monitoring/grafana-dashboard.yaml", content: HEADER + toYaml([grafanaDashboardConfigMap()]) },
    {
      path: `${HELM_CHART_DIR}/templates/grafana-dashboard.yaml`,
      content: helmMonitoringTemplate("grafanaDashboard", grafanaDashboardConfigMap, HELM_DASHBOARD_NAMESPACE_EXPRESSION),
    },
  ];
}
