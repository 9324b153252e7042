// Least-privilege RBAC for the manager: what the webhooks and the controller
// read and write, nothing more. Objects that live only in the manager's
// namespace (ControllerRevisions, the certificate Secret, the whitelist
// ConfigMap, the leader-election Lease) are granted by a namespaced Role.
import { CRD_NAME } from "./crd.js";
import {
  CLUSTER_ROLE_NAME,
  MUTATING_WEBHOOK_CONFIGURATION_NAME,
  PART_OF_LABELS,
  ROLE_NAME,
  SERVICE_ACCOUNT_NAME,
  VALIDATING_WEBHOOK_CONFIGURATION_NAME,
  resolveOptions,
  type Manifest,
  type ManifestOptions,
} from "./options.js";

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

const READ = ["get", "list", "watch"];

export const CLUSTER_RULES: readonly PolicyRule[] = [
  { apiGroups: ["apps.kruise.io"], resources: ["sidecarsets"], verbs: [...READ, "update", "patch"] },
  { apiGroups: ["apps.kruise.io"], resources: ["sidecarsets/status"], verbs: ["get", "update", "patch"] },
  { apiGroups: [""], resources: ["pods"], verbs: [...READ, "patch"] },
  { apiGroups: [""], resources: ["pods/status"], verbs: ["patch", "update"] },
  { apiGroups: [""], resources: ["namespaces"], verbs: READ },
  { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
  { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["create", "patch"] },
  // The manager writes the CA into the caBundle of its own webhook
  // configurations only. A list or watch is allowed by resourceNames when it
  // carries the field selector metadata.name=<name>.
  {
    apiGroups: ["admissionregistration.k8s.io"],
    resources: ["mutatingwebhookconfigurations"],
    resourceNames: [MUTATING_WEBHOOK_CONFIGURATION_NAME],
    verbs: [...READ, "update", "patch"],
  },
  {
    apiGroups: ["admissionregistration.k8s.io"],
    resources: ["validatingwebhookconfigurations"],
    resourceNames: [VALIDATING_WEBHOOK_CONFIGURATION_NAME],
    verbs: [...READ, "update", "patch"],
  },
  // ...and into the SidecarSet CRD's conversion webhook, which it serves.
  {
    apiGroups: ["apiextensions.k8s.io"],
    resources: ["customresourcedefinitions"],
    resourceNames: [CRD_NAME],
    verbs: ["get", "update", "patch"],
  },
];

export const NAMESPACE_RULES: readonly PolicyRule[] = [
  // Revision history (docs/behaviour.md §6.12) lives in the manager namespace only.
  {
    apiGroups: ["apps"],
    resources: ["controllerrevisions"],
    verbs: [...READ, "create", "update", "patch", "delete"],
  },
  // The self-signed CA and serving certificate, shared by all replicas.
  { apiGroups: [""], resources: ["secrets"], verbs: [...READ, "create", "update", "patch"] },
  // The patchPodMetadata whitelist (docs/behaviour.md §4.5).
  { apiGroups: [""], resources: ["configmaps"], verbs: READ },
  // The leader election Lease, and each replica's webhook view Lease (docs/behaviour.md §6.4): the Lease holder
  // lists and watches them, a replica deletes its own when it stops.
  { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: [...READ, "create", "update", "patch", "delete"] },
];

export function rbacManifests(options: ManifestOptions = {}): Manifest[] {
  const { namespace } = resolveOptions(options);
  const labels = { ...PART_OF_LABELS, "app.kubernetes.io/component": "manager" };
  const subject = { kind: "ServiceAccount", name: SERVICE_ACCOUNT_NAME, namespace };
  return [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: SERVICE_ACCOUNT_NAME, namespace, labels },
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: CLUSTER_ROLE_NAME, labels },
      rules: CLUSTER_RULES.map(copyRule),
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: CLUSTER_ROLE_NAME, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: CLUSTER_ROLE_NAME },
      subjects: [subject],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: ROLE_NAME, namespace, labels },
      rules: NAMESPACE_RULES.map(copyRule),
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: ROLE_NAME, namespace, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: ROLE_NAME },
      subjects: [subject],
    },
  ];
}

function copyRule(r: PolicyRule): PolicyRule {
  const out: PolicyRule = { apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: [...r.verbs] };
  if (r.resourceNames) out.resourceNames = [...r.resourceNames];
  return out;
}
