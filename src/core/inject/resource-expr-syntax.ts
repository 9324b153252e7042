// Syntax of the resourcesPolicy expression language (docs/behaviour.md §5.9): tokens and a
// recursive-descent parser producing a small tree. Evaluation is in
// resource-expr.ts. Quantity literals are read exactly, in nano units, rounded
// up as Kubernetes does when it parses a quantity.
import type { QuantityFormat } from "../../api/quantity.js";

/** A failure in an expression; caught and returned as data by resource-expr.ts. */
export class ExprError extends Error {}

export type Node =
  | { t: "num"; value: number }
  | { t: "qty"; nano: bigint; format: QuantityFormat }
  | { t: "var"; name: string }
  | { t: "neg"; x: Node }
  | { t: "bin"; op: "+" | "-" | "*" | "/"; l: Node; r: Node }
  | { t: "call"; fn: "max" | "min"; args: Node[] };

export type ParseOutcome = { ok: true; ast: Node } | { ok: false; error: string };

const NANO_PER_UNIT = 1_000_000_000n;

/** Suffixes OpenKruise's calculator accepts inside expressions (no E/Ei). */
const UNIT_SCALE: Record<string, { nano: bigint; format: QuantityFormat }> = {
  m: { nano: 1_000_000n, format: "DecimalSI" },
  k: { nano: 10n ** 12n, format: "DecimalSI" },
  M: { nano: 10n ** 15n, format: "DecimalSI" },
  G: { nano: 10n ** 18n, format: "DecimalSI" },
  T: { nano: 10n ** 21n, format: "DecimalSI" },
  P: { nano: 10n ** 24n, format: "DecimalSI" },
  Ki: { nano: 1024n * NANO_PER_UNIT, format: "BinarySI" },
  Mi: { nano: 1024n ** 2n * NANO_PER_UNIT, format: "BinarySI" },
  Gi: { nano: 1024n ** 3n * NANO_PER_UNIT, format: "BinarySI" },
  Ti: { nano: 1024n ** 4n * NANO_PER_UNIT, format: "BinarySI" },
  Pi: { nano: 1024n ** 5n * NANO_PER_UNIT, format: "BinarySI" },
};

// ---------------------------------------------------------------- lexing

type Token =
  | { k: "num"; value: number; pos: number }
  | { k: "qty"; nano: bigint; format: QuantityFormat; pos: number }
  | { k: "ident"; name: string; pos: number }
  | { k: "op"; op: "+" | "-" | "*" | "/" | "(" | ")" | ","; pos: number }
  | { k: "end"; pos: number };

const isDigit = (c: string): boolean => c >= "0" && c <= "9";
const isLetter = (c: string): boolean => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
const isSpace = (c: string): boolean => c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "\v";

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === "+" || c === "-" || c === "*" || c === "/" || c === "(" || c === ")" || c === ",") {
      out.push({ k: "op", op: c, pos: i });
      i++;
      continue;
    }
    if (isDigit(c) || c === ".") {
      const start = i;
      const r = readNumber(src, i);
      i = r.end;
      out.push(numberToken(src.slice(start, r.numberEnd), src.slice(r.numberEnd, i), r, start));
      continue;
    }
    if (isLetter(c)) {
      const start = i;
      while (i < src.length && (isLetter(src[i]!) || isDigit(src[i]!) || src[i] === "_")) i++;
      out.push({ k: "ident", name: src.slice(start, i), pos: start });
      continue;
    }
    throw new ExprError(`unexpected character ${JSON.stringify(c)} at position ${i + 1}`);
  }
  out.push({ k: "end", pos: src.length });
  return out;
}

interface NumberScan {
  numberEnd: number;
  end: number;
  percent: boolean;
  exponent: boolean;
}

/** Digits, one dot, an optional exponent, then either `%` or a unit made of letters. */
function readNumber(src: string, start: number): NumberScan {
  let i = start;
  let seenDot = false;
  let exponent = false;
  while (i < src.length) {
    const c = src[i]!;
    if (isDigit(c)) {
      i++;
    } else if (c === "." && !seenDot && !exponent) {
      seenDot = true;
      i++;
    } else if ((c === "e" || c === "E") && !exponent) {
      exponent = true;
      i++;
      if (src[i] === "+" || src[i] === "-") i++;
    } else {
      break;
    }
  }
  const numberEnd = i;
  if (src[i] === "%") return { numberEnd, end: i + 1, percent: true, exponent };
  while (i < src.length && isLetter(src[i]!)) i++;
  return { numberEnd, end: i, percent: false, exponent };
}

