// A full plan reads the pods found by the labels its selector requires
// (src/controller/scope-listing.ts): it must select exactly the pods that
// reading every pod of the scope selects, however pods change after the
// label indexes were made.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { LabelSelector, Pod } from "../../../src/api/kube-types.js";
import { LABEL_INDEX_IDLE_MS, labelIndexName, LabelIndexes, podsSelectableBy } from "../../../src/controller/scope-listing.js";
import { selectPods } from "../../../src/core/rollout/matching.js";
import { NAMESPACE_INDEX, Store } from "../../../src/kube/store.js";
import { pod, sidecar, sidecarSet } from "../core/inject/fixtures.js";
import { labelsArb, setArb } from "../support/selector-arbitraries.js";

const NAMESPACES = ["team-a", "team-b"];
const namespaceLabels = { "team-a": { app: "web", tier: "a" }, "team-b": {} };

function podAt(i: number, namespace: string, labels: Record<string, string> | undefined): Pod {
  const p = pod({ name: `p${i}`, namespace });
  p.metadata!.labels = labels as Record<string, string>;
  return p;
}

const keyOf = (p: Pod) => `${p.metadata!.namespace}/${p.metadata!.name}`;

test("the listing is the pods of the narrowest requirement, or of the namespace when that is smaller", () => {
  const store = new Store<Pod>();
  const indexes = new LabelIndexes(store);
  for (let i = 0; i < 10; i++) store.set(`team-a/p${i}`, podAt(i, "team-a", { app: i < 2 ? "web" : "api", tier: "a" }));
  for (let i = 10; i < 13; i++) store.set(`team-b/p${i}`, podAt(i, "team-b", { app: "web" }));
  const names = (selector: LabelSelector, namespace?: string) =>
    podsSelectableBy(indexes, sidecarSet("s", { containers: [sidecar("s")], selector, ...(namespace ? { namespace } : {}) }))
      .map(keyOf)
      .sort();
  assert.deepEqual(names({ matchLabels: { app: "web", tier: "a" } }), ["team-a/p0", "team-a/p1", "team-b/p10", "team-b/p11", "team-b/p12"]);
  assert.deepEqual(names({ matchLabels: { app: "web" } }, "team-b"), ["team-b/p10", "team-b/p11", "team-b/p12"]);
  assert.equal(names({ matchExpressions: [{ key: "app", operator: "NotIn", values: ["api"] }] }).length, 13, "nothing to narrow by: every pod");
  assert.equal(names({ matchExpressions: [{ key: "zone", operator: "Exists" }] }).length, 0);
  assert.equal(store.indexSize(labelIndexName("app")), 13);
  // The index follows the pods: relabelled, deleted.
  store.set("team-a/p2", podAt(2, "team-a", { app: "web" }));
  store.delete("team-b/p12");
  assert.deepEqual(names({ matchLabels: { app: "web" } }), ["team-a/p0", "team-a/p1", "team-a/p2", "team-b/p10", "team-b/p11"]);
  assert.equal(store.indexSize(labelIndexName("app"), "web"), 5);
  assert.equal(store.indexSize(NAMESPACE_INDEX, "team-b"), 2);
});

test("a pod without the label is not filed under what Object.prototype holds", () => {
  const store = new Store<Pod>();
  store.set("team-a/p0", podAt(0, "team-a", { app: "web" }));
  const indexes = new LabelIndexes(store);
  const selecting = (key: string) =>
    podsSelectableBy(indexes, sidecarSet("s", { containers: [sidecar("s")], selector: { matchExpressions: [{ key, operator: "Exists" }] } }));
  assert.deepEqual(selecting("constructor"), []);
  assert.deepEqual(selecting("__proto__"), []);
  assert.deepEqual(store.indexValues(labelIndexName("constructor")), []);
});

test("an index no plan used for a while is dropped, and made again, current, when a plan needs it", () => {
  const store = new Store<Pod>();
  let now = 0;
  const indexes = new LabelIndexes(store, () => now);
  store.set("team-a/p0", podAt(0, "team-a", { app: "web" }));
  const web = sidecarSet("s", { containers: [sidecar("s")], selector: { matchLabels: { app: "web" } } });
  const tiered = sidecarSet("t", { containers: [sidecar("s")], selector: { matchLabels: { tier: "a" } } });
  assert.equal(podsSelectableBy(indexes, web).length, 1);
  now = LABEL_INDEX_IDLE_MS / 2;
  assert.equal(podsSelectableBy(indexes, tiered).length, 0);
  now = LABEL_INDEX_IDLE_MS;
  assert.deepEqual(indexes.retireUnused(), [labelIndexName("app")]);
  assert.equal(store.hasIndex(labelIndexName("app")), false);
  assert.equal(store.hasIndex(labelIndexName("tier")), true, "used more recently: kept");
  // Pods that change while there is no index are found once it is made again.
  store.set("team-a/p1", podAt(1, "team-a", { app: "web" }));
  assert.deepEqual(podsSelectableBy(indexes, web).map(keyOf).sort(), ["team-a/p0", "team-a/p1"]);
  assert.equal(store.indexSize(labelIndexName("app")), 2);
});

const podArb = fc.record({ namespace: fc.constantFrom(...NAMESPACES), labels: labelsArb, terminating: fc.boolean() });
const changeArb = fc.record({ at: fc.nat(9), pod: fc.option(podArb, { nil: undefined }) });

test("property: what the plan selects from the listing is what it selects from every pod of the scope", () => {
  fc.assert(
    fc.property(fc.array(setArb, { minLength: 1, maxLength: 4 }), fc.array(podArb, { maxLength: 10 }), fc.array(changeArb, { maxLength: 6 }), (specs, initial, changes) => {
      const sets = specs.map((s, i) =>
        sidecarSet(`${s.name}${i}`, {
          containers: [sidecar("s")],
          ...(s.namespace ? { namespace: s.namespace } : {}),
          ...(s.namespaceSelector ? { namespaceSelector: s.namespaceSelector } : {}),
          selector: s.selector as LabelSelector,
        }),
      );
      const store = new Store<Pod>();
      const indexes = new LabelIndexes(store);
      const put = (i: number, spec: (typeof initial)[number]) => {
        const p = podAt(i, spec.namespace, spec.labels as Record<string, string> | undefined);
        if (spec.terminating) p.metadata!.deletionTimestamp = "2026-01-01T00:00:00Z";
        const key = keyOf(p);
        for (const ns of NAMESPACES) store.delete(`${ns}/p${i}`);
        store.set(key, p);
      };
      initial.forEach((spec, i) => put(i, spec));
      const check = () => {
        for (const set of sets) {
          const scope = set.spec.namespace ? store.byIndex(NAMESPACE_INDEX, set.spec.namespace) : store.list();
          const expected = selectPods(set, scope, { namespaceLabels }).selected.map(keyOf);
          const listed = podsSelectableBy(indexes, set);
          assert.deepEqual(selectPods(set, listed, { namespaceLabels }).selected.map(keyOf), expected);
          assert.equal(new Set(listed).size, listed.length, "no pod listed twice");
        }
      };
      // The first check makes the indexes; the changes after it must keep them right.
      check();
      for (const change of changes) {
        if (change.pod) put(change.at, change.pod);
        else for (const ns of NAMESPACES) store.delete(`${ns}/p${change.at}`);
      }
      check();
    }),
    { numRuns: 3000 },
  );
});
