// SidecarSet status (docs/behaviour.md §6.4): the planner's counts against the
// plain count in test/support/status-oracle.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Pod } from "../../../../src/api/kube-types.js";
import { SIDECARSET_INJECTED_LIST_ANNOTATION } from "../../../../src/api/keys.js";
import { planUpgrade } from "../../../../src/core/rollout/plan.js";
import { isPodUpdated, recordedHash } from "../../../../src/core/rollout/status.js";
import { rolloutStatus } from "../../../support/status-oracle.js";
import { HASH, makePod, makeSet, NOW, SET, type PodState } from "./fixtures.js";

function notInjected(name: string): Pod {
  const pod = makePod(name);
  delete pod.metadata!.annotations![SIDECARSET_INJECTED_LIST_ANNOTATION];
  return pod;
}

test("status: ready = consistent ∧ ready; updatedReady = updated ∧ consistent ∧ ready", () => {
  const pods = [
    makePod("updated-ready", { updated: true }),
    makePod("updated-restarting", { updated: true, consistent: false }),
    makePod("updated-not-ready", { updated: true, ready: false }),
    makePod("old-ready"),
    makePod("old-not-ready", { ready: false }),
    notInjected("created-before-the-sidecarset"),
    notInjected("created-while-the-webhook-was-down"),
  ];
  const want = { matchedPods: 5, updatedPods: 3, readyPods: 2, updatedReadyPods: 1, notInjectedPods: 2 };
  assert.deepEqual(planUpgrade(makeSet(), pods, { now: NOW }).status, want);
  assert.deepEqual(rolloutStatus(makeSet(), pods), want);
});

const stateArb: fc.Arbitrary<PodState> = fc.record(
  {
    updated: fc.boolean(),
    consistent: fc.boolean(),
    ready: fc.boolean(),
    notUpgradable: fc.boolean(),
    busy: fc.boolean(),
    createdUpdated: fc.boolean(),
    phase: fc.constantFrom("Running", "Pending", "Succeeded"),
    sidecar: fc.record({ restartedAt: fc.constantFrom(undefined, 5), waiting: fc.constantFrom(undefined, "CrashLoopBackOff") }),
  },
  { requiredKeys: [] },
);

const podArb = fc.record({
  state: stateArb,
  injected: fc.boolean(),
  selected: fc.boolean(),
  /** The sidecar named by digest, which the kubelet reports as running or not. */
  digest: fc.constantFrom(undefined, "match", "other"),
  /** The kubelet reports the sidecar's status. */
  reported: fc.boolean(),
});

const DIGEST = `sha256:${"a".repeat(64)}`;

function buildPod(spec: typeof podArb extends fc.Arbitrary<infer T> ? T : never, i: number): Pod {
  const pod = makePod(`pod-${i}`, spec.state);
  if (!spec.injected) delete pod.metadata!.annotations![SIDECARSET_INJECTED_LIST_ANNOTATION];
  if (!spec.selected) pod.metadata!.labels!.app = "other";
  if (spec.digest) {
    pod.spec!.containers[1]!.image = `sidecar@${DIGEST}`;
    pod.status!.containerStatuses![1]!.imageID = `docker-pullable://sidecar@${spec.digest === "match" ? DIGEST : `sha256:${"b".repeat(64)}`}`;
  }
  if (!spec.reported) pod.status!.containerStatuses!.pop();
  return pod;
}

test("property: the planner's status is the plain count over the pods", () => {
  fc.assert(
    fc.property(fc.array(podArb, { maxLength: 40 }), fc.boolean(), (specs, reversed) => {
      const pods = specs.map(buildPod);
      if (reversed) pods.reverse();
      assert.deepEqual(planUpgrade(makeSet(), pods, { now: NOW }).status, rolloutStatus(makeSet(), pods));
    }),
    { numRuns: 500 },
  );
});

test("updated compares the recorded hash of S with S's hash annotation", () => {
  const pod = makePod("p", { updated: true });
  assert.equal(recordedHash(pod, SET), HASH);
  assert.equal(isPodUpdated(makeSet(), pod), true);
  assert.equal(isPodUpdated(makeSet(), makePod("q")), false);
});

test("a legacy flat hash annotation is read as S's record", () => {
  const pod = makePod("p");
  pod.metadata!.annotations!["kruise.io/sidecarset-hash"] = JSON.stringify({ [SET]: HASH });
  assert.equal(isPodUpdated(makeSet(), pod), true);
});

