import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../../../src/api/kube-types.js";
import { formatUpgradableMessage, parseUpgradableMessage, upgradableCondition } from "../../../../src/core/rollout/condition.js";
import { makePod, NOW } from "./fixtures.js";

function withCondition(status: string, message: string, lastTransitionTime = "2026-01-05T00:00:00Z"): Pod {
  const pod = makePod("p");
  pod.status!.conditions!.push({ type: "SidecarSetUpgradable", status, reason: "x", message, lastTransitionTime });
  return pod;
}

test("a first entry creates the condition: True when upgradable", () => {
  const u = upgradableCondition(makePod("p"), "b", true, NOW);
  assert.equal(u.changed, true);
  assert.deepEqual(u.condition, {
    type: "SidecarSetUpgradable",
    status: "True",
    lastTransitionTime: "2026-02-01T00:00:00Z",
    reason: "AllSidecarsetUpgradable",
    message: '{"b":true}',
  });
  assert.deepEqual(u.patch, { status: { conditions: [u.condition] } });
});

test("entries accumulate across SidecarSets with sorted keys; any false ⇒ False, UpdateImmutableField", () => {
  const u = upgradableCondition(withCondition("True", '{"z":true,"a":true}'), "m", false, NOW);
  assert.equal(u.condition.message, '{"a":true,"m":false,"z":true}');
  assert.equal(u.condition.status, "False");
  assert.equal(u.condition.reason, "UpdateImmutableField");
  assert.equal(u.condition.lastTransitionTime, "2026-02-01T00:00:00Z", "status changed ⇒ transition time moves");
});

test("lastTransitionTime stays while the status does not change", () => {
  const u = upgradableCondition(withCondition("False", '{"a":false}'), "b", false, NOW);
  assert.equal(u.condition.lastTransitionTime, "2026-01-05T00:00:00Z");
});

test("an identical condition needs no write", () => {
  const pod = withCondition("True", '{"a":true}');
  pod.status!.conditions![1]!.reason = "AllSidecarsetUpgradable";
  assert.equal(upgradableCondition(pod, "a", true, NOW).changed, false);
});

test("an unparseable message is read as empty", () => {
  assert.deepEqual(parseUpgradableMessage("not json"), {});
  assert.deepEqual(parseUpgradableMessage('{"a":"yes"}'), {});
  assert.equal(upgradableCondition(withCondition("False", "garbage"), "a", true, NOW).condition.message, '{"a":true}');
});

test("the message is compact JSON as Go writes a map of booleans", () => {
  assert.equal(formatUpgradableMessage({ b: false, a: true }), '{"a":true,"b":false}');
});
