import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { conversionProblem, convertSidecarSet, NAMESPACE_NAME_LABEL } from "../../../src/api/conversion.js";
import { CUSTOM_VERSION_LABEL } from "../../../src/api/keys.js";

const ALPHA = "apps.kruise.io/v1alpha1";
const BETA = "apps.kruise.io/v1beta1";
type Json = Record<string, unknown>;

const toBeta = (o: Json) => convertSidecarSet(o, "v1beta1");
const toAlpha = (o: Json) => convertSidecarSet(o, "v1alpha1");

const cases: { name: string; from: Json; to: "v1alpha1" | "v1beta1"; want: Json }[] = [
  {
    name: "v1alpha1 spec.namespace becomes a namespaceSelector on the namespace's name label",
    from: { apiVersion: ALPHA, kind: "SidecarSet", metadata: { name: "a" }, spec: { namespace: "web", selector: {} } },
    to: "v1beta1",
    want: {
      apiVersion: BETA,
      kind: "SidecarSet",
      metadata: { name: "a" },
      spec: { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: "web" } }, selector: {} },
    },
  },
  {
    name: "a v1alpha1 namespaceSelector is copied as it is",
    from: { apiVersion: ALPHA, kind: "SidecarSet", metadata: { name: "a" }, spec: { namespaceSelector: { matchLabels: { env: "prod" } } } },
    to: "v1beta1",
    want: { apiVersion: BETA, kind: "SidecarSet", metadata: { name: "a" }, spec: { namespaceSelector: { matchLabels: { env: "prod" } } } },
  },
  {
    name: "an empty v1alpha1 namespace means unset and leaves no selector",
    from: { apiVersion: ALPHA, kind: "SidecarSet", metadata: { name: "a" }, spec: { namespace: "" } },
    to: "v1beta1",
    want: { apiVersion: BETA, kind: "SidecarSet", metadata: { name: "a" }, spec: {} },
  },
  {
    name: "the custom-version label moves to spec.customVersion and the other labels stay",
    from: { apiVersion: ALPHA, kind: "SidecarSet", metadata: { name: "a", labels: { [CUSTOM_VERSION_LABEL]: "v7", team: "x" } }, spec: {} },
    to: "v1beta1",
    want: { apiVersion: BETA, kind: "SidecarSet", metadata: { name: "a", labels: { team: "x" } }, spec: { customVersion: "v7" } },
  },
  {
    name: "labels left empty by the move are dropped, as the API server would serialize them",
    from: { apiVersion: ALPHA, kind: "SidecarSet", metadata: { name: "a", labels: { [CUSTOM_VERSION_LABEL]: "v7" } } },
    to: "v1beta1",
    want: { apiVersion: BETA, kind: "SidecarSet", metadata: { name: "a" }, spec: { customVersion: "v7" } },
  },
  {
    name: "v1beta1 spec.customVersion becomes the custom-version label",
    from: { apiVersion: BETA, kind: "SidecarSet", metadata: { name: "a" }, spec: { customVersion: "v7", namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: "web" } } } },
    to: "v1alpha1",
    want: {
      apiVersion: ALPHA,
      kind: "SidecarSet",
      metadata: { name: "a", labels: { [CUSTOM_VERSION_LABEL]: "v7" } },
      spec: { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: "web" } } },
    },
  },
  {
    name: "status, annotations and fields neither version knows are carried over unchanged",
    from: {
      apiVersion: ALPHA,
      kind: "SidecarSet",
      metadata: { name: "a", annotations: { k: "v" }, resourceVersion: "5", futureMeta: 1 },
      spec: { containers: [{ name: "c", image: "i", futureField: { x: [1] } }], futureSpec: true },
      status: { matchedPods: 3, updatedPods: 2, readyPods: 1, observedGeneration: 4, futureStatus: "y" },
      futureTop: null,
    },
    to: "v1beta1",
    want: {
      apiVersion: BETA,
      kind: "SidecarSet",
      metadata: { name: "a", annotations: { k: "v" }, resourceVersion: "5", futureMeta: 1 },
      spec: { containers: [{ name: "c", image: "i", futureField: { x: [1] } }], futureSpec: true },
      status: { matchedPods: 3, updatedPods: 2, readyPods: 1, observedGeneration: 4, futureStatus: "y" },
      futureTop: null,
    },
  },
  {
    name: "an object already at the wanted version only gets its apiVersion confirmed",
    from: { apiVersion: BETA, kind: "SidecarSet", metadata: { name: "a", labels: { [CUSTOM_VERSION_LABEL]: "v1" } }, spec: { customVersion: "v2" } },
    to: "v1beta1",
    want: { apiVersion: BETA, kind: "SidecarSet", metadata: { name: "a", labels: { [CUSTOM_VERSION_LABEL]: "v1" } }, spec: { customVersion: "v2" } },
  },
];

for (const c of cases) {
  test(`conversion: ${c.name}`, () => {
    const before = structuredClone(c.from);
    assert.deepEqual(convertSidecarSet(c.from, c.to), c.want);
    assert.deepEqual(c.from, before, "the input is not modified");
  });
}

const problems: { name: string; object: unknown; problem: RegExp }[] = [
  { name: "not an object", object: [1], problem: /got an array/ },
  { name: "another kind", object: { apiVersion: ALPHA, kind: "Pod" }, problem: /kind "Pod" is not SidecarSet/ },
  { name: "an unserved version", object: { apiVersion: "apps.kruise.io/v2", kind: "SidecarSet" }, problem: /not served/ },
  { name: "a spec that is not an object", object: { apiVersion: ALPHA, kind: "SidecarSet", spec: "x" }, problem: /spec is not an object/ },
];
for (const p of problems) {
  test(`conversion refuses ${p.name}`, () => assert.match(conversionProblem(p.object) ?? "", p.problem));
}
test("conversion accepts a SidecarSet of either version", () => {
  assert.equal(conversionProblem({ apiVersion: ALPHA, kind: "SidecarSet", metadata: {}, spec: {} }), undefined);
  assert.equal(conversionProblem({ apiVersion: BETA, kind: "SidecarSet" }), undefined);
});

