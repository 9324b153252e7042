import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { LabelSelector } from "../../../../src/api/kube-types.js";
import type { SidecarSet, SidecarSetSpec } from "../../../../src/api/types.js";
import { matchSidecarSets } from "../../../../src/core/inject/match.js";
import { MAX_SCOPE_EXPRESSION_LENGTH, MAX_SCOPE_TERMS, podScope } from "../../../../src/core/pod-scope/expression.js";
import { CelError, evalCel, parseCel, type CelValue } from "../../../support/cel-subset.js";
import { pod, sidecar, sidecarSet } from "../inject/fixtures.js";

function set(name: string, spec: Partial<SidecarSetSpec>): SidecarSet {
  return sidecarSet(name, { containers: [sidecar("agent")], ...spec });
}

function expressionOf(sets: SidecarSet[]): string {
  const scope = podScope(sets);
  assert.equal(scope.kind, "selected", scope.kind === "every-pod" ? scope.reason : "");
  return scope.kind === "selected" ? scope.expression : "";
}

/** What the API server decides for a pod created in `namespace` with `labels` (undefined: no labels field). */
function admitsToWebhook(expression: string, namespace: string, labels: Record<string, string> | undefined): CelValue {
  const metadata: Record<string, CelValue> = { namespace };
  if (labels) metadata.labels = labels;
  return evalCel(parseCel(expression), { object: { metadata }, request: { namespace } });
}

const L = "object.metadata.labels";
const writtenCases: { name: string; sets: SidecarSet[]; expression: string }[] = [
  { name: "no SidecarSet: no pod", sets: [], expression: "false" },
  {
    name: "matchLabels: the key present with that value",
    sets: [set("a", { selector: { matchLabels: { app: "web" } } })],
    expression: `(has(${L}) && ('app' in ${L} && ${L}['app'] == 'web'))`,
  },
  {
    name: "spec.namespace: the request's namespace",
    sets: [set("a", { namespace: "team-a", selector: { matchLabels: { app: "web" } } })],
    expression: `(request.namespace == 'team-a' && has(${L}) && ('app' in ${L} && ${L}['app'] == 'web'))`,
  },
  {
    name: "In with several values: membership in a list",
    sets: [set("a", { selector: { matchExpressions: [{ key: "tier", operator: "In", values: ["a", "b"] }] } })],
    expression: `(has(${L}) && ('tier' in ${L} && ${L}['tier'] in ['a', 'b']))`,
  },
  {
    name: "Exists: the key present",
    sets: [set("a", { selector: { matchExpressions: [{ key: "x", operator: "Exists" }] } })],
    expression: `(has(${L}) && 'x' in ${L})`,
  },
  {
    name: "NotIn and DoesNotExist also hold for a pod without labels",
    sets: [set("a", { selector: { matchExpressions: [{ key: "x", operator: "NotIn", values: ["1"] }, { key: "y", operator: "DoesNotExist" }] } })],
    expression: `(!has(${L}) || (!('x' in ${L} && ${L}['x'] == '1') && !('y' in ${L})))`,
  },
  {
    name: "namespaceSelector adds no condition (the request has no namespace labels)",
    sets: [set("a", { namespaceSelector: { matchLabels: { env: "prod" } }, selector: { matchExpressions: [{ key: "x", operator: "Exists" }] } })],
    expression: `(has(${L}) && 'x' in ${L})`,
  },
  {
    name: "namespaceSelector naming namespaces (kubernetes.io/metadata.name In): a test of the request's namespace",
    sets: [
      set("a", {
        namespaceSelector: { matchLabels: { env: "prod" }, matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["a", "b"] }] },
        selector: { matchExpressions: [{ key: "x", operator: "Exists" }] },
      }),
    ],
    expression: `(request.namespace in ['a', 'b'] && has(${L}) && 'x' in ${L})`,
  },
  {
    name: "namespaceSelector NotIn on the namespace name adds no condition (a namespace without the label matches it)",
    sets: [
      set("a", {
        namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["a"] }] },
        selector: { matchExpressions: [{ key: "x", operator: "Exists" }] },
      }),
    ],
    expression: `(has(${L}) && 'x' in ${L})`,
  },
  {
    name: "several SidecarSets: an OR, sorted, the same scope written once",
    sets: [
      set("b", { selector: { matchExpressions: [{ key: "z", operator: "Exists" }] } }),
      set("a", { selector: { matchExpressions: [{ key: "y", operator: "Exists" }] } }),
      set("c", { selector: { matchExpressions: [{ key: "y", operator: "Exists" }] } }),
    ],
    expression: `(has(${L}) && 'y' in ${L}) || (has(${L}) && 'z' in ${L})`,
  },
  {
    name: "injection-paused SidecarSets and empty selectors inject into nothing and add nothing",
    sets: [
      set("paused", { injectionStrategy: { paused: true }, selector: { matchLabels: { app: "web" } } }),
      set("empty", { selector: {} }),
      set("none", { selector: undefined }),
    ],
    expression: "false",
  },
  {
    name: "hostile keys and values stay inside their literals",
    sets: [set("a", { namespace: "x' || true || '", selector: { matchLabels: { "k'\\": "v') || true || ('" } } })],
    expression: `(request.namespace == 'x\\' || true || \\'' && has(${L}) && ('k\\'\\\\' in ${L} && ${L}['k\\'\\\\'] == 'v\\') || true || (\\''))`,
  },
];
for (const c of writtenCases) test(`written: ${c.name}`, () => assert.equal(expressionOf(c.sets), c.expression));

