import assert from "node:assert/strict";
import { test } from "node:test";
import type { Container } from "../../../src/api/kube-types.js";
import type {
  SidecarContainer,
  SidecarSetSpec,
  SidecarSetStatus,
  SidecarSetUpdateStrategy,
} from "../../../src/api/types.js";
import type { SidecarSetSpec as V1beta1Spec } from "../../../src/api/v1beta1/types.js";
import { CONVERT_PATH, CRD_NAME, sidecarSetCRD, type JSONSchemaProps } from "../../../src/manifests/crd.js";

type Version = {
  name: string;
  served: boolean;
  storage: boolean;
  schema: { openAPIV3Schema: JSONSchemaProps };
  subresources?: { status?: object };
  additionalPrinterColumns?: { name: string; type: string; jsonPath: string }[];
};

const crd = sidecarSetCRD() as unknown as {
  metadata: { name: string };
  spec: { group: string; scope: string; names: Record<string, string>; versions: Version[] };
};
const versions = crd.spec.versions;
const v1alpha1 = versions.find((v) => v.name === "v1alpha1")!;
const v1beta1 = versions.find((v) => v.name === "v1beta1")!;
const root = v1alpha1.schema.openAPIV3Schema;

/** Every schema node with its dotted path (`[]` for array items, `{}` for map values). */
function walk(node: JSONSchemaProps, path: string, visit: (n: JSONSchemaProps, p: string) => void): void {
  visit(node, path);
  const props = node.properties as Record<string, JSONSchemaProps> | undefined;
  for (const [k, child] of Object.entries(props ?? {})) walk(child, path ? `${path}.${k}` : k, visit);
  if (node.items) walk(node.items as JSONSchemaProps, `${path}[]`, visit);
  if (typeof node.additionalProperties === "object") walk(node.additionalProperties as JSONSchemaProps, `${path}{}`, visit);
  for (const alt of (node.anyOf as JSONSchemaProps[] | undefined) ?? []) walk(alt, `${path}|`, visit);
}

function nodeAt(path: string): JSONSchemaProps | undefined {
  let node: JSONSchemaProps | undefined = root;
  for (const seg of path.split(".")) {
    const arrayItem = seg.endsWith("[]");
    const name = arrayItem ? seg.slice(0, -2) : seg;
    node = (node?.properties as Record<string, JSONSchemaProps> | undefined)?.[name];
    if (arrayItem) node = node?.items as JSONSchemaProps | undefined;
  }
  return node;
}

function allKeys(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) allKeys(v, out);
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      allKeys(v, out);
    }
  }
  return out;
}

test("the CRD is sidecarsets.apps.kruise.io: cluster-scoped SidecarSet with OpenKruise's names", () => {
  assert.equal(crd.metadata.name, CRD_NAME);
  assert.equal(CRD_NAME, "sidecarsets.apps.kruise.io");
  assert.equal(crd.spec.group, "apps.kruise.io");
  assert.equal(crd.spec.scope, "Cluster");
  assert.deepEqual(crd.spec.names, {
    kind: "SidecarSet",
    listKind: "SidecarSetList",
    plural: "sidecarsets",
    singular: "sidecarset",
  });
});

test("v1beta1 is served and the storage version; v1alpha1 is served", () => {
  assert.deepEqual(
    versions.map((v) => [v.name, v.served, v.storage]),
    [
      ["v1alpha1", true, false],
      ["v1beta1", true, true],
    ],
  );
});

test("both versions carry the same status subresource and printer columns", () => {
  assert.deepEqual(v1beta1.subresources, v1alpha1.subresources);
  assert.deepEqual(v1beta1.additionalPrinterColumns, v1alpha1.additionalPrinterColumns);
});

test("the schemas differ only in spec.namespace (v1alpha1) and spec.customVersion (v1beta1)", () => {
  const specOf = (v: Version) => ((v.schema.openAPIV3Schema.properties as Record<string, JSONSchemaProps>).spec!.properties as Record<string, JSONSchemaProps>);
  const alphaSpec = { ...specOf(v1alpha1) };
  const betaSpec = { ...specOf(v1beta1) };
  assert.equal(alphaSpec.namespace?.type, "string");
  assert.equal(betaSpec.customVersion?.type, "string");
  assert.equal(betaSpec.namespace, undefined, "v1beta1 has no spec.namespace; the API server prunes it");
  assert.equal(alphaSpec.customVersion, undefined);
  for (const s of [alphaSpec, betaSpec]) {
    delete s.namespace;
    delete s.customVersion;
    delete (s as Record<string, unknown>).namespaceSelector; // same shape, description names the version's way
  }
  assert.deepEqual(betaSpec, alphaSpec);
  assert.deepEqual(
    (specOf(v1beta1).namespaceSelector as JSONSchemaProps).properties,
    (specOf(v1alpha1).namespaceSelector as JSONSchemaProps).properties,
  );
  const withoutSpec = (v: Version) => ({ ...(v.schema.openAPIV3Schema.properties as object), spec: undefined });
  assert.deepEqual(withoutSpec(v1beta1), withoutSpec(v1alpha1));
});