// Generated SidecarSets: the mapped fields in every combination, plus JSON
// under keys neither version knows at every level the mapping touches.
const unknownKey = fc.string({ minLength: 1, maxLength: 6 }).map((s) => `x-${s}`);
const extras = fc.dictionary(unknownKey, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
const nonEmpty = fc.string({ minLength: 1, maxLength: 8 });
const labelMap = fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }).filter((k) => k !== CUSTOM_VERSION_LABEL), fc.string({ maxLength: 6 }), {
  minKeys: 1,
  maxKeys: 3,
});
const selector = fc.record({ matchLabels: fc.dictionary(nonEmpty, fc.string({ maxLength: 6 }), { maxKeys: 2 }) }, { requiredKeys: [] });
const container = fc.record({ name: nonEmpty, image: nonEmpty }).chain((c) => extras.map((x) => ({ ...x, ...c })));
const status = fc.record({ matchedPods: fc.nat(), updatedPods: fc.nat(), readyPods: fc.nat(), latestRevision: nonEmpty }, { requiredKeys: ["matchedPods"] });

function sidecarSet(version: "alpha" | "beta", opts: { roundTrips: boolean }) {
  const customVersion = opts.roundTrips ? nonEmpty : fc.string({ maxLength: 4 });
  return fc
    .record(
      {
        labels: labelMap,
        customVersion,
        namespace: opts.roundTrips ? fc.constant(undefined) : fc.string({ maxLength: 6 }),
        namespaceSelector: selector,
        containers: fc.array(container, { maxLength: 2 }),
        status,
        metaExtras: extras,
        specExtras: extras,
        topExtras: extras,
        // A label the other version would move: only off when a round trip must be exact.
        strayLabel: opts.roundTrips ? fc.constant(undefined) : fc.string({ maxLength: 4 }),
      },
      { requiredKeys: ["metaExtras", "specExtras", "topExtras"] },
    )
    .map((g) => {
      const labels: Record<string, string> = { ...(g.labels ?? {}) };
      const spec: Json = { ...g.specExtras };
      if (g.namespaceSelector) spec.namespaceSelector = g.namespaceSelector;
      if (g.containers) spec.containers = g.containers;
      if (version === "alpha") {
        if (g.customVersion !== undefined) labels[CUSTOM_VERSION_LABEL] = g.customVersion;
        if (g.namespace !== undefined) spec.namespace = g.namespace;
      } else {
        if (g.customVersion !== undefined) spec.customVersion = g.customVersion;
        if (g.strayLabel !== undefined) labels[CUSTOM_VERSION_LABEL] = g.strayLabel;
      }
      const metadata: Json = { ...g.metaExtras, name: "s" };
      if (Object.keys(labels).length > 0) metadata.labels = labels;
      const set: Json = { ...g.topExtras, apiVersion: version === "alpha" ? ALPHA : BETA, kind: "SidecarSet", metadata, spec };
      if (g.status) set.status = g.status;
      // Plain objects, as JSON.parse makes them (the generators' have null prototypes).
      return JSON.parse(JSON.stringify(set)) as Json;
    });
}

test("property: converting v1alpha1 to v1beta1 is stable (alpha → beta → alpha → beta equals alpha → beta)", () => {
  fc.assert(
    fc.property(sidecarSet("alpha", { roundTrips: false }), (a) => {
      const beta = toBeta(a);
      assert.deepEqual(toBeta(toAlpha(beta)), beta);
    }),
  );
});

test("property: converting v1beta1 to v1alpha1 is stable (beta → alpha → beta → alpha equals beta → alpha)", () => {
  fc.assert(
    fc.property(sidecarSet("beta", { roundTrips: false }), (b) => {
      const alpha = toAlpha(b);
      assert.deepEqual(toAlpha(toBeta(alpha)), alpha);
    }),
  );
});

test("property: a v1alpha1 SidecarSet without spec.namespace survives a trip through v1beta1 unchanged", () => {
  fc.assert(fc.property(sidecarSet("alpha", { roundTrips: true }), (a) => assert.deepEqual(toAlpha(toBeta(a)), a)));
});

test("property: a v1beta1 SidecarSet survives a trip through v1alpha1 unchanged", () => {
  fc.assert(fc.property(sidecarSet("beta", { roundTrips: true }), (b) => assert.deepEqual(toBeta(toAlpha(b)), b)));
});

test("property: conversion never loses a field it does not know, in either direction", () => {
  const unknownPaths = (o: Json) =>
    [o, o.metadata, o.spec, ...(((o.spec as Json).containers as Json[] | undefined) ?? [])].flatMap((level) =>
      Object.entries(level as Json).filter(([k]) => k.startsWith("x-")),
    );
  fc.assert(
    fc.property(fc.oneof(sidecarSet("alpha", { roundTrips: false }), sidecarSet("beta", { roundTrips: false })), fc.constantFrom("v1alpha1" as const, "v1beta1" as const), (s, to) => {
      const out = convertSidecarSet(s, to);
      assert.deepEqual(unknownPaths(out), unknownPaths(s));
      assert.deepEqual(out.status, s.status);
    }),
  );
});
