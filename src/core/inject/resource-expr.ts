// The expression language of `resourcesPolicy.resourcesExpr` (docs/behaviour.md §5.9):
// `+ - * /`, parentheses, `max(a, b)`, `min(a, b)`, integers, decimals,
// percentages (`50%` = 0.5), Kubernetes quantities (`200m`, `512Mi`) and one
// variable (`cpu` or `memory`). Values are either plain numbers (float64, as
// OpenKruise's calculator) or quantities kept exactly in nano units, so sums of
// quantities never drift.
//
// Arithmetic follows OpenKruise's calculator: a number meeting a quantity in
// `+ - max min` counts in base units (cores / bytes) truncated to millis;
// `quantity * number` and `quantity / number` scale the quantity's (rounded up)
// milli value and truncate; quantity × quantity, ÷ quantity, ÷ 0 and a negative
// final result are errors. The syntax is in resource-expr-syntax.ts.
import type { QuantityFormat } from "../../api/quantity.js";
import { ExprError, parseCached, type Node } from "./resource-expr-syntax.js";

export type { QuantityFormat };

export type ExprValue =
  | { kind: "number"; value: number }
  | { kind: "quantity"; nano: bigint; format: QuantityFormat };

export type ExprResult = { ok: true; value: ExprValue } | { ok: false; error: string };

export type ExprVariable = "cpu" | "memory";

const NANO_PER_MILLI = 1_000_000n;
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

function num(value: number): ExprValue {
  return { kind: "number", value };
}

/** A plain number meeting a quantity counts in base units, truncated to millis. */
function numberAsQuantity(n: number): { nano: bigint; format: QuantityFormat } {
  return { nano: truncToBigInt(n * 1000) * NANO_PER_MILLI, format: "DecimalSI" };
}

function asQuantity(v: ExprValue): { nano: bigint; format: QuantityFormat } {
  return v.kind === "quantity" ? v : numberAsQuantity(v.value);
}

function truncToBigInt(x: number): bigint {
  if (!Number.isFinite(x)) throw new ExprError("result is not a finite number");
  const t = BigInt(Math.trunc(x));
  if (t > INT64_MAX || t < INT64_MIN) throw new ExprError("result is out of range");
  return t;
}

/** Kubernetes' MilliValue: whole millis, rounded away from zero. */
function milliOf(nano: bigint): bigint {
  const q = nano / NANO_PER_MILLI;
  const r = nano % NANO_PER_MILLI;
  if (r === 0n) return q;
  return nano > 0n ? q + 1n : q - 1n;
}

/** A sum keeps the left operand's format unless the left operand is zero. */
function addQuantities(l: ExprValue, r: ExprValue, sign: 1n | -1n): ExprValue {
  const a = asQuantity(l);
  const b = asQuantity(r);
  return { kind: "quantity", nano: a.nano + sign * b.nano, format: a.nano === 0n ? b.format : a.format };
}

function scale(q: { nano: bigint; format: QuantityFormat }, f: (milli: number) => number): ExprValue {
  const milli = truncToBigInt(f(Number(milliOf(q.nano))));
  return { kind: "quantity", nano: milli * NANO_PER_MILLI, format: q.format };
}

function compare(l: ExprValue, r: ExprValue): number {
  if (l.kind === "number" && r.kind === "number") return l.value === r.value ? 0 : l.value > r.value ? 1 : -1;
  const a = asQuantity(l).nano;
  const b = asQuantity(r).nano;
  return a === b ? 0 : a > b ? 1 : -1;
}

function extreme(fn: "max" | "min", l: ExprValue, r: ExprValue): ExprValue {
  const c = compare(l, r);
  const pickLeft = fn === "max" ? c >= 0 : c <= 0;
  const chosen = pickLeft ? l : r;
  if (l.kind === "number" && r.kind === "number") return chosen;
  return chosen.kind === "quantity" ? chosen : { kind: "quantity", ...numberAsQuantity(chosen.value) };
}

