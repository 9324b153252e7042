// The reconciler's side of the progress deadline (docs/behaviour.md §7a.5):
// what it writes into the status, which events it records and when it asks
// to look again — over fake caches and a fake API client that records writes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_FAILED_UPGRADES_ANNOTATION, PROGRESS_DEADLINE_ANNOTATION } from "../../../src/api/keys.js";
import type { Pod } from "../../../src/api/kube-types.js";
import type { SidecarSet, SidecarSetStatus } from "../../../src/api/types.js";
import { SidecarSetReconciler } from "../../../src/controller/reconciler.js";
import { Expectations } from "../../../src/core/rollout/expectations.js";
import type { ProgressVerdict } from "../../../src/core/rollout/progress-deadline.js";
import type { EventRecorder } from "../../../src/kube/events.js";
import { silentLogger } from "../../../src/observability/logger.js";
import { at, makePod, makeSet, SET } from "../core/rollout/fixtures.js";
import { fakeReconcilerWorld } from "./fake-reconciler-world.js";

interface Harness {
  reconcile(): Promise<{ requeueAfterMs: number } | void>;
  status(): SidecarSetStatus | undefined;
  events: { type: string; reason: string; message: string }[];
  podWrites: string[];
  verdicts: (ProgressVerdict | undefined)[];
}

/** A reconciler over one SidecarSet and `pods`; each reconcile runs two seconds after the last (past the status write interval). */
function harness(annotations: Record<string, string>, pods: Pod[], startSeconds = 3600): Harness {
  const base = makeSet({ maxUnavailable: 5 });
  const set: SidecarSet = { ...base, metadata: { ...base.metadata, annotations: { ...base.metadata.annotations, ...annotations } } };
  const world = fakeReconcilerWorld(set, pods);
  const events: Harness["events"] = [];
  const verdicts: Harness["verdicts"] = [];
  const recorder = { event: (_ref: unknown, type: string, reason: string, message: string) => events.push({ type, reason, message }) } as unknown as EventRecorder;
  let seconds = startSeconds;
  const reconciler = new SidecarSetReconciler({
    client: world.client,
    caches: world.caches,
    expectations: new Expectations(),
    recorder,
    logger: silentLogger(),
    namespace: "sidecarset-system",
    now: () => new Date(at(seconds)),
    metrics: { progress: (_name, verdict) => verdicts.push(verdict) },
  });
  return {
    reconcile: async () => {
      const result = await reconciler.reconcile(SET);
      seconds += 2;
      return result;
    },
    status: () => world.set().status,
    events,
    podWrites: world.podWrites,
    verdicts,
  };
}

const crashLooping = () => makePod("bad", { updated: true, ready: false, sidecar: { restartedAt: 5, waiting: "CrashLoopBackOff" } });
const conditionTypes = (h: Harness) => (h.status()?.conditions ?? []).map((c) => c.type);
const reasons = (h: Harness) => h.events.map((e) => e.reason);

test("no annotation: a crash-looping upgraded pod changes nothing — no Progressing condition, no progress event, no verdict", async () => {
  const h = harness({}, [crashLooping(), makePod("good", { updated: true })]);
  await h.reconcile();
  assert.deepEqual(conditionTypes(h), ["Reconciled"]);
  assert.deepEqual(reasons(h), []);
  assert.deepEqual(h.verdicts, [undefined]);
});

test("halted: Progressing=False in the status, one Warning event naming the pod, no pod written — and no second event once the status shows the halt", async () => {
  const h = harness({ [PROGRESS_DEADLINE_ANNOTATION]: "60" }, [crashLooping(), makePod("old-1"), makePod("old-2")]);
  await h.reconcile();
  const progressing = h.status()?.conditions?.find((c) => c.type === "Progressing");
  assert.equal(progressing?.status, "False");
  assert.equal(progressing?.reason, "ProgressDeadlineExceeded");
  assert.deepEqual(h.podWrites, [], "no pod upgraded while halted");
  assert.deepEqual(reasons(h), ["ProgressDeadlineExceeded"]);
  assert.equal(h.events[0]!.type, "Warning");
  assert.match(h.events[0]!.message, /default\/bad \(sidecar: CrashLoopBackOff\)/);
  assert.equal(h.verdicts[0]?.halted, true);

  await h.reconcile();
  assert.deepEqual(reasons(h), ["ProgressDeadlineExceeded"], "the halt is announced once");
  assert.deepEqual(h.podWrites, []);
});

test("below max-failed-upgrades: Progressing=True, Upgrading, and the rollout goes on", async () => {
  const h = harness({ [PROGRESS_DEADLINE_ANNOTATION]: "60", [MAX_FAILED_UPGRADES_ANNOTATION]: "2" }, [crashLooping(), makePod("old-1")]);
  await h.reconcile();
  const progressing = h.status()?.conditions?.find((c) => c.type === "Progressing");
  assert.equal(progressing?.status, "True");
  assert.equal(progressing?.reason, "Upgrading");
  assert.equal(h.podWrites.length, 1, "the old pod is upgraded");
});

test("an unreadable value stored before validation existed: one Warning event, and the gate stays off", async () => {
  const h = harness({ [PROGRESS_DEADLINE_ANNOTATION]: "soon" }, [crashLooping(), makePod("good", { updated: true })]);
  await h.reconcile();
  await h.reconcile();
  assert.deepEqual(reasons(h), ["InvalidProgressDeadline"]);
  assert.equal(h.events[0]!.type, "Warning");
  assert.match(h.events[0]!.message, /^metadata\.annotations\[sidecarset\.io\/progress-deadline-seconds\]: "soon" is not a number of seconds/);
  assert.deepEqual(conditionTypes(h), ["Reconciled"]);
});

test("an upgraded pod not ready yet: the reconcile asks to look again at its deadline", async () => {
  const h = harness({ [PROGRESS_DEADLINE_ANNOTATION]: "60" }, [makePod("slow", { updated: true, ready: false }), makePod("good", { updated: true })], 20);
  assert.deepEqual(await h.reconcile(), { requeueAfterMs: 40_000 });
  assert.equal(h.status()?.conditions?.find((c) => c.type === "Progressing")?.reason, "Upgrading");
});