test("SidecarSets selecting values of one label are written as one term with a list, per namespace condition", () => {
  const sets = [
    set("b", { selector: { matchLabels: { app: "b" } } }),
    set("a", { selector: { matchExpressions: [{ key: "app", operator: "In", values: ["a", "c"] }] } }),
    set("d", { namespace: "team-a", selector: { matchLabels: { app: "d" } } }),
    set("e", { namespace: "team-a", selector: { matchLabels: { app: "e" } } }),
    set("f", { selector: { matchLabels: { tier: "f" } } }),
    set("g", { selector: { matchLabels: { app: "g", tier: "g" } } }),
  ];
  const scope = podScope(sets);
  assert.equal(scope.kind, "selected");
  if (scope.kind !== "selected") return;
  // Kept per value: what the grace period of a term no longer needed is counted for.
  assert.equal(scope.terms.length, 7);
  assert.equal(
    scope.expression,
    [
      `(has(${L}) && ('app' in ${L} && ${L}['app'] in ['a', 'b', 'c']))`,
      `(has(${L}) && ('app' in ${L} && ${L}['app'] == 'g') && ('tier' in ${L} && ${L}['tier'] == 'g'))`,
      `(has(${L}) && ('tier' in ${L} && ${L}['tier'] == 'f'))`,
      `(request.namespace == 'team-a' && has(${L}) && ('app' in ${L} && ${L}['app'] in ['d', 'e']))`,
    ].join(" || "),
  );
});

test("hundreds of SidecarSets, each selecting its own value of one label, fit the expression", () => {
  const sets = Array.from({ length: 500 }, (_, i) => set(`s${i}`, { selector: { matchLabels: { app: `team-${i}-agent` } } }));
  const scope = podScope(sets);
  assert.equal(scope.kind, "selected", scope.kind === "every-pod" ? scope.reason : "");
  if (scope.kind !== "selected") return;
  assert.ok(scope.expression.length <= MAX_SCOPE_EXPRESSION_LENGTH);
  assert.equal(admitsToWebhook(scope.expression, "any", { app: "team-499-agent" }), true);
  assert.equal(admitsToWebhook(scope.expression, "any", { app: "team-500-agent" }), false);
});

