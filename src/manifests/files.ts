// The files under deploy/ that are generated from these builders, so the
// plain manifests, the Helm chart's CRD and RBAC, and `sidecarset manifests`
// never drift apart. hack/gen-manifests.ts writes them; a unit test checks
// the checked-in copies.
import { sidecarSetCRD } from "./crd.js";
import { namespaceManifest } from "./manager.js";
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

function helmRbacTemplate(): string {
  const text = toYaml(rbacManifests({ namespace: HELM_NAMESPACE_PLACEHOLDER }));
  return HEADER + text.replaceAll(HELM_NAMESPACE_PLACEHOLDER, HELM_NAMESPACE_EXPRESSION);
}

export function generatedFiles(): GeneratedFile[] {
  const crd = HEADER + toYaml([sidecarSetCRD()]);
  return [
    { path: "deploy/crd/apps.kruise.io_sidecarsets.yaml", content: crd },
    { path: "deploy/rbac/rbac.yaml", content: HEADER + toYaml(rbacManifests()) },
    { path: "deploy/webhook/webhooks.yaml", content: HEADER + toYaml(manifestsOf("webhook")) },
    { path: "deploy/manager/namespace.yaml", content: HEADER + toYaml([namespaceManifest()]) },
    { path: "deploy/manager/manager.yaml", content: HEADER + toYaml(manifestsOf("manager")) },
    { path: "deploy/all.yaml", content: HEADER + toYaml(allManifests()) },
    { path: `${HELM_CHART_DIR}/crds/apps.kruise.io_sidecarsets.yaml`, content: crd },
    { path: `${HELM_CHART_DIR}/templates/rbac.yaml`, content: helmRbacTemplate() },
  ];
}
