import assert from "node:assert/strict";
import { test } from "node:test";
import {
  MUTATING_WEBHOOK_CONFIGURATION_NAME,
  SERVICE_ACCOUNT_NAME,
  VALIDATING_WEBHOOK_CONFIGURATION_NAME,
} from "../../../src/manifests/options.js";
import { CLUSTER_RULES, NAMESPACE_RULES, rbacManifests, type PolicyRule } from "../../../src/manifests/rbac.js";

type Obj = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

function byKind(objs: Obj[], kind: string): Obj {
  const o = objs.find((x) => x.kind === kind);
  assert.ok(o, `no ${kind}`);
  return o;
}

/** Whether rules grant `verb` on `group/resource` (and object `name`, when given), as the RBAC authorizer decides. */
function allows(rules: readonly PolicyRule[], group: string, resource: string, verb: string, name?: string): boolean {
  return rules.some(
    (r) =>
      r.apiGroups.includes(group) &&
      r.resources.includes(resource) &&
      r.verbs.includes(verb) &&
      (r.resourceNames === undefined || (name !== undefined && r.resourceNames.includes(name))),
  );
}

// What the manager does, by component: the cluster-wide grants it needs.
const clusterNeeds: [string, string, string, string?][] = [
  ["apps.kruise.io", "sidecarsets", "list"],
  ["apps.kruise.io", "sidecarsets", "watch"],
  ["apps.kruise.io", "sidecarsets", "get"],
  ["apps.kruise.io", "sidecarsets", "patch"],
  ["apps.kruise.io", "sidecarsets", "update"],
  ["apps.kruise.io", "sidecarsets/status", "update"],
  ["apps.kruise.io", "sidecarsets/status", "patch"],
  ["", "pods", "list"],
  ["", "pods", "watch"],
  ["", "pods", "get"],
  ["", "pods", "patch"],
  ["", "pods/status", "patch"],
  ["", "pods/status", "update"],
  ["", "namespaces", "list"],
  ["", "namespaces", "watch"],
  ["", "events", "create"],
  ["", "events", "patch"],
  ["events.k8s.io", "events", "create"],
  ["admissionregistration.k8s.io", "mutatingwebhookconfigurations", "patch", MUTATING_WEBHOOK_CONFIGURATION_NAME],
  ["admissionregistration.k8s.io", "mutatingwebhookconfigurations", "get", MUTATING_WEBHOOK_CONFIGURATION_NAME],
  ["admissionregistration.k8s.io", "validatingwebhookconfigurations", "patch", VALIDATING_WEBHOOK_CONFIGURATION_NAME],
  ["admissionregistration.k8s.io", "validatingwebhookconfigurations", "get", VALIDATING_WEBHOOK_CONFIGURATION_NAME],
];
for (const [group, resource, verb, name] of clusterNeeds) {
  test(`the ClusterRole grants ${verb} on ${group || "core"}/${resource}${name ? ` ${name}` : ""}`, () => {
    assert.ok(allows(CLUSTER_RULES, group, resource, verb, name));
  });
}

// Grants the manager must not have anywhere in the cluster.
const clusterDenied: [string, string, string, string?][] = [
  ["", "pods", "create"],
  ["", "pods", "delete"],
  ["", "pods", "update"],
  ["apps.kruise.io", "sidecarsets", "delete"],
  ["apps.kruise.io", "sidecarsets", "create"],
  ["", "secrets", "get"],
  ["", "secrets", "list"],
  ["", "configmaps", "get"],
  ["apps", "controllerrevisions", "list"],
  ["apps", "controllerrevisions", "delete"],
  ["coordination.k8s.io", "leases", "update"],
  ["", "namespaces", "update"],
  ["admissionregistration.k8s.io", "mutatingwebhookconfigurations", "patch", "someone-elses-webhook"],
  ["admissionregistration.k8s.io", "validatingwebhookconfigurations", "update", "someone-elses-webhook"],
  ["admissionregistration.k8s.io", "mutatingwebhookconfigurations", "create"],
  ["admissionregistration.k8s.io", "mutatingwebhookconfigurations", "delete", MUTATING_WEBHOOK_CONFIGURATION_NAME],
];
for (const [group, resource, verb, name] of clusterDenied) {
  test(`the ClusterRole does not grant ${verb} on ${group || "core"}/${resource}${name ? ` ${name}` : ""}`, () => {
    assert.ok(!allows(CLUSTER_RULES, group, resource, verb, name));
  });
}

