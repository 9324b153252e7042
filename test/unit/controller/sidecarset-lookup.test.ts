// The controller's SidecarSet lookup for pod events
// (src/controller/sidecarset-lookup.ts): the SidecarSets selecting a pod are
// what trying every one gives, through selector changes, and they are the
// cache's current objects; the canaries of a base are what reading every one
// finds.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { CANARY_ANNOTATION, CANARY_BASE_ANNOTATION } from "../../../src/api/keys.js";
import type { LabelSelector } from "../../../src/api/kube-types.js";
import type { SidecarSet } from "../../../src/api/types.js";
import { IndexedSidecarSets } from "../../../src/controller/sidecarset-lookup.js";
import { canaryNamesOf } from "../../../src/core/rollout/matching.js";
import { lookupOf, selectingSidecarSets } from "../../../src/core/triggers.js";
import type { EventHandlers } from "../../../src/kube/informer.js";
import { pod, sidecar, sidecarSet } from "../core/inject/fixtures.js";
import { labelsArb, setArb } from "../support/selector-arbitraries.js";

/** A SidecarSet cache that tells its handler of each change, as the informer does. */
class FakeSidecarSetCache {
  private readonly items = new Map<string, SidecarSet>();
  private handlers: EventHandlers<SidecarSet> | undefined;

  get(name: string): SidecarSet | undefined {
    return this.items.get(name);
  }
  list(): SidecarSet[] {
    return [...this.items.values()];
  }
  addEventHandler(handlers: EventHandlers<SidecarSet>): () => void {
    this.handlers = handlers;
    for (const s of this.items.values()) handlers.add?.(s);
    return () => (this.handlers = undefined);
  }
  put(set: SidecarSet): void {
    const name = set.metadata.name ?? "";
    const old = this.items.get(name);
    this.items.set(name, set);
    if (old) this.handlers?.update?.(old, set);
    else this.handlers?.add?.(set);
  }
  remove(name: string): void {
    const old = this.items.get(name);
    if (!old) return;
    this.items.delete(name);
    this.handlers?.delete?.(old);
  }
}

type SetSpec = typeof setArb extends fc.Arbitrary<infer T> ? T : never;
type Change<T> = { put: T } | { remove: string };

/** Runs `check` on the cache as it is, then after each change. */
function checkAfterEach<T>(cache: FakeSidecarSetCache, changes: readonly Change<T>[], toSet: (spec: T) => SidecarSet, check: () => void): void {
  check();
  for (const c of changes) {
    if ("put" in c) cache.put(toSet(c.put));
    else cache.remove(c.remove);
    check();
  }
}

const names = (sets: readonly SidecarSet[]) => sets.map((s) => s.metadata.name).sort();
const selecting = (selector: LabelSelector) => sidecarSet("x", { containers: [sidecar("s")], selector });

test("a status write keeps the filing and hands out the new object; a selector change files it again", () => {
  const cache = new FakeSidecarSetCache();
  cache.put({ ...selecting({ matchLabels: { app: "web" } }), metadata: { name: "web" } });
  cache.put({ ...selecting({ matchLabels: { app: "api" } }), metadata: { name: "api" } });
  const lookup = new IndexedSidecarSets(cache);
  const web = pod({ labels: { app: "web" } });
  assert.deepEqual(names(lookup.selectionCandidates(web)), ["web"]);
  const written = { ...cache.get("web")!, status: { observedGeneration: 1, matchedPods: 1, updatedPods: 1, readyPods: 1 } };
  cache.put(written);
  assert.equal(lookup.selectionCandidates(web)[0], written);
  assert.equal(lookup.byName("web"), written);
  cache.put({ ...selecting({ matchLabels: { app: "web" } }), metadata: { name: "api" } });
  assert.deepEqual(names(lookup.selectionCandidates(web)), ["api", "web"]);
  cache.remove("web");
  assert.deepEqual(names(lookup.selectionCandidates(web)), ["api"]);
});

test("property: the SidecarSets selecting a pod are those trying every one gives, after any changes", () => {
  const namespaceLabels = { "team-a": { app: "web", tier: "a" } };
  const toSet = (s: SetSpec) =>
    sidecarSet(s.name, {
      containers: [sidecar("s")],
      ...(s.namespace ? { namespace: s.namespace } : {}),
      ...(s.namespaceSelector ? { namespaceSelector: s.namespaceSelector } : {}),
      ...(s.paused ? { injectionStrategy: { paused: true } } : {}),
      selector: s.selector as LabelSelector,
    });
  const change = fc.oneof(setArb.map((s) => ({ put: s })), fc.constantFrom("a", "b", "c").map((name) => ({ remove: name })));
  fc.assert(
    fc.property(fc.array(setArb, { maxLength: 6 }), fc.array(change, { maxLength: 4 }), labelsArb, fc.constantFrom("team-a", "team-b"), (initial, changes, labels, namespace) => {
      const cache = new FakeSidecarSetCache();
      for (const s of initial) cache.put(toSet(s));
      const lookup = new IndexedSidecarSets(cache);
      const p = pod({ namespace });
      p.metadata!.labels = labels as Record<string, string>;
      const check = () =>
        assert.deepEqual(names(selectingSidecarSets(p, lookup, namespaceLabels)), names(selectingSidecarSets(p, lookupOf(cache.list()), namespaceLabels)));
      checkAfterEach(cache, changes, toSet, check);
    }),
    { numRuns: 3000 },
  );
});

test("property: the canaries of a base are those reading every SidecarSet finds, after any changes", () => {
  const NAMES = ["a", "b", "c", "d"];
  const spec = fc.record({ name: fc.constantFrom(...NAMES), canary: fc.boolean(), base: fc.constantFrom(...NAMES, "") });
  const toSet = (s: { name: string; canary: boolean; base: string }): SidecarSet => ({
    ...selecting({ matchLabels: { app: "web" } }),
    metadata: { name: s.name, annotations: { [CANARY_ANNOTATION]: String(s.canary), [CANARY_BASE_ANNOTATION]: s.base } },
  });
  const change = fc.oneof(spec.map((s) => ({ put: s })), fc.constantFrom(...NAMES).map((name) => ({ remove: name })));
  fc.assert(
    fc.property(fc.array(spec, { maxLength: 6 }), fc.array(change, { maxLength: 5 }), (initial, changes) => {
      const cache = new FakeSidecarSetCache();
      for (const s of initial) cache.put(toSet(s));
      const lookup = new IndexedSidecarSets(cache);
      const check = () => {
        for (const base of NAMES) {
          const set = cache.get(base) ?? toSet({ name: base, canary: false, base: "" });
          assert.deepEqual([...lookup.canaryNamesOf(base)].sort(), canaryNamesOf(set, cache.list()).sort(), base);
        }
      };
      checkAfterEach(cache, changes, toSet, check);
    }),
    { numRuns: 2000 },
  );
});
