import assert from "node:assert/strict";
import { test } from "node:test";
import type { SidecarSetStatus } from "../../../src/api/types.js";
import { COUNTS_WRITE_INTERVAL_MS, STATUS_WRITE_INTERVAL_MS, statusEqual, statusWriteIntervalMs } from "../../../src/controller/status-writes.js";

const written: SidecarSetStatus = {
  observedGeneration: 2,
  matchedPods: 10,
  updatedPods: 10,
  readyPods: 8,
  updatedReadyPods: 8,
  notInjectedPods: 0,
  latestRevision: "agent-abc",
  collisionCount: 0,
  conditions: [{ type: "Reconciled", status: "True", reason: "Reconciled", message: "", lastTransitionTime: "2026-01-01T00:00:00Z" }],
};

test("counts alone wait the longer interval, also while every pod stays updated and ready", () => {
  const settled = { ...written, readyPods: 10, updatedReadyPods: 10 };
  assert.equal(statusWriteIntervalMs(settled, { ...settled, matchedPods: 12, updatedPods: 12, readyPods: 12, updatedReadyPods: 12 }), COUNTS_WRITE_INTERVAL_MS);
  assert.equal(statusWriteIntervalMs(settled, { ...settled, matchedPods: 11, updatedPods: 11 }), COUNTS_WRITE_INTERVAL_MS, "a new pod not ready yet");
  assert.equal(statusWriteIntervalMs(written, { ...written, matchedPods: 11, updatedPods: 11 }), COUNTS_WRITE_INTERVAL_MS);
  assert.equal(statusWriteIntervalMs(written, { ...written, readyPods: 9, updatedReadyPods: 9 }), COUNTS_WRITE_INTERVAL_MS);
  assert.equal(statusWriteIntervalMs(written, { ...written, notInjectedPods: 1 }), COUNTS_WRITE_INTERVAL_MS);
  assert.ok(COUNTS_WRITE_INTERVAL_MS > STATUS_WRITE_INTERVAL_MS);
});

test("what users and tools wait for is written at the status interval: settled counts, a generation, a revision, a condition", () => {
  assert.equal(statusWriteIntervalMs(written, { ...written, readyPods: 10, updatedReadyPods: 10 }), STATUS_WRITE_INTERVAL_MS, "the rollout just finished");
  assert.equal(statusWriteIntervalMs(written, { ...written, observedGeneration: 3 }), STATUS_WRITE_INTERVAL_MS);
  assert.equal(statusWriteIntervalMs(written, { ...written, latestRevision: "agent-def", updatedPods: 0, updatedReadyPods: 0 }), STATUS_WRITE_INTERVAL_MS);
  assert.equal(statusWriteIntervalMs(written, { ...written, collisionCount: 1 }), STATUS_WRITE_INTERVAL_MS);
  const halted = [...written.conditions!, { type: "Progressing", status: "False" as const, reason: "ProgressDeadlineExceeded", message: "", lastTransitionTime: "2026-01-01T00:01:00Z" }];
  assert.equal(statusWriteIntervalMs(written, { ...written, conditions: halted, readyPods: 7 }), STATUS_WRITE_INTERVAL_MS);
  assert.equal(statusWriteIntervalMs(undefined, written), STATUS_WRITE_INTERVAL_MS, "the first status");
});

test("statusEqual compares every field, counts and conditions included", () => {
  assert.ok(statusEqual(written, { ...written, conditions: structuredClone(written.conditions) }));
  assert.ok(!statusEqual(undefined, written));
  for (const key of ["observedGeneration", "matchedPods", "updatedPods", "readyPods", "updatedReadyPods", "notInjectedPods", "collisionCount"] as const) {
    assert.ok(!statusEqual(written, { ...written, [key]: (written[key] ?? 0) + 1 }), key);
  }
  assert.ok(!statusEqual(written, { ...written, latestRevision: "other" }));
  assert.ok(!statusEqual(written, { ...written, conditions: [] }));
});