const namespaceNeeds: [string, string, string][] = [
  ["apps", "controllerrevisions", "list"],
  ["apps", "controllerrevisions", "watch"],
  ["apps", "controllerrevisions", "create"],
  ["apps", "controllerrevisions", "patch"],
  ["apps", "controllerrevisions", "delete"],
  ["", "secrets", "get"],
  ["", "secrets", "create"],
  ["", "secrets", "update"],
  ["", "configmaps", "get"],
  ["", "configmaps", "watch"],
  ["coordination.k8s.io", "leases", "get"],
  ["coordination.k8s.io", "leases", "create"],
  ["coordination.k8s.io", "leases", "update"],
  ["coordination.k8s.io", "leases", "list"],
  ["coordination.k8s.io", "leases", "watch"],
  ["coordination.k8s.io", "leases", "delete"],
];
for (const [group, resource, verb] of namespaceNeeds) {
  test(`the namespaced Role grants ${verb} on ${group || "core"}/${resource}`, () => {
    assert.ok(allows(NAMESPACE_RULES, group, resource, verb));
  });
}

test("the namespaced Role cannot delete the certificate Secret or change the whitelist ConfigMap", () => {
  assert.ok(!allows(NAMESPACE_RULES, "", "secrets", "delete"));
  assert.ok(!allows(NAMESPACE_RULES, "", "configmaps", "update"));
  assert.ok(!allows(NAMESPACE_RULES, "", "configmaps", "patch"));
});

test("no rule uses a wildcard group, resource or verb", () => {
  for (const r of [...CLUSTER_RULES, ...NAMESPACE_RULES]) {
    for (const v of [...r.apiGroups, ...r.resources, ...r.verbs]) assert.notEqual(v, "*", JSON.stringify(r));
  }
});

test("no rule grants privilege-escalation verbs", () => {
  const dangerous = ["escalate", "bind", "impersonate", "deletecollection"];
  for (const r of [...CLUSTER_RULES, ...NAMESPACE_RULES]) {
    for (const v of r.verbs) assert.ok(!dangerous.includes(v), `${v} in ${JSON.stringify(r)}`);
  }
});

test("RBAC objects are a ServiceAccount, a ClusterRole and Role with their bindings to it", () => {
  const objs = rbacManifests() as unknown as Obj[];
  assert.deepEqual(
    objs.map((o) => o.kind),
    ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"],
  );
  const sa = byKind(objs, "ServiceAccount");
  assert.equal(sa.metadata.name, SERVICE_ACCOUNT_NAME);
  assert.equal(sa.metadata.namespace, "sidecarset-system");
  for (const [binding, role] of [
    ["ClusterRoleBinding", "ClusterRole"],
    ["RoleBinding", "Role"],
  ] as const) {
    const b = byKind(objs, binding) as Obj & { roleRef: { kind: string; name: string }; subjects: unknown[] };
    assert.deepEqual(b.roleRef, {
      apiGroup: "rbac.authorization.k8s.io",
      kind: role,
      name: byKind(objs, role).metadata.name,
    });
    assert.deepEqual(b.subjects, [{ kind: "ServiceAccount", name: SERVICE_ACCOUNT_NAME, namespace: "sidecarset-system" }]);
  }
});

test("the namespace option moves the ServiceAccount, Role and binding subjects together", () => {
  const objs = rbacManifests({ namespace: "platform" }) as unknown as Obj[];
  for (const kind of ["ServiceAccount", "Role", "RoleBinding"]) assert.equal(byKind(objs, kind).metadata.namespace, "platform");
  for (const kind of ["ClusterRole", "ClusterRoleBinding"]) assert.equal(byKind(objs, kind).metadata.namespace, undefined);
  for (const kind of ["ClusterRoleBinding", "RoleBinding"]) {
    const b = byKind(objs, kind) as Obj & { subjects: { namespace: string }[] };
    assert.equal(b.subjects[0]?.namespace, "platform");
  }
});

test("the manifests carry copies of the rules, so editing one output cannot change the next", () => {
  const first = rbacManifests() as unknown as Obj[];
  (byKind(first, "ClusterRole").rules as PolicyRule[])[0]!.verbs.push("delete");
  const second = rbacManifests() as unknown as Obj[];
  assert.deepEqual(byKind(second, "ClusterRole").rules, CLUSTER_RULES);
});
