// Reading the progress-deadline annotations (docs/behaviour.md §7a.5): one
// reader for the validating webhook and the controller.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_FAILED_UPGRADES_ANNOTATION as MAX, PROGRESS_DEADLINE_ANNOTATION as DEADLINE, RESUMED_AT_ANNOTATION as RESUMED } from "../../../src/api/keys.js";
import { readProgressPolicy, type ProgressPolicyReading } from "../../../src/api/progress-policy.js";

const path = (key: string) => `metadata.annotations[${key}]`;

const cases: { name: string; annotations: Record<string, string> | undefined; policy: ProgressPolicyReading["policy"]; errorPaths: string[] }[] = [
  { name: "no annotations: the gate is off", annotations: undefined, policy: undefined, errorPaths: [] },
  { name: "a deadline alone: at most one failed pod", annotations: { [DEADLINE]: "300" }, policy: { deadlineSeconds: 300, maxFailed: 1 }, errorPaths: [] },
  { name: "deadline and max-failed-upgrades", annotations: { [DEADLINE]: "60", [MAX]: "3" }, policy: { deadlineSeconds: 60, maxFailed: 3 }, errorPaths: [] },
  {
    name: "a resume time with a fraction is read to its whole second, as patch times are",
    annotations: { [DEADLINE]: "60", [RESUMED]: "2026-01-02T03:04:05.750+00:00" },
    policy: { deadlineSeconds: 60, maxFailed: 1, resumedAt: Date.parse("2026-01-02T03:04:05Z") },
    errorPaths: [],
  },
  {
    name: "a resume time is read as milliseconds",
    annotations: { [DEADLINE]: "60", [RESUMED]: "2026-01-02T03:04:05Z" },
    policy: { deadlineSeconds: 60, maxFailed: 1, resumedAt: Date.parse("2026-01-02T03:04:05Z") },
    errorPaths: [],
  },
  { name: "max-failed-upgrades without a deadline: still off", annotations: { [MAX]: "2" }, policy: undefined, errorPaths: [] },
  { name: "a word is refused", annotations: { [DEADLINE]: "soon" }, policy: undefined, errorPaths: [path(DEADLINE)] },
  { name: "a negative number is refused", annotations: { [DEADLINE]: "-5" }, policy: undefined, errorPaths: [path(DEADLINE)] },
  { name: "a fraction is refused", annotations: { [DEADLINE]: "1.5" }, policy: undefined, errorPaths: [path(DEADLINE)] },
  { name: "zero is refused: every pod would fail at once", annotations: { [DEADLINE]: "0" }, policy: undefined, errorPaths: [path(DEADLINE)] },
  { name: "a unit suffix is refused", annotations: { [DEADLINE]: "60s" }, policy: undefined, errorPaths: [path(DEADLINE)] },
  { name: "an unreadable max-failed-upgrades turns the gate off", annotations: { [DEADLINE]: "60", [MAX]: "0" }, policy: undefined, errorPaths: [path(MAX)] },
  { name: "an unreadable resume time turns the gate off", annotations: { [DEADLINE]: "60", [RESUMED]: "yesterday" }, policy: undefined, errorPaths: [path(RESUMED)] },
];

for (const c of cases) {
  test(c.name, () => {
    const reading = readProgressPolicy(c.annotations);
    assert.deepEqual(reading.policy, c.policy);
    assert.deepEqual(reading.errors.map((e) => e.path), c.errorPaths);
  });
}

test("the message quotes the value and says what is allowed", () => {
  const [error] = readProgressPolicy({ [DEADLINE]: "soon" }).errors;
  assert.match(error!.message, /^"soon" is not a number of seconds; write a whole number from 1 to \d+, like "300"$/);
});
