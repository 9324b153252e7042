// The carried-forward plan against its slow twin: after any sequence of pod
// changes, a plan the QuietPlanner carries forward must have the status and
// stop reason that a full plan over the same pods has, and it must decline
// (so the caller plans in full) whenever the full plan would act. With a
// progress deadline, it must also reach the full plan's verdict: a halted
// SidecarSet is never carried forward as a quiet one.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Pod } from "../../../../src/api/kube-types.js";
import type { SidecarSet } from "../../../../src/api/types.js";
import { planUpgrade } from "../../../../src/core/rollout/plan.js";
import { PlanMemo } from "../../../../src/core/rollout/plan-memo.js";
import { CHANGES_KEPT_FOR_MS, FULL_PLAN_INTERVAL_MS, QuietPlanner } from "../../../../src/core/rollout/quiet-plan.js";
import { Store } from "../../../../src/kube/store.js";
import { PROGRESS_DEADLINE_ANNOTATION, RESUMED_AT_ANNOTATION } from "../../../../src/api/keys.js";
import { at, makePod, makeSet, NOW, type PodState } from "./fixtures.js";

const podState = fc.record({
  updated: fc.boolean(),
  consistent: fc.boolean(),
  ready: fc.boolean(),
  notUpgradable: fc.boolean(),
  busy: fc.boolean(),
  namespace: fc.constantFrom("default", "other"),
  labels: fc.record({ app: fc.constantFrom("web", "db") }),
  phase: fc.constantFrom("Running", "Running", "Pending", "Succeeded"),
  createdUpdated: fc.boolean(),
  patchedAt: fc.constantFrom(0, 20),
  sidecar: fc.option(fc.record({ restartedAt: fc.constantFrom(undefined, -5, 10), waiting: fc.constantFrom(undefined, "CrashLoopBackOff") }), { nil: undefined }),
}) as fc.Arbitrary<PodState>;

/** No gate; a deadline long past for every pod; one far ahead (pods stay pending). */
const gate = fc.constantFrom<Record<string, string>>({}, { [PROGRESS_DEADLINE_ANNOTATION]: "60" }, { [PROGRESS_DEADLINE_ANNOTATION]: "999999999" });

const strategy = fc.constantFrom<Parameters<typeof makeSet>[0]>({}, { paused: true }, { type: "NotUpdate" }, { maxUnavailable: 0 });

type Op = { kind: "set"; index: number; state: PodState; terminating: boolean } | { kind: "delete"; index: number } | { kind: "spec" } | { kind: "resume" };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("set" as const), index: fc.nat(11), state: podState, terminating: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), index: fc.nat(11) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("spec" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("resume" as const) }) },
);

/** Sets a resume between the two patch times the pods use, or takes it away. */
function toggleResume(set: SidecarSet): SidecarSet {
  const annotations = { ...set.metadata.annotations };
  if (annotations[RESUMED_AT_ANNOTATION]) delete annotations[RESUMED_AT_ANNOTATION];
  else annotations[RESUMED_AT_ANNOTATION] = at(10);
  return { ...set, metadata: { ...set.metadata, annotations } };
}

function podOf(index: number, state: PodState, terminating: boolean, version: number): Pod {
  const pod = makePod(`p${index}`, state);
  pod.metadata!.resourceVersion = String(version);
  if (terminating) pod.metadata!.deletionTimestamp = "2026-01-01T00:00:00Z";
  // As an informer holds it: its own object, never shared.
  return JSON.parse(JSON.stringify(pod)) as Pod;
}

