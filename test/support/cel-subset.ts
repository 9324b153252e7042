// A test oracle: a reader and evaluator for the part of CEL the pod webhook's
// match condition uses (string literals with every escape of the CEL
// language definition, lists, `has`, field and index selection, `in`, `==`,
// `!`, `&&`, `||`, `true`, `false`), written from the language definition,
// independent of the code that writes the expressions. Evaluation follows
// CEL's rules for errors: `&&` and `||` are commutative and absorb an error
// when the other side decides, anything else propagates it.

export class CelError {
  constructor(readonly message: string) {}
}

export type CelValue = string | boolean | CelValue[] | { [key: string]: CelValue } | CelError;

type Token = { kind: "string"; value: string } | { kind: "ident"; value: string } | { kind: "op"; value: string };

/** The value of one single- or double-quoted CEL string literal starting at `at`, and where it ends. */
export function readStringLiteral(text: string, at = 0): { value: string; end: number } {
  const quote = text[at];
  if (quote !== "'" && quote !== '"') throw new Error(`no string literal at ${at}`);
  let value = "";
  let i = at + 1;
  const hex = (n: number): number => {
    const digits = text.slice(i, i + n);
    if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(digits)) throw new Error(`bad hex escape at ${i}`);
    i += n;
    return Number.parseInt(digits, 16);
  };
  const codePoint = (cp: number): string => {
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new Error(`invalid code point ${cp.toString(16)}`);
    return String.fromCodePoint(cp);
  };
  for (;;) {
    if (i >= text.length) throw new Error("unterminated string literal");
    const ch = text[i]!;
    if (ch === quote) return { value, end: i + 1 };
    if (ch === "\n" || ch === "\r") throw new Error("a newline inside a string literal");
    if (ch !== "\\") {
      const cp = text.codePointAt(i)!;
      value += String.fromCodePoint(cp);
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const e = text[i + 1];
    i += 2;
    const simple: Record<string, string> = { a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\", "'": "'", '"': '"', "`": "`", "?": "?" };
    if (e !== undefined && e in simple) value += simple[e];
    else if (e === "x" || e === "X") value += codePoint(hex(2));
    else if (e === "u") value += codePoint(hex(4));
    else if (e === "U") value += codePoint(hex(8));
    else if (e !== undefined && /[0-3]/.test(e) && /^[0-7]{2}$/.test(text.slice(i, i + 2))) {
      value += codePoint(Number.parseInt(e + text.slice(i, i + 2), 8));
      i += 2;
    } else throw new Error(`unknown escape \\${e ?? ""} at ${i - 2}`);
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === " ") {
      i++;
    } else if (ch === "'" || ch === '"') {
      const lit = readStringLiteral(text, i);
      tokens.push({ kind: "string", value: lit.value });
      i = lit.end;
    } else if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))![0];
      tokens.push({ kind: "ident", value: m });
      i += m.length;
    } else {
      const two = text.slice(i, i + 2);
      if (two === "&&" || two === "||" || two === "==") {
        tokens.push({ kind: "op", value: two });
        i += 2;
      } else if ("!.[](),".includes(ch)) {
        tokens.push({ kind: "op", value: ch });
        i++;
      } else throw new Error(`unexpected ${JSON.stringify(ch)} at ${i}`);
    }
  }
  return tokens;
}

type Node =
  | { t: "lit"; value: CelValue }
  | { t: "ident"; name: string }
  | { t: "select"; of: Node; field: string }
  | { t: "has"; of: Node; field: string }
  | { t: "index"; of: Node; key: Node }
  | { t: "list"; items: Node[] }
  | { t: "not"; of: Node }
  | { t: "bin"; op: "&&" | "||" | "==" | "in"; l: Node; r: Node };

