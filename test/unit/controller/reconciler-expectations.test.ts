// A reconcile acts on pods only with a plan made from a cache that shows every
// pod write it made before. The cache moves while a reconcile awaits the API
// server (its status write): a check of those writes made after that await
// could pass on a cache the plan never saw, and the plan would pick pods it
// had already upgraded.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../../src/api/kube-types.js";
import { EXPECTATION_REQUEUE_MS, SidecarSetReconciler } from "../../../src/controller/reconciler.js";
import { Expectations } from "../../../src/core/rollout/expectations.js";
import { setHash } from "../../../src/core/rollout/status.js";
import type { EventRecorder } from "../../../src/kube/events.js";
import { silentLogger } from "../../../src/observability/logger.js";
import { at, makePod, makeSet, SET } from "../core/rollout/fixtures.js";
import { fakeReconcilerWorld } from "./fake-reconciler-world.js";

function setup(pods: Pod[]) {
  const world = fakeReconcilerWorld(makeSet({ maxUnavailable: 5 }), pods);
  const expectations = new Expectations();
  const reconciler = new SidecarSetReconciler({
    client: world.client,
    caches: world.caches,
    expectations,
    recorder: { event: () => undefined } as unknown as EventRecorder,
    logger: silentLogger(),
    namespace: "sidecarset-system",
    now: () => new Date(at(3600)),
  });
  return { ...world, reconciler, expectations };
}

test("writes the cache shows only after the plan was made: no pod is written, the reconcile looks again", async () => {
  const h = setup([makePod("a"), makePod("b", { updated: true })]);
  // "a" was upgraded by the previous round; the cache has not shown it yet.
  h.expectations.expectUpdate(SET, "default/a", setHash(h.set()), new Date(at(3599)));
  h.duringStatusWrite(() => h.store.set("default/a", makePod("a", { updated: true, ready: false })));
  const result = await h.reconciler.reconcile(SET);
  assert.deepEqual(h.podWrites, [], "the plan saw \"a\" not upgraded; acting on it would upgrade \"a\" again");
  assert.deepEqual(result, { requeueAfterMs: EXPECTATION_REQUEUE_MS });

  // The next reconcile plans from a cache that shows the write: nothing is left to upgrade.
  h.duringStatusWrite(() => undefined);
  await h.reconciler.reconcile(SET);
  assert.deepEqual(h.podWrites, []);
  assert.deepEqual(h.expectations.pending(SET), []);
});

test("writes the cache already shows: the plan acts in the same reconcile", async () => {
  const h = setup([makePod("a", { updated: true, ready: false }), makePod("b")]);
  h.expectations.expectUpdate(SET, "default/a", setHash(h.set()), new Date(at(3599)));
  await h.reconciler.reconcile(SET);
  assert.deepEqual(h.podWrites, ["/api/v1/namespaces/default/pods/b"]);
  assert.deepEqual(h.expectations.pending(SET), ["default/b"]);
});

test("a reconcile turned away by writes not yet shown is woken by the event that shows the last of them", async () => {
  const h = setup([makePod("a"), makePod("b"), makePod("c")]);
  const hash = setHash(h.set());
  h.expectations.expectUpdate(SET, "default/a", hash, new Date(at(3599)));
  h.expectations.expectUpdate(SET, "default/b", hash, new Date(at(3599)));
  assert.equal(h.reconciler.awaitedWritesNowShown(SET), false, "no reconcile has been turned away yet");

  assert.deepEqual(await h.reconciler.reconcile(SET), { requeueAfterMs: EXPECTATION_REQUEUE_MS });
  assert.deepEqual(h.podWrites, []);
  h.store.set("default/a", makePod("a", { updated: true, ready: false }));
  assert.equal(h.reconciler.awaitedWritesNowShown(SET), false, "the write of b is not shown yet");
  h.store.set("default/b", makePod("b", { updated: true, ready: false }));
  assert.equal(h.reconciler.awaitedWritesNowShown(SET), true);
  assert.equal(h.reconciler.awaitedWritesNowShown(SET), false, "one wake-up per reconcile turned away");

  await h.reconciler.reconcile(SET);
  assert.deepEqual(h.podWrites, ["/api/v1/namespaces/default/pods/c"]);
});

test("a reconcile that acted is not woken by its own writes showing", async () => {
  const h = setup([makePod("a")]);
  await h.reconciler.reconcile(SET);
  assert.deepEqual(h.podWrites, ["/api/v1/namespaces/default/pods/a"]);
  h.store.set("default/a", makePod("a", { updated: true, ready: false }));
  assert.equal(h.reconciler.awaitedWritesNowShown(SET), false, "the next pod event that frees a place reconciles it");
});