const everyPodCases: { name: string; sets: SidecarSet[]; reason: RegExp }[] = [
  {
    name: "a selector with an unknown operator (the webhook refuses pods over it)",
    sets: [set("bad", { selector: { matchExpressions: [{ key: "x", operator: "Near" }] } })],
    reason: /sidecarset "bad": spec.selector cannot be evaluated: "Near" is not a valid operator/,
  },
  {
    name: "an unreadable namespaceSelector (the webhook refuses every pod of the namespace)",
    sets: [set("bad", { namespaceSelector: { matchExpressions: [{ key: "x", operator: "In", values: [] }] }, selector: { matchLabels: { a: "b" } } })],
    reason: /sidecarset "bad": spec.namespaceSelector cannot be evaluated/,
  },
  {
    name: "a value that is not valid Unicode",
    sets: [set("bad", { selector: { matchLabels: { a: "\ud800" } } })],
    reason: /not valid Unicode/,
  },
  {
    name: `an expression of more than ${MAX_SCOPE_TERMS} terms`,
    sets: Array.from({ length: 41 }, (_, i) => set(`s${i}`, { selector: { matchLabels: { [`app-${i}`]: "web" } } })),
    reason: /41 terms, more than 40/,
  },
  {
    name: `an expression over ${MAX_SCOPE_EXPRESSION_LENGTH} characters`,
    sets: Array.from({ length: 8 }, (_, i) => set(`s${i}`, { selector: { matchExpressions: [{ key: `k${i}`, operator: "In", values: Array.from({ length: 40 }, (_, j) => `${j}-${"v".repeat(50)}`) }, { key: "x", operator: "Exists" }] } })),
    reason: /characters, more than 16000/,
  },
];
for (const c of everyPodCases) {
  test(`every pod: ${c.name}`, () => {
    const scope = podScope(c.sets);
    assert.equal(scope.kind, "every-pod");
    if (scope.kind === "every-pod") assert.match(scope.reason, c.reason);
  });
}

const selector = (s: LabelSelector) => s;
const evaluatedCases: { name: string; selector: LabelSelector; labels: Record<string, string> | undefined; called: boolean }[] = [
  { name: "matchLabels, matching", selector: selector({ matchLabels: { app: "web" } }), labels: { app: "web", other: "x" }, called: true },
  { name: "matchLabels, another value", selector: selector({ matchLabels: { app: "web" } }), labels: { app: "db" }, called: false },
  { name: "matchLabels, no labels at all", selector: selector({ matchLabels: { app: "web" } }), labels: undefined, called: false },
  { name: "In, one of the values", selector: selector({ matchExpressions: [{ key: "t", operator: "In", values: ["a", "b"] }] }), labels: { t: "b" }, called: true },
  { name: "In, key missing", selector: selector({ matchExpressions: [{ key: "t", operator: "In", values: ["a"] }] }), labels: {}, called: false },
  { name: "NotIn, key missing", selector: selector({ matchExpressions: [{ key: "t", operator: "NotIn", values: ["a"] }] }), labels: {}, called: true },
  { name: "NotIn, no labels at all", selector: selector({ matchExpressions: [{ key: "t", operator: "NotIn", values: ["a"] }] }), labels: undefined, called: true },
  { name: "NotIn, a listed value", selector: selector({ matchExpressions: [{ key: "t", operator: "NotIn", values: ["a", "b"] }] }), labels: { t: "a" }, called: false },
  { name: "Exists, empty value", selector: selector({ matchExpressions: [{ key: "t", operator: "Exists" }] }), labels: { t: "" }, called: true },
  { name: "Exists, no labels at all", selector: selector({ matchExpressions: [{ key: "t", operator: "Exists" }] }), labels: undefined, called: false },
  { name: "DoesNotExist, key present", selector: selector({ matchExpressions: [{ key: "t", operator: "DoesNotExist" }] }), labels: { t: "1" }, called: false },
  { name: "DoesNotExist, no labels at all", selector: selector({ matchExpressions: [{ key: "t", operator: "DoesNotExist" }] }), labels: undefined, called: true },
];
for (const c of evaluatedCases) {
  test(`evaluated: ${c.name} ⇒ ${c.called ? "called" : "skipped"}`, () => {
    assert.equal(admitsToWebhook(expressionOf([set("s", { selector: c.selector })]), "default", c.labels), c.called);
  });
}

