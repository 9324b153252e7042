import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { LabelSelector } from "../../../../src/api/kube-types.js";
import type { SidecarSet } from "../../../../src/api/types.js";
import { matchSidecarSets, type MatchContext } from "../../../../src/core/inject/match.js";
import { SelectionIndex } from "../../../../src/core/inject/selection-index.js";
import { labelsArb, setArb } from "../../support/selector-arbitraries.js";
import { pod, sidecar, sidecarSet } from "./fixtures.js";

const containers = [sidecar("s")];
const names = (sets: readonly SidecarSet[]) => sets.map((s) => s.metadata.name);

function ctx(index?: SelectionIndex): MatchContext {
  return { namespace: "team-a", namespaceLabels: () => ({ env: "prod" }), revisions: [], random: () => 0, skipReasons: false, ...(index ? { index } : {}) };
}

test("a pod is tried only against the SidecarSets filed under its labels and those with nothing to file them under", () => {
  const sets = [
    sidecarSet("web", { containers, selector: { matchLabels: { app: "web" } } }),
    sidecarSet("api", { containers, selector: { matchLabels: { app: "api" } } }),
    sidecarSet("meshed", { containers, selector: { matchExpressions: [{ key: "mesh", operator: "Exists" }] } }),
    sidecarSet("not-batch", { containers, selector: { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["batch"] }] } }),
    sidecarSet("bad", { containers, selector: { matchExpressions: [{ key: "app", operator: "Near" as never }] } }),
    sidecarSet("paused", { containers, injectionStrategy: { paused: true } }),
    sidecarSet("empty", { containers, selector: {} }),
    sidecarSet("tiers", { containers, selector: { matchExpressions: [{ key: "tier", operator: "In", values: ["front", "back", "front"] }] } }),
  ];
  const index = new SelectionIndex(sets);
  assert.deepEqual(names(index.candidates(pod({ labels: { app: "web" } }))), ["bad", "not-batch", "web"]);
  assert.deepEqual(names(index.candidates(pod({ labels: { app: "api", mesh: "", tier: "front" } }))), ["api", "bad", "meshed", "not-batch", "tiers"]);
  assert.deepEqual(names(index.candidates({ metadata: {} })), ["bad", "not-batch"]);
});

test("a SidecarSet is filed under its narrowest requirement: the In with the fewest values", () => {
  const set = sidecarSet("x", {
    containers,
    selector: {
      matchExpressions: [
        { key: "zone", operator: "Exists" },
        { key: "tier", operator: "In", values: ["a", "b", "c"] },
        { key: "app", operator: "In", values: ["web"] },
      ],
    },
  });
  const index = new SelectionIndex([set]);
  assert.deepEqual(names(index.candidates(pod({ labels: { app: "web" } }))), ["x"]);
  // Missing the one label it is filed under, it is not tried, whatever else matches.
  assert.deepEqual(names(index.candidates(pod({ labels: { zone: "z", tier: "a" } }))), []);
});

test("the index is used only for the list it was made from, and not when reasons are asked for", () => {
  const sets = [sidecarSet("web", { containers }), sidecarSet("api", { containers, selector: { matchLabels: { app: "api" } } })];
  const index = new SelectionIndex(sets);
  const p = pod({ namespace: "team-a" });
  const withReasons = matchSidecarSets(p, sets, { ...ctx(index), skipReasons: true });
  assert.ok(withReasons.ok);
  assert.deepEqual(withReasons.result.skipped.map((s) => s.name), ["api"]);
  const other = [...sets, sidecarSet("web-too", { containers })];
  const onAnotherList = matchSidecarSets(p, other, ctx(index));
  assert.ok(onAnotherList.ok);
  assert.deepEqual(names(onAnotherList.result.applied), ["web", "web-too"]);
});

// The index must change nothing of the outcome: what applies, in which order, which revision, and the
// denial for the first SidecarSet (by name) whose selectors do not parse.
test("property: matching through the index gives what trying every SidecarSet in order gives", () => {
  fc.assert(
    fc.property(fc.array(setArb, { maxLength: 8 }), labelsArb, fc.boolean(), (specs, labels, readable) => {
      const sets = specs.map((s) =>
        sidecarSet(s.name, {
          containers,
          ...(s.namespace ? { namespace: s.namespace } : {}),
          ...(s.namespaceSelector ? { namespaceSelector: s.namespaceSelector } : {}),
          ...(s.paused ? { injectionStrategy: { paused: true } } : {}),
          selector: s.selector as LabelSelector,
        }),
      );
      const p = pod({ namespace: "team-a" });
      p.metadata!.labels = labels as Record<string, string>;
      const plain = { ...ctx(), namespaceLabels: () => (readable ? { app: "web", tier: "a" } : undefined) };
      const expected = matchSidecarSets(p, sets, plain);
      const indexed = matchSidecarSets(p, sets, { ...plain, index: new SelectionIndex(sets) });
      assert.deepEqual(indexed, expected);
    }),
    { numRuns: 5000 },
  );
});