function numberToken(digits: string, suffix: string, scan: NumberScan, pos: number): Token {
  const shown = digits + (scan.percent ? "%" : suffix);
  if (!/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(digits)) {
    throw new ExprError(`"${shown}" at position ${pos + 1} is not a number`);
  }
  if (scan.percent) return { k: "num", value: Number(digits) / 100, pos };
  if (suffix === "") return { k: "num", value: Number(digits), pos };
  const unit = UNIT_SCALE[suffix];
  if (!unit) {
    throw new ExprError(
      `"${shown}" at position ${pos + 1} has unknown unit "${suffix}"; use m, k, M, G, T, P, Ki, Mi, Gi, Ti or Pi`,
    );
  }
  if (scan.exponent) throw new ExprError(`"${shown}" at position ${pos + 1} mixes an exponent with a unit`);
  return { k: "qty", nano: decimalTimes(digits, unit.nano), format: unit.format, pos };
}

/** Exact `digits × scale`, rounded up to whole nanos as Kubernetes does when parsing. */
function decimalTimes(digits: string, scale: bigint): bigint {
  const [whole = "", frac = ""] = digits.split(".");
  const numerator = BigInt((whole || "0") + frac) * scale;
  const denominator = 10n ** BigInt(frac.length);
  const q = numerator / denominator;
  return numerator % denominator === 0n ? q : q + 1n;
}

// ---------------------------------------------------------------- parsing

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): Node {
    const node = this.expr();
    const t = this.peek();
    if (t.k !== "end") throw new ExprError(`unexpected ${describe(t)} at position ${t.pos + 1}`);
    return node;
  }

  private peek(): Token {
    return this.tokens[this.i]!;
  }

  private isOp(op: string): boolean {
    const t = this.peek();
    return t.k === "op" && t.op === op;
  }

  private expect(op: string): void {
    const t = this.peek();
    if (t.k !== "op" || t.op !== op) {
      throw new ExprError(`expected "${op}" at position ${t.pos + 1}, found ${describe(t)}`);
    }
    this.i++;
  }

  private expr(): Node {
    let node = this.term();
    while (this.isOp("+") || this.isOp("-")) {
      const op = (this.tokens[this.i++] as { op: "+" | "-" }).op;
      node = { t: "bin", op, l: node, r: this.term() };
    }
    return node;
  }

  private term(): Node {
    let node = this.factor();
    while (this.isOp("*") || this.isOp("/")) {
      const op = (this.tokens[this.i++] as { op: "*" | "/" }).op;
      node = { t: "bin", op, l: node, r: this.factor() };
    }
    return node;
  }

  private factor(): Node {
    const t = this.peek();
    switch (t.k) {
      case "num":
        this.i++;
        return { t: "num", value: t.value };
      case "qty":
        this.i++;
        return { t: "qty", nano: t.nano, format: t.format };
      case "ident":
        this.i++;
        return this.isOp("(") ? this.call(t.name, t.pos) : { t: "var", name: t.name.toLowerCase() };
      case "op":
        if (t.op === "(") {
          this.i++;
          const inner = this.expr();
          this.expect(")");
          return inner;
        }
        if (t.op === "-") {
          this.i++;
          return { t: "neg", x: this.factor() };
        }
        throw new ExprError(`unexpected ${describe(t)} at position ${t.pos + 1}`);
      case "end":
        throw new ExprError("unexpected end of expression");
    }
  }

  private call(name: string, pos: number): Node {
    this.expect("(");
    const args = [this.expr()];
    if (this.isOp(",")) {
      this.i++;
      args.push(this.expr());
    }
    this.expect(")");
    const fn = name.toLowerCase();
    if (fn !== "max" && fn !== "min") {
      throw new ExprError(`unknown function "${name}" at position ${pos + 1}; use max(a, b) or min(a, b)`);
    }
    if (args.length !== 2) throw new ExprError(`${fn}() takes exactly 2 arguments, got ${args.length}`);
    return { t: "call", fn, args };
  }
}

function describe(t: Token): string {
  switch (t.k) {
    case "end":
      return "end of expression";
    case "op":
      return `"${t.op}"`;
    case "ident":
      return `"${t.name}"`;
    default:
      return "a number";
  }
}

// Expressions come from a handful of SidecarSets and are evaluated for every
// pod, so their syntax trees are kept; the cap only guards against churn.
const AST_CACHE_LIMIT = 1024;
const astCache = new Map<string, ParseOutcome>();

export function parseCached(expr: string): ParseOutcome {
  const hit = astCache.get(expr);
  if (hit) return hit;
  let outcome: ParseOutcome;
  try {
    const tokens = tokenize(expr);
    outcome = { ok: true, ast: new Parser(tokens).parse() };
  } catch (e) {
    if (!(e instanceof ExprError)) throw e;
    outcome = { ok: false, error: e.message };
  }
  if (astCache.size >= AST_CACHE_LIMIT) astCache.clear();
  astCache.set(expr, outcome);
  return outcome;
}
