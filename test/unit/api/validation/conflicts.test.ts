// docs/behaviour.md §4.4: conflicts with other SidecarSets whose pods overlap, and the
// namespace overlap they depend on.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { SidecarSet, SidecarSetSpec } from "../../../../src/api/types.js";
import { namespacesOverlap } from "../../../../src/api/validation/index.js";
import { container, initContainer, sidecarSet, validate, withSet } from "./fixtures.js";

const NAMESPACES: Record<string, Record<string, string>> = {
  "team-a": { "kubernetes.io/metadata.name": "team-a", env: "prod" },
  "team-b": { "kubernetes.io/metadata.name": "team-b", env: "dev" },
};
const nsLabels = (name: string) => NAMESPACES[name];

const nsCases: { name: string; a: SidecarSetSpec; b: SidecarSetSpec; overlap: boolean }[] = [
  { name: "neither side limits namespaces", a: {}, b: {}, overlap: true },
  { name: "the same namespace", a: { namespace: "team-a" }, b: { namespace: "team-a" }, overlap: true },
  { name: "different namespaces", a: { namespace: "team-a" }, b: { namespace: "team-b" }, overlap: false },
  { name: "one namespace, the other side unlimited", a: { namespace: "team-a" }, b: {}, overlap: true },
  { name: "disjoint namespaceSelectors", a: { namespaceSelector: { matchLabels: { env: "prod" } } }, b: { namespaceSelector: { matchLabels: { env: "dev" } } }, overlap: false },
  { name: "overlapping namespaceSelectors", a: { namespaceSelector: { matchLabels: { env: "prod" } } }, b: { namespaceSelector: { matchLabels: { tier: "x" } } }, overlap: true },
  { name: "a namespace whose labels match the other's selector", a: { namespace: "team-a" }, b: { namespaceSelector: { matchLabels: { env: "prod" } } }, overlap: true },
  { name: "a namespace whose labels do not match the other's selector", a: { namespace: "team-b" }, b: { namespaceSelector: { matchLabels: { env: "prod" } } }, overlap: false },
  { name: "a missing namespace matches no selector", a: { namespace: "gone" }, b: { namespaceSelector: { matchExpressions: [{ key: "env", operator: "DoesNotExist" }] } }, overlap: false },
];

for (const c of nsCases) {
  test(`namespace overlap: ${c.name} → ${c.overlap}, in both directions`, () => {
    assert.equal(namespacesOverlap(c.a, c.b, nsLabels), c.overlap);
    assert.equal(namespacesOverlap(c.b, c.a, nsLabels), c.overlap);
  });
}

const other = (name: string, mutate: (s: SidecarSet) => void = () => undefined, selector = { app: "web" }): SidecarSet =>
  withSet(mutate, sidecarSet(name, selector));
const newSet = (mutate: (s: SidecarSet) => void, selector = { app: "web" }) => withSet(mutate, sidecarSet("new", selector));
const sameContainer = (s: SidecarSet) => (s.spec.containers = [container("envoy")]);
const patch = (policy: "Retain" | "Overwrite" | "MergePatchJson") => (s: SidecarSet) =>
  (s.spec.patchPodMetadata = [{ annotations: { key1: "{}" }, patchPolicy: policy }]);
const allowPatch = { allowPatchPodMetadataWithoutWhitelist: true };

