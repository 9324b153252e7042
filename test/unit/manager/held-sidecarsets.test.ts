import assert from "node:assert/strict";
import { test } from "node:test";
import type { SidecarSet } from "../../../src/api/types.js";
import { HeldSidecarSets, heldSidecarSets } from "../../../src/manager/held-sidecarsets.js";

const set = (name: string, uid: string, generation: number): SidecarSet => ({ metadata: { name, uid, generation }, spec: {} }) as SidecarSet;

test("nothing counts as held before the webhook thread first reports", () => {
  const held = new HeldSidecarSets();
  assert.equal(held.holds(set("a", "u1", 1)), false);
  held.update([]);
  assert.equal(held.holds(set("a", "u1", 1)), false);
});

test("a report replaces the previous one: a SidecarSet gone from the cache is no longer held", () => {
  const held = new HeldSidecarSets();
  held.update(heldSidecarSets([set("a", "u1", 2), set("b", "u2", 1)]));
  assert.equal(held.holds(set("a", "u1", 2)), true);
  assert.equal(held.holds(set("a", "u1", 3)), false);
  assert.equal(held.holds(set("b", "u2", 1)), true);
  held.update(heldSidecarSets([set("a", "u1", 3)]));
  assert.equal(held.holds(set("a", "u1", 3)), true);
  assert.equal(held.holds(set("b", "u2", 1)), false);
});