test("an unreadable hash annotation reads as no record: not updated", () => {
  const pod = makePod("p", { updated: true });
  pod.metadata!.annotations!["kruise.io/sidecarset-hash"] = "[1,2]";
  assert.equal(isPodUpdated(makeSet(), pod), false);
});

test("the fast hash reader agrees with the full record reader on every form", async () => {
  const { hashInRecords } = await import("../../../../src/core/rollout/status.js");
  const { readUpgradeRecords } = await import("../../../../src/api/pod-records.js");
  const values = [
    undefined,
    "",
    "not json",
    "[]",
    "null",
    "{}",
    '{"a":"h1","b":"h2"}',
    '{"a":"h1","b":{"hash":"h2"}}',
    '{"a":{"hash":"h1"},"b":{"hash":"h2"}}',
    '{"a":{"hash":5}}',
    '{"a":{"hash":"h1"},"b":null}',
    '{"b":{"hash":"h2"}}',
    '{"a":{"updateTimestamp":null,"hash":"x","sidecarSetName":"a","sidecarList":null}}',
    '{"a":["h"]}',
  ];
  for (const v of values) assert.equal(hashInRecords(v, "a"), readUpgradeRecords(v)["a"]?.hash ?? "", String(v));
});

test("recordsHold: the unparsed shortcut never disagrees with a parse", async () => {
  const { recordsHold, hashInRecords } = await import("../../../../src/core/rollout/status.js");
  const rec = (hash: string, extra = "") => `{"updateTimestamp":null,"hash":"${hash}","sidecarSetName":"x","sidecarList":null${extra}}`;
  const values = [
    `{"a":${rec("h1")}}`,
    `{"b":${rec("h9")},"a":${rec("h1")},"c":${rec("h1")}}`,
    `{"a":${rec("h1")},"a":${rec("h2")}}`,
    `{"a":${rec("h2")},"a":${rec("h1")}}`,
    `{"b":${rec("h1")}}`,
    `{"a":${rec("h1", ',"controllerRevision":"r"')}}`,
    `{"a":${rec("h1")},"b":"h2"}`,
    `{"a":${rec("h1")}`,
    `{"a":${rec("h1")}} `,
    `{"a":${rec("\\u0068\\u0031")}}`,
  ];
  for (const v of values) assert.equal(recordsHold(v, "a", "h1"), hashInRecords(v, "a") === "h1", v);
});

test("property: recordsHold answers exactly as reading the records would", async () => {
  const fc = (await import("fast-check")).default;
  const { recordsHold, hashInRecords } = await import("../../../../src/core/rollout/status.js");
  const { serializeUpgradeRecords } = await import("../../../../src/api/pod-records.js");
  // Names that contain each other, so that finding one inside another's entry would show.
  const names = ["sidecarset-a", "a", "sidecarset", "x-sidecarset-a", "sidecarset-a-b", "set.a"];
  const text = fc.oneof(fc.constantFrom("a", "h1", "sidecarset-a", "", 'q"x', "b\\\\s", "\u2028", "<&>", '":{"updateTimestamp":'), fc.string({ maxLength: 6 }));
  const key = fc.oneof(fc.constantFrom(...names), text);
  const record = fc.record({
    updateTimestamp: fc.option(text, { nil: null }),
    hash: fc.oneof(fc.constantFrom("h1", "h1x", "sidecarset-a"), text),
    sidecarSetName: text,
    sidecarList: fc.option(fc.array(text, { maxLength: 3 }), { nil: null }),
    controllerRevision: fc.option(text, { nil: undefined }),
  });
  const value = fc.oneof(
    fc.dictionary(key, record, { maxKeys: 3 }).map((r) => serializeUpgradeRecords(r as never, "hash")),
    fc.dictionary(key, fc.oneof(text, record), { maxKeys: 3 }).map((r) => JSON.stringify(r)),
    // The same records with every "h" written as a \u escape: other text, same JSON.
    fc.dictionary(key, record, { maxKeys: 3 }).map((r) => JSON.stringify(r).replace(/h/g, "\\u0068")),
    // Two entries for one name: JSON.parse keeps the last.
    fc.tuple(fc.constantFrom(...names), record, record).map(([n, a, b]) => `{${JSON.stringify(n)}:${JSON.stringify(a)},${JSON.stringify(n)}:${JSON.stringify(b)}}`),
    text,
  );
  fc.assert(
    fc.property(value, fc.constantFrom(...names), fc.constantFrom("h1", "h1x", "sidecarset-a", 'q"x'), (v, name, hash) => {
      assert.equal(recordsHold(v, name, hash), hashInRecords(v, name) === hash);
    }),
    { numRuns: 5000 },
  );
});