function evaluate(node: Node, vars: Readonly<Record<string, ExprValue>>): ExprValue {
  switch (node.t) {
    case "num":
      return num(node.value);
    case "qty":
      return { kind: "quantity", nano: node.nano, format: node.format };
    case "var": {
      const v = Object.prototype.hasOwnProperty.call(vars, node.name) ? vars[node.name] : undefined;
      if (!v) {
        const known = Object.keys(vars);
        throw new ExprError(
          `unknown name "${node.name}"; ${known.length ? `use ${known.map((k) => `"${k}"`).join(" or ")}` : "no variable is available"}`,
        );
      }
      return v;
    }
    case "neg": {
      const x = evaluate(node.x, vars);
      return x.kind === "number" ? num(-x.value) : { ...x, nano: -x.nano };
    }
    case "call":
      return extreme(node.fn, evaluate(node.args[0]!, vars), evaluate(node.args[1]!, vars));
    case "bin": {
      const l = evaluate(node.l, vars);
      const r = evaluate(node.r, vars);
      switch (node.op) {
        case "+":
        case "-":
          if (l.kind === "number" && r.kind === "number") return num(node.op === "+" ? l.value + r.value : l.value - r.value);
          return addQuantities(l, r, node.op === "+" ? 1n : -1n);
        case "*":
          if (l.kind === "quantity" && r.kind === "quantity") throw new ExprError("cannot multiply two quantities");
          if (l.kind === "quantity") return scale(l, (m) => m * (r as { value: number }).value);
          if (r.kind === "quantity") return scale(r, (m) => m * l.value);
          return num(l.value * r.value);
        case "/":
          if (r.kind === "quantity") throw new ExprError("cannot divide by a quantity");
          if (r.value === 0) throw new ExprError("division by zero");
          if (l.kind === "quantity") return scale(l, (m) => m / r.value);
          return num(l.value / r.value);
      }
    }
  }
}

function isNegative(v: ExprValue): boolean {
  return v.kind === "number" ? v.value < 0 : v.nano < 0n;
}

/**
 * Evaluates `expr` with the given variables (names lower-case; identifiers in
 * the expression are matched case-insensitively). Every failure — syntax,
 * unknown names, quantity × quantity, ÷ quantity, ÷ 0, a negative result — is
 * returned as an error, never thrown.
 */
export function evaluateResourceExpr(expr: string, vars: Readonly<Record<string, ExprValue>>): ExprResult {
  const parsed = parseCached(expr);
  if (!parsed.ok) return parsed;
  try {
    const value = evaluate(parsed.ast, vars);
    if (isNegative(value)) return { ok: false, error: "the result is negative" };
    return { ok: true, value };
  } catch (e) {
    if (e instanceof ExprError) return { ok: false, error: e.message };
    throw e;
  }
}

/**
 * Checks an expression as the SidecarSet validating webhook does. Without
 * `variable` only the syntax and the names are checked (`cpu` and `memory` are
 * known). With `variable` — the field the expression sits in — it is also
 * evaluated with that variable bound to the number 1, as OpenKruise does, so
 * the same expressions are accepted: the other variable is an unknown name,
 * and `cpu - 2` is rejected for its negative result. The empty string is
 * valid (the field is unset).
 */
export function parseResourceExpr(
  expr: string,
  variable?: ExprVariable,
): { ok: true } | { ok: false; error: string } {
  if (expr === "") return { ok: true };
  const parsed = parseCached(expr);
  if (!parsed.ok) return parsed;
  if (variable) {
    const r = evaluateResourceExpr(expr, { [variable]: num(1) });
    return r.ok ? { ok: true } : { ok: false, error: r.error };
  }
  const unknown = findUnknownName(parsed.ast);
  if (unknown !== undefined) return { ok: false, error: `unknown name "${unknown}"; use "cpu" or "memory"` };
  return { ok: true };
}

function findUnknownName(node: Node): string | undefined {
  switch (node.t) {
    case "var":
      return node.name === "cpu" || node.name === "memory" ? undefined : node.name;
    case "neg":
      return findUnknownName(node.x);
    case "bin":
      return findUnknownName(node.l) ?? findUnknownName(node.r);
    case "call":
      return findUnknownName(node.args[0]!) ?? findUnknownName(node.args[1]!);
    default:
      return undefined;
  }
}

/**
 * The variable an expression binds (docs/behaviour.md §5.9): `memory` when the word
 * `memory` appears in it, else `cpu` — whatever field it sits in.
 */
export function exprVariable(expr: string): ExprVariable {
  return MEMORY_WORD.test(expr) ? "memory" : "cpu";
}

const MEMORY_WORD = /\bmemory\b/;