/** Parses an expression of the subset; throws on anything else. */
export function parseCel(text: string): Node {
  const tokens = tokenize(text);
  let p = 0;
  const peek = (v: string) => tokens[p]?.kind !== "string" && tokens[p]?.value === v;
  const expect = (v: string) => {
    if (!peek(v)) throw new Error(`expected ${v} at token ${p}`);
    p++;
  };
  const or = (): Node => {
    let l = and();
    while (peek("||")) (p++, (l = { t: "bin", op: "||", l, r: and() }));
    return l;
  };
  const and = (): Node => {
    let l = relation();
    while (peek("&&")) (p++, (l = { t: "bin", op: "&&", l, r: relation() }));
    return l;
  };
  const relation = (): Node => {
    const l = unary();
    if (peek("==")) return (p++, { t: "bin", op: "==", l, r: unary() });
    if (peek("in")) return (p++, { t: "bin", op: "in", l, r: unary() });
    return l;
  };
  const unary = (): Node => (peek("!") ? (p++, { t: "not", of: unary() }) : member());
  const member = (): Node => {
    let n = primary();
    for (;;) {
      if (peek(".")) {
        p++;
        const f = tokens[p++];
        if (f?.kind !== "ident") throw new Error("expected a field name");
        n = { t: "select", of: n, field: f.value };
      } else if (peek("[")) {
        p++;
        const key = or();
        expect("]");
        n = { t: "index", of: n, key };
      } else return n;
    }
  };
  const primary = (): Node => {
    const tok = tokens[p++];
    if (!tok) throw new Error("unexpected end");
    if (tok.kind === "string") return { t: "lit", value: tok.value };
    if (tok.kind === "ident") {
      if (tok.value === "true" || tok.value === "false") return { t: "lit", value: tok.value === "true" };
      if (tok.value === "has") {
        expect("(");
        const inner = member();
        expect(")");
        if (inner.t !== "select") throw new Error("has() needs a field selection");
        return { t: "has", of: inner.of, field: inner.field };
      }
      return { t: "ident", name: tok.value };
    }
    if (tok.value === "(") {
      const e = or();
      expect(")");
      return e;
    }
    if (tok.value === "[") {
      const items: Node[] = [];
      while (!peek("]")) {
        items.push(or());
        if (!peek("]")) expect(",");
      }
      p++;
      return { t: "list", items };
    }
    throw new Error(`unexpected ${tok.value}`);
  };
  const node = or();
  if (p !== tokens.length) throw new Error(`trailing input at token ${p}`);
  return node;
}

const isMap = (v: CelValue): v is { [key: string]: CelValue } => typeof v === "object" && !Array.isArray(v) && !(v instanceof CelError);

export function evalCel(node: Node, vars: Record<string, CelValue>): CelValue {
  switch (node.t) {
    case "lit":
      return node.value;
    case "ident":
      return node.name in vars ? vars[node.name]! : new CelError(`undeclared ${node.name}`);
    case "select":
    case "has": {
      const of = evalCel(node.of, vars);
      if (of instanceof CelError) return of;
      if (!isMap(of)) return new CelError(`no field ${node.field} on a non-map`);
      const present = Object.prototype.hasOwnProperty.call(of, node.field);
      if (node.t === "has") return present;
      return present ? of[node.field]! : new CelError(`no such key: ${node.field}`);
    }
    case "index": {
      const of = evalCel(node.of, vars);
      const key = evalCel(node.key, vars);
      if (of instanceof CelError) return of;
      if (key instanceof CelError) return key;
      if (!isMap(of) || typeof key !== "string") return new CelError("bad index");
      return Object.prototype.hasOwnProperty.call(of, key) ? of[key]! : new CelError(`no such key: ${key}`);
    }
    case "list":
      return node.items.map((i) => evalCel(i, vars));
    case "not": {
      const v = evalCel(node.of, vars);
      return typeof v === "boolean" ? !v : v instanceof CelError ? v : new CelError("! on a non-bool");
    }
    case "bin": {
      const l = evalCel(node.l, vars);
      const r = evalCel(node.r, vars);
      if (node.op === "&&" || node.op === "||") {
        const decides = node.op === "||";
        if (l === decides || r === decides) return decides;
        if (l instanceof CelError) return l;
        if (r instanceof CelError) return r;
        if (typeof l !== "boolean" || typeof r !== "boolean") return new CelError(`${node.op} on a non-bool`);
        return !decides;
      }
      if (l instanceof CelError) return l;
      if (r instanceof CelError) return r;
      if (node.op === "==") return typeof l === "string" && typeof r === "string" ? l === r : new CelError("== on non-strings");
      if (Array.isArray(r)) return r.some((x) => x === l);
      if (isMap(r) && typeof l === "string") return Object.prototype.hasOwnProperty.call(r, l);
      return new CelError("in on a non-container");
    }
  }
}