// Small alphabets, so that generated pods often meet generated selectors; hostile characters included.
const KEYS = ["app", "tier", "k'", "k\\", "a.b/c"];
const VALUES = ["web", "db", "", "v'", "v\\'", "x\n"];
const NAMESPACES = ["default", "team-a", "n'"];
const key = fc.constantFrom(...KEYS);
const value = fc.constantFrom(...VALUES);
const labelsArb = fc.option(fc.dictionary(key, value, { maxKeys: 4 }), { nil: undefined });
const requirement = fc.oneof(
  fc.record({ key, operator: fc.constantFrom("In", "NotIn"), values: fc.uniqueArray(value, { minLength: 1, maxLength: 3 }) }),
  fc.record({ key, operator: fc.constantFrom("Exists", "DoesNotExist") }),
);
const selectorArb = fc.record(
  { matchLabels: fc.dictionary(key, value, { maxKeys: 2 }), matchExpressions: fc.array(requirement, { maxLength: 3 }) },
  { requiredKeys: [] },
);
const setArb = fc.record({
  namespace: fc.option(fc.constantFrom(...NAMESPACES), { nil: undefined }),
  namespaceSelector: fc.option(
    fc.constantFrom<LabelSelector>(
      { matchLabels: { env: "prod" } },
      { matchLabels: { env: "prod" }, matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: NAMESPACES.slice(1) }] },
      { matchLabels: { "kubernetes.io/metadata.name": "team-a" } },
    ),
    { nil: undefined },
  ),
  paused: fc.boolean(),
  selector: fc.option(selectorArb, { nil: undefined }),
});

test("the expression never fails, and calls the webhook for exactly the pods some SidecarSet's namespace and selector take in", () => {
  fc.assert(
    fc.property(fc.array(setArb, { maxLength: 4 }), fc.constantFrom(...NAMESPACES), labelsArb, fc.boolean(), (specs, namespace, labels, nsLabelsMatch) => {
      const sets = specs.map((s, i) =>
        set(`s${i}`, {
          ...(s.namespace !== undefined ? { namespace: s.namespace } : {}),
          ...(s.namespaceSelector ? { namespaceSelector: s.namespaceSelector } : {}),
          selector: s.selector,
          injectionStrategy: { paused: s.paused },
        }),
      );
      const result = admitsToWebhook(expressionOf(sets), namespace, labels);
      assert.ok(!(result instanceof CelError), `evaluating failed, which fails the pod's creation: ${result instanceof CelError ? result.message : ""}`);

      // The webhook's own decision, with the namespace's labels matching or not.
      const p = pod({ namespace, labels: {} });
      if (labels) p.metadata!.labels = labels;
      else delete p.metadata!.labels;
      const matched = matchSidecarSets(p, sets, {
        namespace,
        namespaceLabels: (ns): Record<string, string> => ({ "kubernetes.io/metadata.name": ns, ...(nsLabelsMatch ? { env: "prod" } : {}) }),
        revisions: [],
        random: () => 0,
      });
      const webhookActs = !matched.ok || matched.result.applied.length > 0;
      if (webhookActs) assert.equal(result, true, "a pod the webhook would change or refuse is sent to it");
      if (nsLabelsMatch) assert.equal(result, webhookActs, "with the namespace's other labels matching, exactly those pods are sent");
    }),
    { numRuns: 3000 },
  );
});
