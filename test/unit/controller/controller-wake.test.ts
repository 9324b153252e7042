// During a rollout a reconcile that finds its earlier pod writes not yet in
// the cache acts on no pod; the pods that became ready meanwhile hold places
// the next pods wait for. The pod event that shows the last awaited write
// reconciles the SidecarSet at once. Timers are frozen here, so the
// reconcile's own requeue (EXPECTATION_REQUEUE_MS) never comes.
import assert from "node:assert/strict";
import { mock, test } from "node:test";
import type { Pod } from "../../../src/api/kube-types.js";
import type { ManagerCaches } from "../../../src/controller/caches.js";
import { SidecarSetController } from "../../../src/controller/controller.js";
import { lookupOf } from "../../../src/core/triggers.js";
import type { EventRecorder } from "../../../src/kube/events.js";
import type { EventHandlers } from "../../../src/kube/informer.js";
import { silentLogger } from "../../../src/observability/logger.js";
import { makePod, makeSet } from "../core/rollout/fixtures.js";
import { fakeReconcilerWorld } from "./fake-reconciler-world.js";

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

function setup() {
  const set = makeSet({ maxUnavailable: 1 });
  const world = fakeReconcilerWorld(set, [makePod("a"), makePod("b"), makePod("c")]);
  const podHandlers: Partial<EventHandlers<Pod>>[] = [];
  const setHandlers: Partial<EventHandlers<typeof set>>[] = [];
  const caches = {
    ...(world.caches as unknown as Record<string, unknown>),
    sidecarSets: { addEventHandler: (h: Partial<EventHandlers<typeof set>>) => (setHandlers.push(h), () => undefined) },
    namespaces: { addEventHandler: () => () => undefined },
    pods: Object.assign(world.store, { addEventHandler: (h: Partial<EventHandlers<Pod>>) => (podHandlers.push(h), () => undefined) }),
    sidecarSetLookup: lookupOf([set]),
  } as unknown as ManagerCaches;
  const controller = new SidecarSetController({
    client: world.client,
    caches,
    recorder: { event: () => undefined } as unknown as EventRecorder,
    logger: silentLogger(),
    namespace: "sidecarset-system",
    workers: 1,
    expectationTimeoutMs: 60_000,
  });
  /** What the watch delivers: the store changes, then the controller hears of it. */
  const podUpdated = (next: Pod) => {
    const key = `${next.metadata!.namespace}/${next.metadata!.name}`;
    const previous = world.store.get(key)!;
    world.store.set(key, next);
    for (const h of podHandlers) h.update?.(previous, next);
  };
  return { world, set, controller, setHandlers, podUpdated };
}

const withResourceVersion = (pod: Pod, resourceVersion: string): Pod => ({ ...pod, metadata: { ...pod.metadata, resourceVersion } });

test("the pod event that shows the last awaited write reconciles at once, and the freed place is taken", async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  const h = setup();
  try {
    h.controller.start();
    h.setHandlers[0]!.add?.(h.set);
    await turns(50);
    assert.equal(h.world.podWrites.length, 1, "maxUnavailable 1: the first round upgrades one pod");
    const first = h.world.podWrites[0]!.split("/").pop()!;

    // Another pod's event reconciles the SidecarSet before the cache shows the
    // write: that reconcile is turned away and acts on no pod.
    const other = ["a", "b", "c"].find((n) => n !== first)!;
    h.podUpdated(withResourceVersion(makePod(other, { labels: { app: "web", tier: "front" } }), "10"));
    await turns(50);
    assert.equal(h.world.podWrites.length, 1, `the write of ${first} is not shown yet`);

    // The watch brings the write, updated and ready: the SidecarSet acts on the next pod.
    h.podUpdated(withResourceVersion(makePod(first, { updated: true }), "11"));
    await turns(50);
    assert.equal(h.world.podWrites.length, 2, "the event that showed the write reconciled the SidecarSet");
    assert.notEqual(h.world.podWrites[1], h.world.podWrites[0]);
  } finally {
    await h.controller.stop();
    mock.timers.reset();
  }
});
