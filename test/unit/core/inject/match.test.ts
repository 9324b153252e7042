import assert from "node:assert/strict";
import { test } from "node:test";
import type { SidecarSet } from "../../../../src/api/types.js";
import { matchSidecarSets, type MatchContext, type SkippedSidecarSet } from "../../../../src/core/inject/match.js";
import { pod, sidecar, sidecarSet } from "./fixtures.js";

function ctx(extra: Partial<MatchContext> = {}): MatchContext {
  return { namespace: "team-a", namespaceLabels: () => ({ env: "prod" }), revisions: [], random: () => 0, ...extra };
}

function applied(sets: SidecarSet[], c = ctx(), p = pod({ namespace: "team-a" })) {
  const r = matchSidecarSets(p, sets, c);
  assert.ok(r.ok, r.ok ? "" : r.denial.error.message);
  return r.result;
}

const containers = [sidecar("s")];

test("SidecarSets apply in ascending name order, whatever the input order", () => {
  const sets = ["c", "a", "b"].map((n) => sidecarSet(n, { containers }));
  assert.deepEqual(
    applied(sets).applied.map((s) => s.metadata.name),
    ["a", "b", "c"],
  );
});

/** `why`: what a skipped entry says besides its reason (the failed requirement and the value it saw). */
const scopeCases: { name: string; set: SidecarSet; ctx?: Partial<MatchContext>; reason?: string; why?: Partial<SkippedSidecarSet>; labels?: Record<string, string> }[] = [
  { name: "matching selector applies", set: sidecarSet("x", { containers }) },
  {
    name: "paused injection skips the SidecarSet",
    set: sidecarSet("x", { containers, injectionStrategy: { paused: true } }),
    reason: "injection-paused",
  },
  {
    name: "other namespace does not match",
    set: sidecarSet("x", { containers, namespace: "team-b" }),
    reason: "namespace-mismatch",
    why: { detail: "team-b" },
  },
  { name: "same namespace matches", set: sidecarSet("x", { containers, namespace: "team-a" }) },
  {
    name: "namespaceSelector matching the Namespace labels applies",
    set: sidecarSet("x", { containers, namespaceSelector: { matchLabels: { env: "prod" } } }),
  },
  {
    name: "namespaceSelector not matching the Namespace labels skips",
    set: sidecarSet("x", { containers, namespaceSelector: { matchLabels: { env: "dev" } } }),
    reason: "namespace-selector-mismatch",
    why: { unmet: { requirement: { key: "env", operator: "In", values: ["dev"] }, value: "prod" } },
  },
  {
    name: "a namespaceSelector requiring a label the Namespace lacks names that label, with no value",
    set: sidecarSet("x", { containers, namespaceSelector: { matchExpressions: [{ key: "mesh", operator: "Exists" }] } }),
    reason: "namespace-selector-mismatch",
    why: { unmet: { requirement: { key: "mesh", operator: "Exists" }, value: undefined } },
  },
  {
    name: "an unreadable Namespace matches no namespaceSelector",
    set: sidecarSet("x", { containers, namespaceSelector: { matchLabels: { env: "prod" } } }),
    ctx: { namespaceLabels: () => undefined },
    reason: "namespace-unreadable",
  },
  {
    name: "selector not matching pod labels skips",
    set: sidecarSet("x", { containers, selector: { matchLabels: { app: "db" } } }),
    reason: "selector-mismatch",
    why: { unmet: { requirement: { key: "app", operator: "In", values: ["db"] }, value: "web" } },
  },
  {
    name: "a selector names its first failed requirement, not one the pod satisfies",
    set: sidecarSet("x", {
      containers,
      selector: { matchLabels: { app: "web" }, matchExpressions: [{ key: "track", operator: "NotIn", values: ["canary"] }, { key: "tier", operator: "DoesNotExist" }] },
    }),
    labels: { app: "web", track: "stable", tier: "front" },
    reason: "selector-mismatch",
    why: { unmet: { requirement: { key: "tier", operator: "DoesNotExist" }, value: "front" } },
  },
  { name: "an empty selector matches nothing", set: sidecarSet("x", { containers, selector: {} }), reason: "selector-empty" },
  { name: "an absent selector matches nothing", set: sidecarSet("x", { containers, selector: undefined }), reason: "selector-empty" },
  {
    name: "matchExpressions are honoured",
    set: sidecarSet("x", { containers, selector: { matchExpressions: [{ key: "app", operator: "In", values: ["web", "api"] }] } }),
  },
];

for (const c of scopeCases) {
  test(`scope: ${c.name}`, () => {
    const p = pod({ namespace: "team-a", ...(c.labels ? { labels: c.labels } : {}) });
    const r = applied([c.set], ctx(c.ctx), p);
    if (c.reason) {
      assert.deepEqual(r.applied, []);
      assert.deepEqual(r.skipped, [{ name: "x", reason: c.reason, ...c.why }]);
    } else {
      assert.deepEqual(r.applied.map((s) => s.metadata.name), ["x"]);
      assert.deepEqual(r.skipped, []);
    }
    // Without reasons (the pod webhook): the same SidecarSets apply, none is listed as skipped.
    assert.deepEqual(applied([c.set], ctx({ ...c.ctx, skipReasons: false }), p), { ...r, skipped: [] });
  });
}

