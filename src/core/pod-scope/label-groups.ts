// SidecarSets that each select one value of the same label (`app: a`, `app: b`,
// …, a platform with a sidecar per team) are written as one test of that label
// against a list of values instead of one term each: the expression then holds
// hundreds of them within its length limit, and the API server evaluates one
// term where it evaluated hundreds for every pod created. Terms are kept per
// value everywhere else ("atoms": what a SidecarSet needs, and what the grace
// period of a term no longer needed is counted for), so grouping is only how
// they are written, and reading the expression back splits the groups again.
// Both follow the exact text expression.ts writes; anything else is left as it is.

/** A CEL string literal as celStringLiteral writes it: single quotes, escapes inside. */
const LITERAL = String.raw`'(?:[^'\\]|\\.)*'`;
/** The namespace conditions a term may start with (spec.namespace, namespaceSelector names). */
const PREFIX = String.raw`(?:request\.namespace (?:== ${LITERAL}|in \[${LITERAL}(?:, ${LITERAL})*\]) && )*`;
const LABELS = String.raw`object\.metadata\.labels`;
const HEAD = String.raw`^\((${PREFIX})has\(${LABELS}\) && \((${LITERAL}) in ${LABELS} && ${LABELS}\[(${LITERAL})\] `;
/** One value of one label: `(PREFIX has(L) && ('k' in L && L['k'] == 'v'))`. */
const ATOM = new RegExp(`${HEAD}== (${LITERAL})\\)\\)$`);
/** Several values of one label: `(PREFIX has(L) && ('k' in L && L['k'] in ['a', 'b']))`. */
const GROUP = new RegExp(`${HEAD}in \\[(${LITERAL}(?:, ${LITERAL})*)\\]\\)\\)$`);
const LITERALS = new RegExp(LITERAL, "g");

/** The term for one value of `key` after `prefix` (CEL literals, as written). */
export function labelValueTerm(prefix: string, key: string, value: string): string {
  return labelTerm(prefix, key, [value]);
}

/** One value is tested for equality, several for membership in their list. */
function labelTerm(prefix: string, key: string, values: readonly string[]): string {
  const test = values.length === 1 ? `== ${values[0]}` : `in [${values.join(", ")}]`;
  return `(${prefix}has(object.metadata.labels) && (${key} in object.metadata.labels && object.metadata.labels[${key}] ${test}))`;
}

/** The terms as written: atoms of one prefix and label joined into one term, at the place of the first of them. */
export function groupTerms(terms: readonly string[]): string[] {
  const groups = new Map<string, { prefix: string; key: string; values: string[] }>();
  const out: (string | { prefix: string; key: string; values: string[] })[] = [];
  for (const term of terms) {
    const atom = ATOM.exec(term);
    if (!atom || atom[2] !== atom[3]) {
      out.push(term);
      continue;
    }
    const [, prefix, key, , value] = atom as unknown as [string, string, string, string, string];
    const id = `${prefix}\u0000${key}`;
    const group = groups.get(id);
    if (group) group.values.push(value);
    else {
      const created = { prefix, key, values: [value] };
      groups.set(id, created);
      out.push(created);
    }
  }
  return out.map((t) => (typeof t === "string" ? t : labelTerm(t.prefix, t.key, t.values)));
}

/** The terms as read back: each group split into its atoms; every other term as it is. */
export function ungroupTerms(terms: readonly string[]): string[] {
  return terms.flatMap((term) => {
    const group = GROUP.exec(term);
    if (!group || group[2] !== group[3]) return [term];
    const [, prefix, key, , list] = group as unknown as [string, string, string, string, string];
    return [...list.matchAll(LITERALS)].map((m) => labelValueTerm(prefix, key, m[0]));
  });
}