// Typed so that a field added to the v1beta1 spec fails to compile here until listed.
const v1beta1OnlyFields: Record<Exclude<keyof V1beta1Spec, keyof SidecarSetSpec>, string> = { customVersion: "string" };

test("the v1beta1 schema declares every v1beta1-only spec field", () => {
  for (const [field, type] of Object.entries(v1beta1OnlyFields)) {
    const spec = (v1beta1.schema.openAPIV3Schema.properties as Record<string, JSONSchemaProps>).spec!;
    assert.equal((spec.properties as Record<string, JSONSchemaProps>)[field]?.type, type, field);
  }
});

test("conversion calls /convert on the manager's conversion Service with ConversionReview v1", () => {
  const conversion = (crd.spec as unknown as { conversion: unknown }).conversion;
  assert.deepEqual(conversion, {
    strategy: "Webhook",
    webhook: {
      conversionReviewVersions: ["v1"],
      clientConfig: { service: { name: "sidecarset-webhook-conversion", namespace: "sidecarset-system", path: "/convert", port: 443 } },
    },
  });
  assert.equal(CONVERT_PATH, "/convert");
});

test("with a webhook host, conversion calls the manager's URL, with the CA when given", () => {
  const hosted = sidecarSetCRD({ webhookHost: "127.0.0.1", webhookPort: 19443, caBundle: "Q0E=" }) as unknown as {
    spec: { conversion: { webhook: { clientConfig: unknown } } };
  };
  assert.deepEqual(hosted.spec.conversion.webhook.clientConfig, { url: "https://127.0.0.1:19443/convert", caBundle: "Q0E=" });
});

test("status is a subresource, so spec writes never change status and vice versa", () => {
  assert.deepEqual(v1alpha1.subresources, { status: {} });
});

test("printer columns are MATCHED, UPDATED, READY, UPDATEDREADY from status and AGE from creationTimestamp", () => {
  assert.deepEqual(
    v1alpha1.additionalPrinterColumns?.map((c) => [c.name, c.type, c.jsonPath]),
    [
      ["MATCHED", "integer", ".status.matchedPods"],
      ["UPDATED", "integer", ".status.updatedPods"],
      ["READY", "integer", ".status.readyPods"],
      ["UPDATEDREADY", "integer", ".status.updatedReadyPods"],
      ["AGE", "date", ".metadata.creationTimestamp"],
    ],
  );
});

test("no schema default anywhere: the API server must not fill in values that change hashes", () => {
  assert.ok(!allKeys(crd).includes("default"));
});

test("enums and required fields are left to the validating webhook, which names the path and the allowed values", () => {
  const keys = allKeys(v1alpha1.schema);
  assert.ok(!keys.includes("enum"));
  assert.ok(!keys.includes("required"));
});

test("both schemas are structural: every node has a type, except int-or-string and preserved nodes", () => {
  const problems: string[] = [];
  for (const v of versions) walk(v.schema.openAPIV3Schema, v.name, (node, path) => {
    if (path.endsWith("|")) return; // anyOf branches of an int-or-string
    const intOrString = node["x-kubernetes-int-or-string"] === true;
    if (typeof node.type !== "string" && !intOrString) problems.push(`${path}: no type`);
    if (node.anyOf && !intOrString) problems.push(`${path}: anyOf outside an int-or-string`);
    if (node.type === "array" && !node.items) problems.push(`${path}: array without items`);
    if (node.properties && node.additionalProperties) problems.push(`${path}: properties and additionalProperties`);
  });
  assert.deepEqual(problems, []);
});

test("only container and volume entries preserve unknown fields; everything else is pruned", () => {
  const preserved: string[] = [];
  walk(root, "", (node, path) => {
    if (node["x-kubernetes-preserve-unknown-fields"] === true) preserved.push(path);
  });
  assert.deepEqual(preserved.sort(), ["spec.containers[]", "spec.initContainers[]", "spec.volumes[]"]);
});

