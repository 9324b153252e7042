// What a SidecarSet's plan memo keeps between plans: the selection and facts
// of the pods it selects, and nothing of the pods it does not select (every
// SidecarSet lists every pod of its scope; an entry per pod and SidecarSet
// would grow with their product).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../../../src/api/kube-types.js";
import { MATCHED, PlanMemo, SELECTED } from "../../../../src/core/rollout/plan-memo.js";
import { makePod, makeSet } from "./fixtures.js";

function counted(flags: number): { compute: (pod: Pod) => number; calls: () => number } {
  let calls = 0;
  return { compute: () => (calls++, flags), calls: () => calls };
}

test("a selected pod's flags are computed once per pod object", () => {
  const memo = new PlanMemo();
  memo.begin(makeSet(), {});
  const pod = makePod("a");
  const c = counted(SELECTED | MATCHED);
  assert.equal(memo.selectionOf(pod, c.compute), SELECTED | MATCHED);
  assert.equal(memo.selectionOf(pod, c.compute), SELECTED | MATCHED);
  assert.equal(c.calls(), 1);
  assert.equal(memo.selectionOf(makePod("a"), c.compute), SELECTED | MATCHED, "a new object of the same pod is read again");
  assert.equal(c.calls(), 2);
});

test("a pod the SidecarSet does not select is not remembered: its selector is asked again each plan", () => {
  const memo = new PlanMemo();
  memo.begin(makeSet(), {});
  const pod = makePod("a");
  const c = counted(0);
  assert.equal(memo.selectionOf(pod, c.compute), 0);
  assert.equal(memo.selectionOf(pod, c.compute), 0);
  assert.equal(c.calls(), 2);
  assert.equal(memo.factsOf(pod), undefined);
});

test("the memo forgets when an input changes, whether or not the SidecarSet is the same object, and keeps what it knew otherwise", () => {
  const memo = new PlanMemo();
  const set = makeSet();
  memo.begin(set, { canaryNames: ["canary-a"] });
  const first = memo.generation;
  const equal = structuredClone(set);
  memo.begin(equal, { canaryNames: ["canary-a"] });
  memo.begin(equal, { canaryNames: ["canary-a"] });
  assert.equal(memo.generation, first, "the same inputs, in the same object or an equal one");
  memo.begin(equal, { canaryNames: ["canary-b"] });
  assert.equal(memo.generation, first + 1, "other canaries, same SidecarSet object");
  memo.begin(equal, { canaryNames: ["canary-b"], nativeSidecarInPlaceUpgrade: true });
  assert.equal(memo.generation, first + 2, "native sidecars upgraded in place now");
  const next = structuredClone(set);
  next.spec.containers![0]!.image = "sidecar:next";
  memo.begin(next, { canaryNames: ["canary-b"], nativeSidecarInPlaceUpgrade: true });
  assert.equal(memo.generation, first + 3, "another spec");
  memo.begin(set, { canaryNames: ["canary-b"], nativeSidecarInPlaceUpgrade: true });
  assert.equal(memo.generation, first + 4, "back to the earlier object");
});