const conflictCases: {
  name: string;
  set: SidecarSet;
  others: SidecarSet[];
  ctx?: object;
  errors: { path: string; message?: RegExp }[];
}[] = [
  {
    name: "the same container name with overlapping selectors is rejected",
    set: newSet(sameContainer),
    others: [other("old", sameContainer)],
    errors: [{ path: "spec.containers[0].name", message: /^is also a container of SidecarSet "old", whose pods overlap/ }],
  },
  { name: "the same container name with disjoint selectors is accepted", set: newSet(sameContainer), others: [other("old", sameContainer, { app: "db" })], errors: [] },
  {
    name: "the same container name in different namespaces is accepted",
    set: newSet((s) => (sameContainer(s), (s.spec.namespace = "team-a"))),
    others: [other("old", (s) => (sameContainer(s), (s.spec.namespace = "team-b")))],
    errors: [],
  },
  {
    name: "the same initContainer name is rejected",
    set: newSet((s) => (s.spec.initContainers = [initContainer("init")])),
    others: [other("old", (s) => (s.spec.initContainers = [initContainer("init")]))],
    errors: [{ path: "spec.initContainers[0].name", message: /an initContainer of SidecarSet "old"/ }],
  },
  {
    name: "a container named like another set's initContainer is accepted (different lists)",
    set: newSet(sameContainer),
    others: [other("old", (s) => (s.spec.initContainers = [initContainer("envoy")]))],
    errors: [],
  },
  {
    name: "every overlapping SidecarSet with the name is listed, sorted",
    set: newSet(sameContainer),
    others: [other("zeta", sameContainer), other("alpha", sameContainer)],
    errors: [{ path: "spec.containers[0].name", message: /SidecarSets "alpha", "zeta"/ }],
  },
  {
    name: "an identical shared volume is accepted",
    set: newSet((s) => (s.spec.volumes = [{ name: "logs", hostPath: { path: "/var/log", type: "" } }])),
    others: [other("old", (s) => (s.spec.volumes = [{ name: "logs", hostPath: { type: "", path: "/var/log" } }]))],
    errors: [],
  },
  {
    name: "a shared volume defined differently is rejected",
    set: newSet((s) => (s.spec.volumes = [{ name: "logs", emptyDir: {} }])),
    others: [other("old", (s) => (s.spec.volumes = [{ name: "logs", hostPath: { path: "/var/log" } }]))],
    errors: [{ path: "spec.volumes[0]", message: /defined differently by SidecarSet "old"/ }],
  },
  { name: "Retain never conflicts, even with Overwrite", set: newSet(patch("Retain")), others: [other("old", patch("Overwrite"))], ctx: allowPatch, errors: [] },
  { name: "MergePatchJson with MergePatchJson is allowed", set: newSet(patch("MergePatchJson")), others: [other("old", patch("MergePatchJson"))], ctx: allowPatch, errors: [] },
  {
    name: "Overwrite with Overwrite is rejected",
    set: newSet(patch("Overwrite")),
    others: [other("old", patch("Overwrite"))],
    ctx: allowPatch,
    errors: [{ path: "spec.patchPodMetadata[0].annotations[key1]" }],
  },
  {
    name: "a canary does not conflict with its base",
    set: newSet((s) => {
      sameContainer(s);
      s.metadata.annotations = { "apps.kruise.io/sidecarset-canary": "true", "apps.kruise.io/sidecarset-base": "old" };
      s.spec.updateStrategy = { type: "NotUpdate" };
    }),
    others: [other("old", sameContainer)],
    errors: [],
  },
  {
    name: "a SidecarSet does not conflict with its stored self (UPDATE)",
    set: newSet(sameContainer),
    others: [newSet(sameContainer)],
    ctx: { operation: "UPDATE", oldObject: newSet(sameContainer) },
    errors: [],
  },
  {
    name: "conflicts are only checked when every other rule passes",
    set: newSet((s) => (sameContainer(s), (s.spec.updateStrategy!.partition = -1))),
    others: [other("old", sameContainer)],
    errors: [{ path: "spec.updateStrategy.partition" }],
  },
];

for (const c of conflictCases) {
  test(`conflicts: ${c.name}`, () => {
    const { errors } = validate(c.set, { others: c.others, namespaces: nsLabels, ...c.ctx });
    assert.deepEqual(
      errors.map((e) => e.path),
      c.errors.map((e) => e.path),
      JSON.stringify(errors),
    );
    c.errors.forEach((e, i) => e.message && assert.match(errors[i]!.message, e.message));
  });
}

test("E12: an annotation patched with MergePatchJson by an overlapping set and Overwrite here is one error", () => {
  const sidecarset1 = withSet(
    (s) => (s.spec.patchPodMetadata = [{ annotations: { key1: '{"a":1}' }, patchPolicy: "MergePatchJson" }]),
    sidecarSet("sidecarset1", { a: "b" }),
  );
  const sidecarset2 = withSet(
    (s) => (s.spec.patchPodMetadata = [{ annotations: { key1: "v" }, patchPolicy: "Overwrite" }]),
    sidecarSet("sidecarset2", { a: "b" }),
  );
  const { errors } = validate(sidecarset2, { others: [sidecarset1], ...allowPatch });
  assert.deepEqual(errors, [
    {
      path: "spec.patchPodMetadata[0].annotations[key1]",
      message:
        'also patched by SidecarSet "sidecarset1", whose pods overlap; a shared key is allowed only when neither side uses Overwrite',
    },
  ]);
});

test("conflicts: junk among the other SidecarSets is ignored, not a crash", () => {
  const { errors } = validate(newSet(sameContainer), { others: [null, 7, { spec: [] }, other("old", sameContainer)] as never });
  assert.deepEqual(errors.map((e) => e.path), ["spec.containers[0].name"]);
});
