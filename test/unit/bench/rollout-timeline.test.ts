// The rollout bench's "where the time went" must read a timeline right:
// in flight, cycles and refills of a hand-made rollout with known answers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { describeTimeline, RolloutTimeline } from "../../../bench/support/rollout-timeline.js";

test("a rollout of 3 pods with budget 2: in flight, cycle and refill times", () => {
  const t = new RolloutTimeline();
  // a and b patched at 100 and 100; a done at 1100, c patched at 1300; b done at 1200, c done at 2300.
  t.observe("a", 100, { patched: true, done: false });
  t.observe("b", 100, { patched: true, done: false });
  t.observe("a", 1100, { patched: true, done: true });
  t.observe("b", 1200, { patched: true, done: true });
  t.observe("c", 1300, { patched: true, done: false });
  t.observe("c", 2300, { patched: true, done: true });
  // Later events of a finished pod change nothing.
  t.observe("a", 2000, { patched: true, done: true });
  const s = t.summary(0);
  assert.ok(s);
  assert.equal(s.firstPatchMs, 100);
  assert.equal(s.lastDoneMs, 2300);
  assert.equal(s.done, 3);
  // 2 pods 100→1100, 1 pod 1100→1200, 0 pods 1200→1300, 1 pod 1300→2300: 3100 over 2200 ms.
  assert.equal(s.averageInFlight, 3100 / 2200);
  assert.deepEqual(s.cycleMs, { p50: 1000, p90: 1100 });
  // a's slot refilled by c after 200 ms; b's and c's finish with nothing left to patch.
  assert.deepEqual(s.refillMs, { p50: 200, p90: 200 });
  assert.match(describeTimeline(s, 2), /on average 1\.4 of 2; .* p50 1000 ms, p90 1100 ms; a freed slot refilled after p50 200 ms/);
});

test("no pod finished: no summary", () => {
  const t = new RolloutTimeline();
  t.observe("a", 100, { patched: true, done: false });
  assert.equal(t.summary(0), undefined);
});
