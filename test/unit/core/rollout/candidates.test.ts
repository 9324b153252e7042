import assert from "node:assert/strict";
import { test } from "node:test";
import { classifyCandidate, updateSelectorOf } from "../../../../src/core/rollout/candidates.js";
import { PodConsistency } from "../../../../src/core/rollout/consistency.js";
import type { CandidateState } from "../../../../src/core/rollout/candidates.js";
import type { Pod } from "../../../../src/api/kube-types.js";
import { makePod, makeSet, type PodState } from "./fixtures.js";

function classify(state: PodState, strategy = {}): CandidateState {
  const set = makeSet(strategy);
  const pod: Pod = makePod("p", state);
  const selector = updateSelectorOf(set);
  return classifyCandidate(set, pod, {
    updated: state.updated ?? false,
    selectedForUpdate: selector.matches(pod),
    consistency: new PodConsistency(pod, set),
  });
}

const cases: { name: string; state: PodState; strategy?: object; expect: CandidateState }[] = [
  { name: "a pod recording the current hash is not a candidate", state: { updated: true }, expect: "updated" },
  { name: "a not-updated pod with equal hash-without-image waits", state: {}, expect: "waiting" },
  { name: "hash-without-image differs ⇒ not upgradable", state: { notUpgradable: true }, expect: "not-upgradable" },
  { name: "a ready sidecar still on its pre-update image ⇒ busy", state: { busy: true }, expect: "busy" },
  { name: "not upgradable wins over busy", state: { busy: true, notUpgradable: true }, expect: "not-upgradable" },
  {
    name: "updateStrategy.selector leaves unselected pods alone",
    state: { labels: { canary: "false" } },
    strategy: { selector: { matchLabels: { canary: "true" } } },
    expect: "not-selected",
  },
  {
    name: "updateStrategy.selector keeps selected pods waiting",
    state: { labels: { canary: "true" } },
    strategy: { selector: { matchLabels: { canary: "true" } } },
    expect: "waiting",
  },
];
for (const c of cases) test(c.name, () => assert.equal(classify(c.state, c.strategy), c.expect));

test("an unparseable updateStrategy.selector selects nothing and says why", () => {
  const set = makeSet({ selector: { matchExpressions: [{ key: "a", operator: "Near" }] } });
  const s = updateSelectorOf(set);
  assert.equal(s.matches(makePod("p")), false);
  assert.match(s.error ?? "", /Near/);
});
