import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { scopeOfTerms, type PodScope } from "../../../../src/core/pod-scope/expression.js";
import { installedTerms, nextTransition, type InstalledScope, type TransitionInput } from "../../../../src/core/pod-scope/transition.js";

const A = "(has(object.metadata.labels) && 'a' in object.metadata.labels)";
const B = "(has(object.metadata.labels) && 'b' in object.metadata.labels)";
const C = "(has(object.metadata.labels) && 'c' in object.metadata.labels)";
const GRACE = 30_000;
const T0 = 1_000_000;

function selected(...terms: string[]): Extract<PodScope, { kind: "selected" }> {
  const scope = scopeOfTerms(terms);
  assert.equal(scope.kind, "selected");
  return scope as Extract<PodScope, { kind: "selected" }>;
}
const installed = (...terms: string[]): InstalledScope => ({ kind: "expression", expression: selected(...terms).expression });
const EVERY: InstalledScope = { kind: "every-pod" };

function step(over: Partial<TransitionInput> & Pick<TransitionInput, "desired" | "installed">) {
  return nextTransition({ lastNeeded: new Map(), now: T0, graceMs: GRACE, ...over });
}

/** What is written, in short: "every pod", an expression, or nothing. */
function written(s: ReturnType<typeof step>): string | undefined {
  if (!s.write) return undefined;
  return s.write.kind === "every-pod" ? "every pod" : s.write.expression;
}

const cases: { name: string; input: Parameters<typeof step>[0]; writes: string | undefined; recheckAt?: number }[] = [
  { name: "already right: nothing to write", input: { desired: selected(A, B), installed: installed(A, B) }, writes: undefined },
  { name: "a SidecarSet added widens at once", input: { desired: selected(A, B), installed: installed(A) }, writes: selected(A, B).expression },
  {
    name: "a SidecarSet removed keeps its pods covered through the grace period",
    input: { desired: selected(A), installed: installed(A, B) },
    writes: undefined,
    recheckAt: T0 + GRACE,
  },
  {
    name: "after the grace period the scope narrows",
    input: { desired: selected(A), installed: installed(A, B), lastNeeded: new Map([[B, T0 - GRACE]]) },
    writes: selected(A).expression,
  },
  {
    name: "a selector changed: the new one at once, the old one kept until its grace ends",
    input: { desired: selected(A, C), installed: installed(A, B), lastNeeded: new Map([[B, T0 - 10_000]]) },
    writes: selected(A, B, C).expression,
    recheckAt: T0 + GRACE - 10_000,
  },
  {
    name: "a removed SidecarSet that comes back is simply desired again",
    input: { desired: selected(A, B), installed: installed(A, B), lastNeeded: new Map([[B, T0 - 10_000]]) },
    writes: undefined,
  },
  {
    name: "from every pod (as shipped), narrowing waits for the grace period",
    input: { desired: selected(A), installed: EVERY },
    writes: undefined,
    recheckAt: T0 + GRACE,
  },
  {
    name: "from every pod, after the grace period, the scope is written",
    input: { desired: selected(A), installed: EVERY, lastNeeded: new Map([["true", T0 - GRACE]]) },
    writes: selected(A).expression,
  },
  {
    name: "when nothing can be expressed, every pod at once",
    input: { desired: { kind: "every-pod", cause: "cannot-express", reason: "x" }, installed: installed(A) },
    writes: "every pod",
  },
  {
    name: "a hand-edited expression stays covered, ORed with the desired scope, through the grace period",
    input: { desired: selected(A), installed: { kind: "expression", expression: "object.metadata.name == 'x'" } },
    writes: `${A} || (object.metadata.name == 'x')`,
    recheckAt: T0 + GRACE,
  },
  {
    name: "after a restart, the scope written before it is read back: only the removed part retires",
    input: { desired: selected(A), installed: installed(A, B) },
    writes: undefined,
    recheckAt: T0 + GRACE,
  },
  {
    name: "after a restart, a scope that is right is left alone",
    input: { desired: selected(A, B), installed: installed(A, B) },
    writes: undefined,
  },
  {
    name: "a SidecarSet added and removed while every pod was installed keeps its term for a grace period after its removal",
    input: { desired: selected(), installed: EVERY, lastNeeded: new Map([["true", T0 - GRACE], [C, T0 - 1_000]]) },
    writes: selected(C).expression,
    recheckAt: T0 + GRACE - 1_000,
  },
  {
    name: "no SidecarSet: the constant false, once the old scope's grace has ended",
    input: { desired: selected(), installed: installed(A), lastNeeded: new Map([[A, T0 - GRACE]]) },
    writes: "false",
  },
];
for (const c of cases) {
  test(c.name, () => {
    const s = step(c.input);
    assert.equal(written(s), c.writes);
    assert.equal(s.recheckAt, c.recheckAt);
  });
}

