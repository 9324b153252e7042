import assert from "node:assert/strict";
import { test } from "node:test";
import { Expectations, resourceVersionAtLeast, type ObservedPod } from "../../../../src/core/rollout/expectations.js";

const t = (s: number): Date => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const seen = (entries: [string, ObservedPod][]): ((pod: string) => ObservedPod | undefined) => {
  const byKey = new Map(entries);
  return (pod) => byKey.get(pod);
};

test("an update expectation holds until the cache shows the written hash", () => {
  const e = new Expectations();
  e.expectUpdate("s", "ns/a", "h2", t(0));
  let c = e.check("s", "h2", seen([["ns/a", { recordedHash: "h1" }]]), t(1));
  assert.deepEqual([c.satisfied, c.pending], [false, ["ns/a"]]);
  c = e.check("s", "h2", seen([["ns/a", { recordedHash: "h2" }]]), t(2));
  assert.deepEqual([c.satisfied, c.pending], [true, []]);
});

test("a pod no longer matched, or S moved to another hash, clears the entry", () => {
  const e = new Expectations();
  e.expectUpdate("s", "ns/a", "h2", t(0));
  e.expectUpdate("s", "ns/b", "h2", t(0));
  let c = e.check("s", "h2", seen([["ns/b", { recordedHash: "h1" }]]), t(1));
  assert.deepEqual(c.pending, ["ns/b"]);
  c = e.check("s", "h3", seen([["ns/b", { recordedHash: "h1" }]]), t(2));
  assert.equal(c.satisfied, true);
});

test("a deleted pod clears its entries for every SidecarSet, so a rollout never stalls on it", () => {
  const e = new Expectations();
  e.expectUpdate("s1", "ns/a", "h", t(0));
  e.expectResourceVersion("s2", "ns/a", "10", t(0));
  e.forgetPod("ns/a");
  assert.deepEqual([e.pending("s1"), e.pending("s2")], [[], []]);
});

test("a pod's events can ask which SidecarSets await a write of it, until the cache shows it", () => {
  const e = new Expectations();
  e.expectUpdate("s1", "ns/a", "h", t(0));
  e.expectUpdate("s2", "ns/a", "h", t(0));
  e.expectUpdate("s2", "ns/b", "h", t(0));
  assert.deepEqual([e.awaiting("ns/a"), e.awaiting("ns/b"), e.awaiting("ns/c")], [["s1", "s2"], ["s2"], []]);
  e.check("s1", "h", seen([["ns/a", { recordedHash: "h" }]]), t(1));
  assert.deepEqual(e.awaiting("ns/a"), ["s2"]);
});

test("only the awaited pods are looked at", () => {
  const e = new Expectations();
  e.expectUpdate("s", "ns/a", "h2", t(0));
  const asked: string[] = [];
  e.check("s", "h2", (pod) => (asked.push(pod), { recordedHash: "h1" }), t(1));
  e.check("other", "h2", (pod) => (asked.push(pod), { recordedHash: "h1" }), t(1));
  assert.deepEqual(asked, ["ns/a"]);
});

test("entries older than the timeout expire and are reported", () => {
  const e = new Expectations(60_000);
  e.expectUpdate("s", "ns/a", "h2", t(0));
  const observed = seen([["ns/a", { recordedHash: "h1" }]]);
  assert.equal(e.check("s", "h2", observed, t(60)).satisfied, false, "not yet older than 60s");
  const c = e.check("s", "h2", observed, t(61));
  assert.equal(c.satisfied, true);
  assert.deepEqual(c.expired, [{ pod: "ns/a", kind: "update", ageMs: 61_000 }]);
});

test("a resource-version expectation is met by a cached resourceVersion at least as new", () => {
  const e = new Expectations();
  e.expectResourceVersion("s", "ns/a", "100", t(0));
  assert.equal(e.check("s", "h", seen([["ns/a", { recordedHash: "h", resourceVersion: "99" }]]), t(1)).satisfied, false);
  assert.equal(e.check("s", "h", seen([["ns/a", { recordedHash: "h", resourceVersion: "1000" }]]), t(1)).satisfied, true);
});

test("resourceVersions compare numerically, beyond 2^53 too", () => {
  assert.equal(resourceVersionAtLeast("1000", "999"), true);
  assert.equal(resourceVersionAtLeast("9007199254740993", "9007199254740992"), true);
  assert.equal(resourceVersionAtLeast("abc", "abc"), true);
  assert.equal(resourceVersionAtLeast(undefined, "1"), false);
});

test("forgetting a SidecarSet drops all its entries", () => {
  const e = new Expectations();
  e.expectUpdate("s", "ns/a", "h", t(0));
  e.forgetSidecarSet("s");
  assert.equal(e.check("s", "h", seen([]), t(1)).satisfied, true);
});