test("the Namespace labels are read once per pod and only when a namespaceSelector needs them", () => {
  const seen: string[] = [];
  const reader = (ns: string) => {
    seen.push(ns);
    return { env: "prod" };
  };
  const sets = [
    sidecarSet("a", { containers, namespaceSelector: { matchLabels: { env: "prod" } } }),
    sidecarSet("b", { containers, namespaceSelector: { matchLabels: { env: "prod" } } }),
    sidecarSet("c", { containers }),
  ];
  applied(sets, ctx({ namespaceLabels: reader }));
  assert.deepEqual(seen, ["team-a"]);
  seen.length = 0;
  applied([sidecarSet("c", { containers })], ctx({ namespaceLabels: reader }));
  assert.deepEqual(seen, []);
});

test("a selector that cannot be evaluated denies the pod, naming the SidecarSet and field", () => {
  const bad = sidecarSet("bad", {
    containers,
    selector: { matchExpressions: [{ key: "app", operator: "Near", values: ["web"] }] },
  });
  const r = matchSidecarSets(pod({ namespace: "team-a" }), [bad], ctx());
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.denial.sidecarSet, "bad");
    assert.equal(r.denial.error.path, "spec.selector");
    assert.match(r.denial.error.message, /Near/);
  }
});

test("an invalid namespaceSelector denies the pod", () => {
  const bad = sidecarSet("bad", { containers, namespaceSelector: { matchExpressions: [{ key: "env", operator: "In" }] } });
  const r = matchSidecarSets(pod({ namespace: "team-a" }), [bad], ctx());
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.denial.error.path, "spec.namespaceSelector");
});

test("a selector is not evaluated when the namespace already rules the SidecarSet out", () => {
  const bad = sidecarSet("bad", {
    containers,
    namespace: "elsewhere",
    selector: { matchExpressions: [{ key: "app", operator: "Near", values: ["web"] }] },
  });
  const r = applied([bad]);
  assert.deepEqual(r.skipped, [{ name: "bad", reason: "namespace-mismatch", detail: "elsewhere" }]);
});

const canary = (name: string, base: string, extra: Partial<SidecarSet["spec"]> = {}) =>
  sidecarSet(
    name,
    { containers, updateStrategy: { type: "NotUpdate" }, ...extra },
    { metadata: { name, annotations: { "apps.kruise.io/sidecarset-canary": "true", "apps.kruise.io/sidecarset-base": base } } },
  );

test("a matching canary replaces its base on the pod", () => {
  const r = applied([sidecarSet("base", { containers }), canary("base-canary", "base")]);
  assert.deepEqual(r.applied.map((s) => s.metadata.name), ["base-canary"]);
  assert.deepEqual(r.skipped, [{ name: "base", reason: "replaced-by-canary", detail: "base-canary" }]);
  const quiet = applied([sidecarSet("base", { containers }), canary("base-canary", "base")], ctx({ skipReasons: false }));
  assert.deepEqual(quiet, { ...r, skipped: [] }, "without reasons the canary still replaces its base");
});

test("a canary that does not match the pod leaves its base in place", () => {
  const r = applied([sidecarSet("base", { containers }), canary("base-canary", "base", { selector: { matchLabels: { canary: "yes" } } })]);
  assert.deepEqual(r.applied.map((s) => s.metadata.name), ["base"]);
});

test("a paused canary does not replace its base", () => {
  const r = applied([sidecarSet("base", { containers }), canary("base-canary", "base", { injectionStrategy: { paused: true } })]);
  assert.deepEqual(r.applied.map((s) => s.metadata.name), ["base"]);
});

test("only the exact annotation value \"true\" makes a canary", () => {
  const notCanary = sidecarSet(
    "other",
    { containers },
    { metadata: { name: "other", annotations: { "apps.kruise.io/sidecarset-canary": "True", "apps.kruise.io/sidecarset-base": "base" } } },
  );
  const r = applied([sidecarSet("base", { containers }), notCanary]);
  assert.deepEqual(r.applied.map((s) => s.metadata.name), ["base", "other"]);
});

test("a canary naming itself as base replaces nothing", () => {
  const r = applied([canary("self", "self")]);
  assert.deepEqual(r.applied.map((s) => s.metadata.name), ["self"]);
});

test("a canary annotation without a base is not a canary", () => {
  const noBase = sidecarSet(
    "other",
    { containers },
    { metadata: { name: "other", annotations: { "apps.kruise.io/sidecarset-canary": "true", "apps.kruise.io/sidecarset-base": "" } } },
  );
  const r = applied([sidecarSet("base", { containers }), noBase]);
  assert.deepEqual(r.applied.map((s) => s.metadata.name), ["base", "other"]);
});

test("a pinned base replaced by its canary is not reported as pinned", () => {
  const base = sidecarSet("base", { containers, injectionStrategy: { revision: { revisionName: "base-1" } } });
  const revisions = [{ metadata: { name: "base-1", annotations: { "kruise.io/sidecarset-hash": "h", "kruise.io/sidecarset-hash-without-image": "w" } }, revision: 1, data: { spec: { containers } } }];
  const r = applied([base, canary("base-canary", "base")], ctx({ revisions }));
  assert.deepEqual(r.applied.map((s) => s.metadata.name), ["base-canary"]);
  assert.deepEqual(r.pinned, {});
});

test("a pod submitted with labels: null is skipped by a selector, naming the label it lacks", () => {
  const p = pod({ namespace: "team-a" });
  (p.metadata as Record<string, unknown>).labels = null;
  const r = matchSidecarSets(p, [sidecarSet("x", { containers })], ctx());
  assert.ok(r.ok, r.ok ? "" : r.denial.error.message);
  assert.deepEqual(r.result.applied, []);
  assert.equal(r.result.skipped[0]?.reason, "selector-mismatch");
  assert.equal(r.result.skipped[0]?.unmet?.value, undefined);
});
