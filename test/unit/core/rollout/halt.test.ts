import assert from "node:assert/strict";
import { test } from "node:test";
import type { SidecarSet } from "../../../../src/api/types.js";
import { progressHalt } from "../../../../src/core/rollout/progressing-condition.js";
import { makeSet } from "./fixtures.js";

const conditions = (list: NonNullable<NonNullable<SidecarSet["status"]>["conditions"]>): SidecarSet => ({
  ...makeSet(),
  status: { matchedPods: 0, updatedPods: 0, readyPods: 0, conditions: list },
});
const haltCases: { name: string; set: SidecarSet; halted: boolean }[] = [
  { name: "no conditions: not halted", set: makeSet(), halted: false },
  { name: "Progressing=False with ProgressDeadlineExceeded halts", set: conditions([{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" }]), halted: true },
  { name: "Progressing=True is no halt", set: conditions([{ type: "Progressing", status: "True", reason: "Upgrading" }]), halted: false },
  { name: "another reason is no halt", set: conditions([{ type: "Progressing", status: "False", reason: "Other" }]), halted: false },
  { name: "another condition type is no halt", set: conditions([{ type: "Reconciled", status: "False", reason: "ProgressDeadlineExceeded" }]), halted: false },
];
for (const c of haltCases) test(`halt: ${c.name}`, () => assert.equal(progressHalt(c.set) !== undefined, c.halted));
