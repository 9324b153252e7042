import assert from "node:assert/strict";
import { test } from "node:test";
import {
  evaluateResourceExpr,
  exprVariable,
  parseResourceExpr,
  type ExprValue,
} from "../../../../src/core/inject/resource-expr.js";
import { formatNanoQuantity, parseNanoQuantity } from "../../../../src/core/inject/resources-policy.js";

function q(text: string): ExprValue {
  const parsed = parseNanoQuantity(text);
  assert.ok(parsed, `test quantity ${text} parses`);
  return { kind: "quantity", ...parsed };
}

/** Renders a value as the pod would get it (numbers are shown raw). */
function show(v: ExprValue): string {
  return v.kind === "number" ? `number ${v.value}` : formatNanoQuantity(v);
}

const evaluations: { name: string; expr: string; vars?: Record<string, ExprValue>; want: string }[] = [
  { name: "docs/behaviour.md §5.9 example: 20% of 1500m, at least 50m", expr: "max(cpu*20%, 50m)", vars: { cpu: q("1500m") }, want: "300m" },
  { name: "max picks the floor when the share is smaller", expr: "max(cpu*20%, 50m)", vars: { cpu: q("100m") }, want: "50m" },
  { name: "min caps the share", expr: "min(cpu*50%, 100m)", vars: { cpu: q("1") }, want: "100m" },
  { name: "nested functions", expr: "max(min(cpu*50%, 100m), 50m)", vars: { cpu: q("60m") }, want: "50m" },
  { name: "precedence: * before +", expr: "2 + 3 * 4", want: "number 14" },
  { name: "parentheses override precedence", expr: "(2 + 3) * 4", want: "number 20" },
  { name: "subtraction is left-associative", expr: "10 - 4 - 3", want: "number 3" },
  { name: "division is left-associative", expr: "100 / 10 / 5", want: "number 2" },
  { name: "unary minus binds to the factor", expr: "-2 * -3", want: "number 6" },
  { name: "percentages are fractions", expr: "50% * 200", want: "number 100" },
  { name: "decimals", expr: "0.5 * 3", want: "number 1.5" },
  { name: "leading-dot decimal", expr: ".5 * 4", want: "number 2" },
  { name: "scientific notation is a number", expr: "1e3 / 10", want: "number 100" },
  { name: "quantity + quantity is exact", expr: "100m + 50m", want: "150m" },
  { name: "quantity - quantity", expr: "100m - 50m", want: "50m" },
  { name: "quantity * number scales millis", expr: "40m * 2", want: "80m" },
  { name: "number * quantity scales millis", expr: "2 * 40m", want: "80m" },
  { name: "quantity / number truncates to millis", expr: "100m / 3", want: "33m" },
  { name: "numbers meeting quantities count in base units", expr: "max(40m, 20)", want: "20" },
  { name: "number + quantity reads the number in cores", expr: "1 + 500m", want: "1500m" },
  { name: "binary quantities keep their format", expr: "memory*50%", vars: { memory: q("512Mi") }, want: "256Mi" },
  { name: "memory floor", expr: "max(memory*50%, 100Mi)", vars: { memory: q("128Mi") }, want: "100Mi" },
  { name: "variables are matched case-insensitively", expr: "CPU * 2", vars: { cpu: q("100m") }, want: "200m" },
  { name: "functions are matched case-insensitively", expr: "MAX(1, 2)", want: "number 2" },
  {
    name: "piecewise expression from the OpenKruise proposal",
    expr: "0.5*cpu - 0.3*max(0, cpu-4) + 0.3*max(0, cpu-8)",
    vars: { cpu: q("10") },
    want: "3800m",
  },
  { name: "whitespace anywhere", expr: "  max( cpu * 0.5 , 50m )  ", vars: { cpu: q("1") }, want: "500m" },
  { name: "negative intermediate results are allowed", expr: "(1 - 2) * -1", want: "number 1" },
  { name: "sub-milli literals round up to whole nanos", expr: "0.5m + 0", want: "500u" },
];

for (const c of evaluations) {
  test(`resource expression: ${c.name}`, () => {
    const r = evaluateResourceExpr(c.expr, c.vars ?? {});
    assert.ok(r.ok, r.ok ? "" : r.error);
    assert.equal(show(r.value), c.want);
  });
}

