import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Pod } from "../../../../src/api/kube-types.js";
import { compareDefaultOrder, defaultOrderKey, upgradeOrder } from "../../../../src/core/rollout/order.js";
import { makePod, names, type PodState } from "./fixtures.js";

function first(a: PodState, b: PodState): string {
  const pa = makePod("a", a);
  const pb = makePod("b", b);
  const c = compareDefaultOrder(defaultOrderKey(pa, 0), defaultOrderKey(pb, 1));
  return c < 0 ? "a" : "b";
}

const rules: { name: string; a: PodState; b: PodState; first: "a" | "b" }[] = [
  { name: "unscheduled before scheduled", a: { nodeName: "n" }, b: { nodeName: "" }, first: "b" },
  { name: "Pending before Running", a: { phase: "Running" }, b: { phase: "Pending" }, first: "b" },
  { name: "Unknown before Running", a: { phase: "Running" }, b: { phase: "Unknown" }, first: "b" },
  { name: "an unknown phase ranks as Pending", a: { phase: "Unknown" }, b: { phase: "Weird" }, first: "b" },
  { name: "not ready before ready", a: { ready: true }, b: { ready: false }, first: "b" },
  { name: "both ready: ready more recently first", a: { readySince: 10 }, b: { readySince: 20 }, first: "b" },
  { name: "more restarts first", a: { restarts: 1 }, b: { restarts: 3 }, first: "b" },
  { name: "newer first", a: { createdAt: 1 }, b: { createdAt: 2 }, first: "b" },
  { name: "namespace breaks remaining ties", a: {}, b: {}, first: "a" },
  { name: "not ready pods ignore ready times", a: { ready: false, readySince: 1, createdAt: 5 }, b: { ready: false, readySince: 9, createdAt: 1 }, first: "a" },
];
for (const r of rules) test(`default order: ${r.name}`, () => assert.equal(first(r.a, r.b), r.first));

test("default order: a missing ready time or creation time sorts first", () => {
  const a = makePod("a", { readySince: 5 });
  const b = makePod("b");
  delete b.status!.conditions![0]!.lastTransitionTime;
  assert.ok(compareDefaultOrder(defaultOrderKey(b, 1), defaultOrderKey(a, 0)) < 0);
  const c = makePod("c");
  delete c.metadata!.creationTimestamp;
  assert.ok(compareDefaultOrder(defaultOrderKey(c, 1), defaultOrderKey(makePod("d", { createdAt: 100 }), 0)) < 0);
});

test("E8 order: not-ready newer first, then ready newer first", () => {
  const pods: Pod[] = [];
  for (let i = 10; i < 20; i++) pods.push(makePod(`pod-${i}`, { createdAt: i, ready: i !== 10 && i !== 13 }));
  const items = pods.map((pod, rank) => ({ pod, rank }));
  const ordered = upgradeOrder({}, items, pods);
  assert.deepEqual(names(ordered.map((o) => o.pod)), ["pod-13", "pod-10", "pod-19", "pod-18", "pod-17", "pod-16", "pod-15", "pod-14", "pod-12", "pod-11"]);
});

test("priority sorts on top of the default order and keeps it within a priority", () => {
  const pods = [0, 1, 2, 3].map((i) => makePod(`p${i}`, { createdAt: i, labels: { tier: i % 2 ? "gold" : "std" } }));
  const items = pods.map((pod, rank) => ({ pod, rank }));
  const strategy = { priorityStrategy: { weightPriority: [{ weight: 10, matchSelector: { matchLabels: { tier: "gold" } } }] } };
  assert.deepEqual(names(upgradeOrder(strategy, items, pods).map((o) => o.pod)), ["p3", "p1", "p2", "p0"]);
});

test("scatter applies after the default order, counting over all matched pods", () => {
  const pods = [0, 1, 2, 3, 4, 5].map((i) => makePod(`p${i}`, { createdAt: 10 - i, labels: { zone: i < 3 ? "a" : "b" } }));
  const items = pods.map((pod, rank) => ({ pod, rank }));
  const out = names(upgradeOrder({ scatterStrategy: [{ key: "zone", value: "a" }] }, items, pods).map((o) => o.pod));
  // Default order p0..p5 (newest first). Zone a: M = [p0, p1] + tail p2, U = [p3, p4, p5]; G(2,3) = 1:2.
  assert.deepEqual(out, ["p0", "p3", "p4", "p1", "p5", "p2"]);
});

test("RFC 3339 times read by hand agree with Date.parse", async () => {
  const { timeOf } = await import("../../../../src/core/rollout/order.js");
  for (const v of ["2026-01-02T03:04:05Z", "1999-12-31T23:59:59Z", "2024-02-29T12:00:00Z", "2026-01-02T03:04:05.123Z", "2026-01-02T03:04:05+02:00"]) {
    assert.equal(timeOf(v), Date.parse(v), v);
  }
  assert.equal(timeOf(undefined), 0);
  assert.equal(timeOf("garbage"), 0);
  assert.equal(timeOf("2026-13-02T03:04:05Z"), 0, "month 13 falls back to Date.parse, which rejects it");
  assert.equal(timeOf("2026x01-02T03:04:05Z"), 0, "a wrong separator falls back to Date.parse, which rejects it");
  assert.equal(timeOf("0042-01-02T03:04:05Z"), Date.parse("0042-01-02T03:04:05Z"), "years below 100 are not 19xx");
});

test("property: any string reads as Date.parse would (0 where it cannot)", async () => {
  const { timeOf } = await import("../../../../src/core/rollout/order.js");
  const canonical = fc
    .integer({ min: Date.UTC(0, 0, 1) - 1900 * 365.25 * 86_400_000, max: Date.UTC(9999, 11, 31) })
    .map((ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z"))
    .filter((v) => v.length === 20);
  const altered = fc.tuple(canonical, fc.nat(19), fc.constantFrom(..."0123456789-:TZ x")).map(([v, at, c]) => v.slice(0, at) + c + v.slice(at + 1));
  const pad = (n: number, width: number): string => String(n).padStart(width, "0");
  // Any day 1–31 in any month: a day past the month's end rolls over as Date.parse does.
  const anyDay = fc
    .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }), fc.integer({ min: 0, max: 86_399 }))
    .map(([y, mo, d, s]) => `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(Math.floor(s / 3600), 2)}:${pad(Math.floor(s / 60) % 60, 2)}:${pad(s % 60, 2)}Z`);
  fc.assert(
    fc.property(fc.oneof(canonical, altered, anyDay), (v) => {
      const parsed = Date.parse(v);
      assert.equal(timeOf(v), Number.isNaN(parsed) ? 0 : parsed, v);
    }),
    { numRuns: 2000 },
  );
});