test("an OR of parenthesised terms is read back term by term; anything else is one opaque term", () => {
  assert.deepEqual(installedTerms(installed(A, B)), [A, B]);
  assert.deepEqual(installedTerms({ kind: "expression", expression: "false" }), []);
  assert.deepEqual(installedTerms(EVERY), ["true"]);
  const opaque = ["a || b", "(a) || b", "(a) && (b)", "(a ? b : c) || (d", "('x)' || y", "(a) || ('unterminated)"];
  for (const expression of opaque) assert.deepEqual(installedTerms({ kind: "expression", expression }), [`(${expression})`], expression);
  // Brackets and bars inside string literals are text.
  assert.deepEqual(installedTerms({ kind: "expression", expression: "('a || (' == x) || ('\\')' == y)" }), ["('a || (' == x)", "('\\')' == y)"]);
});

test("property: whatever the changes, a term stays installed until a grace period after it was last desired, and the scope settles on the desired one", () => {
  const D = "(has(object.metadata.labels) && 'd' in object.metadata.labels)";
  const TERMS = [A, B, C, D];
  const step = fc.record({ desired: fc.subarray(TERMS), advanceMs: fc.integer({ min: 0, max: GRACE }) });
  fc.assert(
    fc.property(fc.option(fc.subarray(TERMS), { nil: undefined }), fc.array(step, { minLength: 1, maxLength: 12 }), (start, steps) => {
      let current: InstalledScope = start === undefined ? EVERY : installed(...start);
      let lastNeeded = new Map<string, number>();
      let now = T0;
      // When each term (and "every pod", as "true") was last desired or first seen installed.
      const needed = new Map<string, number>(installedTerms(current).map((t) => [t, T0]));
      const run = (desired: Extract<PodScope, { kind: "selected" }>) => {
        const s = nextTransition({ desired, installed: current, lastNeeded, now, graceMs: GRACE });
        lastNeeded = s.lastNeeded;
        if (s.write) current = s.write.kind === "every-pod" ? EVERY : { kind: "expression", expression: s.write.expression };
        for (const t of desired.terms) needed.set(t, now);
        const terms = new Set(installedTerms(current));
        for (const [t, at] of needed) {
          if (now - at < GRACE) assert.ok(terms.has(t) || terms.has("true"), `${t} last needed ${now - at} ms ago is installed`);
        }
      };
      for (const { desired, advanceMs } of steps) {
        run(selected(...desired));
        now += advanceMs;
      }
      const last = selected(...steps.at(-1)!.desired);
      now += GRACE;
      run(last);
      assert.deepEqual(current, { kind: "expression", expression: last.expression }, "settled on the desired scope");
    }),
    { numRuns: 1000 },
  );
});

test("values of one label written as one term are read back a term each, and each keeps its own grace period", () => {
  const value = (v: string) => `(has(object.metadata.labels) && ('app' in object.metadata.labels && object.metadata.labels['app'] == '${v}'))`;
  const [a, b, c] = [value("a"), value("b"), value("c")];
  const all = installed(a, b, c);
  assert.equal(all.kind === "expression" && all.expression, "(has(object.metadata.labels) && ('app' in object.metadata.labels && object.metadata.labels['app'] in ['a', 'b', 'c']))");
  assert.deepEqual(installedTerms(all), [a, b, c]);
  // After a restart (nothing remembered), the scope written before is the one desired: nothing to write.
  assert.equal(written(step({ desired: selected(a, b, c), installed: all })), undefined);
  // A SidecarSet gone: its value stays in the list for the grace period, then the list narrows.
  const removed = step({ desired: selected(a, c), installed: all });
  assert.equal(written(removed), undefined);
  assert.equal(removed.recheckAt, T0 + GRACE);
  const later = step({ desired: selected(a, c), installed: all, lastNeeded: removed.lastNeeded, now: T0 + GRACE });
  assert.equal(written(later), selected(a, c).expression);
});
