import assert from "node:assert/strict";
import { test } from "node:test";
import { CUSTOM_VERSION_LABEL } from "../../../src/api/keys.js";
import { SIDECARSET_COLLECTION_PATH, sidecarSetFromStorage, STORAGE_VERSION } from "../../../src/api/storage-version.js";
import type { SidecarSet } from "../../../src/api/types.js";
import { sidecarSetCRD } from "../../../src/manifests/crd.js";

const stored = (spec: Record<string, unknown>, labels?: Record<string, string>) =>
  ({ apiVersion: "apps.kruise.io/v1beta1", kind: "SidecarSet", metadata: { name: "s", ...(labels ? { labels } : {}) }, spec }) as unknown as SidecarSet;

test("the manager reads and writes the CRD's storage version", () => {
  const versions = (sidecarSetCRD().spec as { versions: { name: string; storage: boolean }[] }).versions;
  assert.equal(versions.find((v) => v.storage)?.name, STORAGE_VERSION);
  assert.equal(SIDECARSET_COLLECTION_PATH, `/apis/apps.kruise.io/${STORAGE_VERSION}/sidecarsets`);
});

const cases: { name: string; in: SidecarSet; spec: Record<string, unknown>; labels?: Record<string, string> }[] = [
  {
    name: "a selector that names one namespace is read as that namespace",
    in: stored({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "web" } } }),
    spec: { namespace: "web" },
  },
  {
    name: "a selector with more than the name is kept a selector",
    in: stored({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "web", env: "prod" } } }),
    spec: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "web", env: "prod" } } },
  },
  {
    name: "a selector with expressions is kept a selector",
    in: stored({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "web" }, matchExpressions: [{ key: "a", operator: "Exists" }] } }),
    spec: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "web" }, matchExpressions: [{ key: "a", operator: "Exists" }] } },
  },
  {
    name: "spec.customVersion is read as the custom-version label",
    in: stored({ customVersion: "v3" }, { team: "a" }),
    spec: {},
    labels: { team: "a", [CUSTOM_VERSION_LABEL]: "v3" },
  },
];
for (const c of cases) {
  test(`reading a stored SidecarSet: ${c.name}`, () => {
    const before = structuredClone(c.in);
    const set = sidecarSetFromStorage(c.in);
    assert.equal(set.apiVersion, "apps.kruise.io/v1alpha1");
    assert.deepEqual(set.spec, c.spec);
    assert.deepEqual(set.metadata.labels, c.labels);
    assert.deepEqual(c.in, before);
  });
}
