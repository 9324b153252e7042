// The progress-deadline annotations are validated on create and update; a
// value stored before the rule existed may stay while other fields change.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PROGRESS_DEADLINE_ANNOTATION, RESUMED_AT_ANNOTATION } from "../../../../src/api/keys.js";
import type { SidecarSet } from "../../../../src/api/types.js";
import { errorPaths, sidecarSet, validate, withSet } from "./fixtures.js";

const PATH = `metadata.annotations[${PROGRESS_DEADLINE_ANNOTATION}]`;
const annotated = (annotations: Record<string, string>, base = sidecarSet()): SidecarSet =>
  withSet((s) => (s.metadata.annotations = { ...s.metadata.annotations, ...annotations }), base);

test("create: a readable deadline is accepted", () => {
  assert.deepEqual(errorPaths(annotated({ [PROGRESS_DEADLINE_ANNOTATION]: "300" })), []);
});

for (const value of ["soon", "-1", "2.5", "0", ""]) {
  test(`create: deadline ${JSON.stringify(value)} is refused at its annotation's path`, () => {
    assert.deepEqual(errorPaths(annotated({ [PROGRESS_DEADLINE_ANNOTATION]: value })), [PATH]);
  });
}

test("update: setting an unreadable deadline is refused", () => {
  const old = annotated({ [PROGRESS_DEADLINE_ANNOTATION]: "300" });
  assert.deepEqual(errorPaths(annotated({ [PROGRESS_DEADLINE_ANNOTATION]: "soon" }), { operation: "UPDATE", oldObject: old }), [PATH]);
});

test("update: an unreadable value stored earlier and left as it is only warns, so a resume still goes through", () => {
  const old = annotated({ [PROGRESS_DEADLINE_ANNOTATION]: "soon" });
  const resumed = annotated({ [RESUMED_AT_ANNOTATION]: "2026-01-02T03:04:05Z" }, old);
  const result = validate(resumed, { operation: "UPDATE", oldObject: old });
  assert.deepEqual(result.errors, []);
  assert.equal(result.warnings.length, 1);
  assert.match(result.warnings[0]!, /progress deadline stays off/);
});