const errors: { name: string; expr: string; vars?: Record<string, ExprValue>; error: RegExp }[] = [
  { name: "quantity × quantity", expr: "40m * 2m", error: /multiply two quantities/ },
  { name: "division by a quantity", expr: "1 / 2m", error: /divide by a quantity/ },
  { name: "quantity ÷ quantity", expr: "4m / 2m", error: /divide by a quantity/ },
  { name: "division by zero (numbers)", expr: "10 / 0", error: /division by zero/ },
  { name: "division by zero (quantity)", expr: "10m / 0", error: /division by zero/ },
  { name: "negative result", expr: "cpu - 2", vars: { cpu: q("1") }, error: /negative/ },
  { name: "negative number result", expr: "-1", error: /negative/ },
  { name: "unknown name", expr: "invalidvar * 50%", vars: { cpu: q("1") }, error: /unknown name "invalidvar"/ },
  { name: "variable not bound", expr: "memory * 2", vars: { cpu: q("1") }, error: /unknown name "memory"/ },
  { name: "unknown function", expr: "avg(1, 2)", error: /unknown function "avg"/ },
  { name: "max with one argument", expr: "max(cpu*50%)", vars: { cpu: q("1") }, error: /exactly 2 arguments/ },
  { name: "max with three arguments", expr: "max(1, 2, 3)", error: /expected "\)"/ },
  { name: "max with no arguments", expr: "max()", error: /unexpected "\)"/ },
  { name: "unbalanced parentheses", expr: "max(cpu*50%, 50m", vars: { cpu: q("1") }, error: /expected "\)"/ },
  { name: "stray closing parenthesis", expr: "1 + 2)", error: /unexpected "\)"/ },
  { name: "operator sequence", expr: "cpu +*/ 50%", vars: { cpu: q("1") }, error: /unexpected "\*"/ },
  { name: "trailing operator", expr: "1 +", error: /unexpected end/ },
  { name: "empty expression", expr: "", error: /unexpected end/ },
  { name: "blank expression", expr: "   ", error: /unexpected end/ },
  { name: "unknown unit", expr: "2K", error: /unknown unit "K"/ },
  { name: "exa units are not accepted", expr: "1Ei", error: /not a number/ },
  { name: "exponent with a unit", expr: "1e3m", error: /exponent with a unit/ },
  { name: "malformed exponent", expr: "1e", error: /not a number/ },
  { name: "two dots", expr: "1.2.3", error: /unexpected a number/ },
  { name: "a number followed by a name", expr: "2 m", error: /unexpected "m"/ },
  { name: "unexpected character", expr: "cpu @ 2", vars: { cpu: q("1") }, error: /unexpected character "@"/ },
  { name: "non-finite arithmetic", expr: "1e308 * 10 * 1m", error: /finite|range/ },
];

for (const c of errors) {
  test(`resource expression rejected: ${c.name}`, () => {
    const r = evaluateResourceExpr(c.expr, c.vars ?? {});
    assert.equal(r.ok, false, `expected ${JSON.stringify(c.expr)} to fail`);
    if (!r.ok) assert.match(r.error, c.error);
  });
}

const validations: { name: string; expr: string; variable?: "cpu" | "memory"; ok: boolean }[] = [
  { name: "empty is valid (field unset)", expr: "", variable: "cpu", ok: true },
  { name: "cpu share", expr: "cpu*50%", variable: "cpu", ok: true },
  { name: "memory share", expr: "max(memory*50%, 100Mi)", variable: "memory", ok: true },
  { name: "constant", expr: "100Mi", variable: "memory", ok: true },
  { name: "memory in a cpu field (OpenKruise binds the field's variable)", expr: "memory*50%", variable: "cpu", ok: false },
  { name: "negative with the variable at 1 (as OpenKruise checks)", expr: "cpu - 2", variable: "cpu", ok: false },
  { name: "syntax error", expr: "cpu +*/ 50%", variable: "cpu", ok: false },
  { name: "without a field: both variables are known", expr: "cpu + memory", ok: true },
  { name: "without a field: unknown names rejected", expr: "disk * 2", ok: false },
  { name: "without a field: syntax still checked", expr: "max(cpu", ok: false },
];

for (const c of validations) {
  test(`parseResourceExpr: ${c.name}`, () => {
    assert.equal(parseResourceExpr(c.expr, c.variable).ok, c.ok);
  });
}

test("the variable is memory only when the word memory appears", () => {
  assert.equal(exprVariable("max(memory*50%, 100Mi)"), "memory");
  assert.equal(exprVariable("cpu*2"), "cpu");
  assert.equal(exprVariable("memoryx*2"), "cpu");
  assert.equal(exprVariable("100Mi"), "cpu");
});

test("a parsed expression is reused: evaluating twice gives the same result", () => {
  const vars = { cpu: q("2") };
  const a = evaluateResourceExpr("cpu * 10%", vars);
  const b = evaluateResourceExpr("cpu * 10%", vars);
  assert.deepEqual(a, b);
  assert.ok(a.ok && show(a.value) === "200m");
});

const quantities: [string, string][] = [
  ["0.1", "100m"],
  ["1000m", "1"],
  ["1.5Gi", "1536Mi"],
  ["2048Mi", "2Gi"],
  ["1500m", "1500m"],
  ["512", "512"],
  ["0.5Ki", "512"],
  ["1k", "1k"],
  ["1000000", "1M"],
  ["1e3", "1e3"],
  ["1500e-3", "1500e-3"],
  ["0", "0"],
  ["268435456", "268435456"],
  ["0.0000001", "100n"],
];

for (const [input, canonical] of quantities) {
  test(`quantity ${input} prints canonically as ${canonical}`, () => {
    const parsed = parseNanoQuantity(input);
    assert.ok(parsed);
    assert.equal(formatNanoQuantity(parsed), canonical);
  });
}

test("quantities that are not Kubernetes quantities are refused", () => {
  for (const bad of ["", "abc", "1.2.3", "1K", "--1", "1 m", "1e"]) assert.equal(parseNanoQuantity(bad), undefined, bad);
});
