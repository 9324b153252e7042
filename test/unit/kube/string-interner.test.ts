import assert from "node:assert/strict";
import { test } from "node:test";
import { StringInterner } from "../../../src/kube/string-interner.js";

test("equal strings from separate parses become one value, in place, and the values are unchanged", () => {
  const strings = new StringInterner();
  const a = JSON.parse('{"image":"registry.local/agent:1","conditions":[{"type":"Ready","status":"True"}],"n":3,"ok":true,"none":null}');
  const b = JSON.parse('{"image":"registry.local/agent:1","conditions":[{"type":"Ready","status":"True"}],"n":3,"ok":true,"none":null}');
  const before = structuredClone(a);
  const ia = strings.internAll(a);
  const ib = strings.internAll(b);
  assert.equal(ia, a, "the same object");
  assert.deepEqual(ia, before);
  assert.deepEqual(ib, before);
  // The table holds one entry per distinct value: two parses added no more than one did.
  assert.equal(strings.size, 3);
  assert.equal(strings.intern("Ready"), ia.conditions[0].type);
});

test("values under skipped keys are left as they are and not kept in the table", () => {
  const strings = new StringInterner();
  const out = strings.internAll({ uid: "u-1", labels: { app: "web" }, containerStatuses: [{ containerID: "containerd://1", name: "app" }] }, new Set(["uid", "containerID"]));
  assert.deepEqual(out, { uid: "u-1", labels: { app: "web" }, containerStatuses: [{ containerID: "containerd://1", name: "app" }] });
  assert.equal(strings.size, 2, "only web and app");
});

test("past its limit the table starts over, so strings that stopped repeating are released", () => {
  const strings = new StringInterner(3);
  for (const s of ["a", "b", "c"]) strings.intern(s);
  assert.equal(strings.size, 3);
  assert.equal(strings.intern("d"), "d");
  assert.equal(strings.size, 1);
  assert.equal(strings.intern("a"), "a", "values are still returned after a reset");
});