test("property: a carried-forward plan has the full plan's status and stop reason, and is declined whenever the full plan would act", () => {
  fc.assert(
    fc.property(strategy, gate, fc.array(fc.tuple(fc.nat(11), podState), { maxLength: 12 }), fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 }), (s, g, initial, rounds) => {
      const base = makeSet(s);
      let set: SidecarSet = { ...base, metadata: { ...base.metadata, annotations: { ...base.metadata.annotations, ...g } } };
      const store = new Store<Pod>({}, { journal: true });
      let version = 1;
      for (const [index, state] of initial) store.set(`${state.namespace ?? "default"}/p${index}`, podOf(index, state, false, version++));
      const memo = new PlanMemo();
      const quiet = new QuietPlanner();
      const opts = { now: NOW, namespaceLabels: {}, memo };
      let nowMs = 0;
      const reconcile = (): void => {
        const expected = planUpgrade(set, store.list(), { now: NOW });
        const since = quiet.revision;
        const previous = since === undefined ? undefined : store.changesSince(since);
        const carried = previous
          ? quiet.carryForward(set, { previous, current: (k) => store.get(k) }, opts, () => store.list(), store.revision, nowMs)
          : undefined;
        if (carried) {
          assert.deepEqual(carried.status, expected.status);
          assert.equal(carried.stopped, expected.stopped);
          assert.equal(carried.unavailable, expected.unavailable);
          assert.equal(carried.partition, expected.partition);
          assert.equal(carried.maxUnavailable, expected.maxUnavailable);
          assert.deepEqual(carried.upgrade, []);
          assert.deepEqual(carried.matched.map((p) => p.metadata?.name), expected.matched.map((p) => p.metadata?.name));
          assert.deepEqual(carried.progress, expected.progress);
          return;
        }
        const full = planUpgrade(set, store.list(), opts);
        assert.deepEqual(full.status, expected.status);
        quiet.recordFull(set, full, memo, store.revision, nowMs);
      };
      reconcile();
      for (const round of rounds) {
        for (const o of round) {
          if (o.kind === "resume") {
            set = toggleResume(set);
            continue;
          }
          if (o.kind === "spec") {
            const image = set.spec.containers![0]!.image === "sidecar:v2" ? "sidecar:v3" : "sidecar:v2";
            set = { ...set, spec: { ...set.spec, containers: [{ ...set.spec.containers![0]!, image }] } };
            continue;
          }
          const keys = store.keys().filter((k) => k.endsWith(`/p${o.index}`));
          if (o.kind === "delete") {
            for (const k of keys) store.delete(k);
            continue;
          }
          for (const k of keys) store.delete(k);
          store.set(`${o.state.namespace ?? "default"}/p${o.index}`, podOf(o.index, o.state, o.terminating, version++));
        }
        nowMs += 1_000;
        reconcile();
      }
    }),
    { numRuns: 400 },
  );
});

/** One updated pod in a journaled store, and a quiet planner with its base taken at time 0. */
function quietBase() {
  const set = makeSet();
  const store = new Store<Pod>({}, { journal: true });
  store.set("default/p1", podOf(1, { updated: true }, false, 1));
  const memo = new PlanMemo();
  const quiet = new QuietPlanner();
  const opts = { now: NOW, memo };
  const unused = quiet.neededSince(0);
  quiet.recordFull(set, planUpgrade(set, store.list(), opts), memo, store.revision, 0);
  const changes = () => ({ previous: store.changesSince(quiet.revision!)!, current: (k: string) => store.get(k) });
  return { set, store, quiet, opts, changes, unused };
}

test("the carried plan gives way to a full plan once the last full plan is old", () => {
  const { set, store, quiet, opts, changes } = quietBase();
  assert.ok(quiet.carryForward(set, changes(), opts, () => store.list(), store.revision, FULL_PLAN_INTERVAL_MS - 1));
  assert.equal(quiet.carryForward(set, changes(), opts, () => store.list(), store.revision, FULL_PLAN_INTERVAL_MS), undefined);
});

test("the changes a base needs are kept while it is used, and not once it has gone unused for a while or grown old", () => {
  const { set, store, quiet, opts, changes, unused } = quietBase();
  assert.equal(unused, undefined, "no base, nothing to keep");
  assert.equal(quiet.neededSince(CHANGES_KEPT_FOR_MS - 1), store.revision);
  assert.equal(quiet.neededSince(CHANGES_KEPT_FOR_MS), undefined, "unused for too long: the next plan is a full one");
  // Carried forward now and then, the base keeps its changes until the last full plan is old.
  let t = 0;
  while ((t += CHANGES_KEPT_FOR_MS - 1) < FULL_PLAN_INTERVAL_MS) {
    store.set("default/p1", podOf(1, { updated: true }, false, 1 + t));
    assert.ok(quiet.carryForward(set, changes(), opts, () => store.list(), store.revision, t));
    assert.equal(quiet.neededSince(t + 1), store.revision);
  }
  assert.equal(quiet.neededSince(FULL_PLAN_INTERVAL_MS), undefined, "too old to carry");
});

test("a change of the SidecarSet (the memo forgets) is never carried forward", () => {
  const { set, store, quiet, opts, changes } = quietBase();
  const changed = { ...set, spec: { ...set.spec, containers: [{ name: "sidecar", image: "sidecar:v9" }] } };
  assert.equal(quiet.carryForward(changed, changes(), opts, () => store.list(), store.revision, 1), undefined);
});
