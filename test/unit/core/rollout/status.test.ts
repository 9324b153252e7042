import assert from "node:assert/strict";
import { test } from "node:test";
import { computeStatus, isPodUpdated, recordedHash } from "../../../../src/core/rollout/status.js";
import { HASH, makePod, makeSet, SET } from "./fixtures.js";

test("status: ready = consistent ∧ ready; updatedReady = updated ∧ consistent ∧ ready", () => {
  const pods = [
    makePod("updated-ready", { updated: true }),
    makePod("updated-restarting", { updated: true, consistent: false }),
    makePod("updated-not-ready", { updated: true, ready: false }),
    makePod("old-ready"),
    makePod("old-not-ready", { ready: false }),
  ];
  assert.deepEqual(computeStatus(makeSet(), pods, 2), {
    matchedPods: 5,
    updatedPods: 3,
    readyPods: 2,
    updatedReadyPods: 1,
    notInjectedPods: 2,
  });
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