// The records below are typed so that a field added to the API types fails to
// compile here until the schema test lists it.
const specFields: Record<keyof SidecarSetSpec, string> = {
  selector: "object",
  namespace: "string",
  namespaceSelector: "object",
  initContainers: "array",
  containers: "array",
  volumes: "array",
  updateStrategy: "object",
  injectionStrategy: "object",
  imagePullSecrets: "array",
  revisionHistoryLimit: "integer",
  patchPodMetadata: "array",
};
const updateStrategyFields: Record<keyof SidecarSetUpdateStrategy, string> = {
  type: "string",
  paused: "boolean",
  selector: "object",
  partition: "int-or-string",
  maxUnavailable: "int-or-string",
  priorityStrategy: "object",
  scatterStrategy: "array",
};
const statusFields: Record<keyof SidecarSetStatus, string> = {
  observedGeneration: "integer",
  matchedPods: "integer",
  updatedPods: "integer",
  readyPods: "integer",
  updatedReadyPods: "integer",
  notInjectedPods: "integer",
  latestRevision: "string",
  collisionCount: "integer",
  conditions: "array",
};
const sidecarContainerFields: Record<Exclude<keyof SidecarContainer, keyof Container> | "name" | "image", string> = {
  name: "string",
  image: "string",
  podInjectPolicy: "string",
  upgradeStrategy: "object",
  shareVolumePolicy: "object",
  shareVolumeDevicePolicy: "object",
  transferEnv: "array",
  resourcesPolicy: "object",
};
const nestedFields: Record<string, string> = {
  "spec.selector.matchLabels": "object",
  "spec.selector.matchExpressions[].key": "string",
  "spec.selector.matchExpressions[].operator": "string",
  "spec.selector.matchExpressions[].values": "array",
  "spec.namespaceSelector.matchExpressions[].values": "array",
  "spec.updateStrategy.selector.matchLabels": "object",
  "spec.updateStrategy.priorityStrategy.weightPriority[].weight": "integer",
  "spec.updateStrategy.priorityStrategy.weightPriority[].matchSelector.matchLabels": "object",
  "spec.updateStrategy.priorityStrategy.orderPriority[].orderedKey": "string",
  "spec.updateStrategy.scatterStrategy[].key": "string",
  "spec.updateStrategy.scatterStrategy[].value": "string",
  "spec.injectionStrategy.paused": "boolean",
  "spec.injectionStrategy.revision.customVersion": "string",
  "spec.injectionStrategy.revision.revisionName": "string",
  "spec.injectionStrategy.revision.policy": "string",
  "spec.imagePullSecrets[].name": "string",
  "spec.patchPodMetadata[].annotations": "object",
  "spec.patchPodMetadata[].patchPolicy": "string",
  "spec.volumes[].name": "string",
  "spec.containers[].upgradeStrategy.upgradeType": "string",
  "spec.containers[].upgradeStrategy.hotUpgradeEmptyImage": "string",
  "spec.containers[].shareVolumePolicy.type": "string",
  "spec.containers[].shareVolumeDevicePolicy.type": "string",
  "spec.containers[].transferEnv[].sourceContainerName": "string",
  "spec.containers[].transferEnv[].sourceContainerNameFrom.fieldRef.apiVersion": "string",
  "spec.containers[].transferEnv[].sourceContainerNameFrom.fieldRef.fieldPath": "string",
  "spec.containers[].transferEnv[].envName": "string",
  "spec.containers[].transferEnv[].envNames": "array",
  "spec.containers[].resourcesPolicy.targetContainersMode": "string",
  "spec.containers[].resourcesPolicy.targetContainersNameRegex": "string",
  "spec.containers[].resourcesPolicy.resourcesExpr.limits.cpu": "string",
  "spec.containers[].resourcesPolicy.resourcesExpr.limits.memory": "string",
  "spec.containers[].resourcesPolicy.resourcesExpr.requests.cpu": "string",
  "spec.containers[].resourcesPolicy.resourcesExpr.requests.memory": "string",
};

const expectedTypes: [string, string][] = [
  ...Object.entries(specFields).map(([k, t]): [string, string] => [`spec.${k}`, t]),
  ...Object.entries(updateStrategyFields).map(([k, t]): [string, string] => [`spec.updateStrategy.${k}`, t]),
  ...Object.entries(statusFields).map(([k, t]): [string, string] => [`status.${k}`, t]),
  ...Object.entries(sidecarContainerFields).flatMap(([k, t]): [string, string][] => [
    [`spec.containers[].${k}`, t],
    [`spec.initContainers[].${k}`, t],
  ]),
  ...Object.entries(nestedFields),
];

for (const [path, type] of expectedTypes) {
  test(`the schema declares ${path} as ${type}`, () => {
    const node = nodeAt(path);
    assert.ok(node, `${path} is not declared`);
    if (type === "int-or-string") {
      assert.equal(node["x-kubernetes-int-or-string"], true);
      assert.equal(node.type, undefined);
    } else {
      assert.equal(node.type, type);
    }
  });
}

test("label maps and annotation maps hold string values", () => {
  for (const path of ["spec.selector.matchLabels", "spec.namespaceSelector.matchLabels", "spec.patchPodMetadata[].annotations"]) {
    assert.deepEqual(nodeAt(path)?.additionalProperties, { type: "string" }, path);
  }
});
