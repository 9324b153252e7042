// The pod cache keeps the objects its changes replaced only as far back as a
// quiet plan can still be carried forward over them: with no quiet plan (a
// rollout with work to do) it keeps none.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../../src/api/kube-types.js";
import { SidecarSetReconciler } from "../../../src/controller/reconciler.js";
import { Expectations } from "../../../src/core/rollout/expectations.js";
import { FULL_PLAN_INTERVAL_MS } from "../../../src/core/rollout/quiet-plan.js";
import type { EventRecorder } from "../../../src/kube/events.js";
import { silentLogger } from "../../../src/observability/logger.js";
import { at, makePod, makeSet, SET } from "../core/rollout/fixtures.js";
import { fakeReconcilerWorld } from "./fake-reconciler-world.js";

function setup(pods: Pod[]) {
  const world = fakeReconcilerWorld(makeSet({ maxUnavailable: 5 }), pods);
  let nowMs = Date.parse(at(3600));
  const reconciler = new SidecarSetReconciler({
    client: world.client,
    caches: world.caches,
    expectations: new Expectations(),
    recorder: { event: () => undefined } as unknown as EventRecorder,
    logger: silentLogger(),
    namespace: "sidecarset-system",
    now: () => new Date(nowMs),
  });
  return { ...world, reconciler, later: (ms: number) => (nowMs += ms) };
}

test("a quiet SidecarSet: the pods replaced before its last plan are let go, those since are kept for the next", async () => {
  const h = setup([makePod("a", { updated: true }), makePod("b", { updated: true })]);
  assert.ok(h.store.changesSince(0), "the adds are in the journal before any plan");
  await h.reconciler.reconcile(SET);
  const base = h.store.revision;
  assert.equal(h.store.changesSince(0), undefined, "nothing before the quiet plan is kept");
  const replaced = h.store.get("default/a");
  h.store.set("default/a", makePod("a", { updated: true, ready: false }));
  assert.equal(h.store.changesSince(base)!.get("default/a"), replaced, "the change since is kept for the carry-forward");
  h.later(4_000); // past the pace of count-only status writes
  await h.reconciler.reconcile(SET);
  assert.equal(h.store.changesSince(base), undefined, "carried forward: its base moved on, and the journal with it");
  assert.equal(h.set().status?.readyPods, 1, "the carried plan counted the change");
});

test("a quiet plan too old to be carried forward holds nothing back", async () => {
  const h = setup([makePod("a", { updated: true })]);
  await h.reconciler.reconcile(SET);
  const base = h.store.revision;
  h.store.set("default/a", makePod("a", { updated: true, ready: false }));
  h.later(FULL_PLAN_INTERVAL_MS);
  await h.reconciler.reconcile(SET);
  assert.equal(h.store.changesSince(base), undefined);
});

test("a rollout with pods to upgrade is planned in full each time: no replaced pod is kept", async () => {
  const h = setup([makePod("a"), makePod("b", { updated: true })]);
  h.store.set("default/b", makePod("b", { updated: true, ready: false }));
  await h.reconciler.reconcile(SET);
  assert.equal(h.store.changesSince(h.store.revision - 1), undefined);
  assert.deepEqual([...h.store.changesSince(h.store.revision)!.keys()], []);
});
