// scatterStrategy (docs/behaviour.md §6.8) stated the plain way: lists of
// labelled items, filtered and spliced step by step as the rule reads. The
// planner's form (label values as numbers, counts kept across terms, index
// arrays) must order pods exactly as this does.
import type { ScatterTerm } from "../../src/api/types.js";

export type Labels = Readonly<Record<string, string>> | null | undefined;

export interface ResolvedTerm {
  key: string;
  value: string;
}

/** The label's value when the pod carries it: own properties only, as a label map is data. */
function labelOf(labels: Labels, key: string): string | undefined {
  return labels && Object.hasOwn(labels, key) ? labels[key] : undefined;
}

function isKeyOnly(term: ScatterTerm): boolean {
  return term.value === undefined || term.value === null || term.value === "" || term.value === "*";
}

/**
 * Key-only terms become one term per value of the key on the matched pods
 * (`all`, in (namespace, name) order, first occurrence first); a (key, value)
 * already listed is dropped.
 */
export function expandScatterTerms(terms: readonly ScatterTerm[], all: readonly Labels[]): ResolvedTerm[] {
  const out: ResolvedTerm[] = [];
  for (const term of terms) {
    const values = isKeyOnly(term) ? all.map((l) => labelOf(l, term.key)).filter((v): v is string => v !== undefined) : [term.value as string];
    for (const value of values) if (!out.some((t) => t.key === term.key && t.value === value)) out.push({ key: term.key, value });
  }
  return out;
}

/** Half away from zero, as Go's math.Round. */
function round(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/** G(m, u) of step 4. */
function groupsOf(m: number, u: number): { n: number; ms: number; us: number } {
  const n = Math.min(m, u);
  return { n, ms: round(m / n), us: round(u / n) };
}

/** One term rewrites the ordered waiting list (steps 1–5). */
export function scatterByTerm<T>(term: ResolvedTerm, waiting: readonly T[], all: readonly Labels[], labelsOf: (t: T) => Labels): T[] {
  // A missing label reads as "".
  const has = (labels: Labels): boolean => (labelOf(labels, term.key) ?? "") === term.value;
  const m = waiting.filter((w) => has(labelsOf(w)));
  const u = waiting.filter((w) => !has(labelsOf(w)));
  if (m.length <= 1 || u.length <= 1) return [...waiting];
  let tm = all.filter(has).length;
  const tu = all.length - tm;
  const tail = m.pop()!;
  tm -= 1;
  const f = Math.fround;
  let n: number;
  let ms: number;
  let us: number;
  let r = 0;
  if (f(f(tu) / f(tm)) >= f(f(u.length) / f(m.length))) {
    ({ n, ms, us } = groupsOf(m.length, u.length));
  } else {
    ({ ms, us } = groupsOf(tm, tu));
    n = Math.min(Math.floor(m.length / ms), Math.floor(u.length / us));
    r = u.length - n * us;
  }
  const out = u.splice(0, r);
  for (let i = 0; i < n; i++) out.push(...m.splice(0, ms), ...u.splice(0, us));
  out.push(...m, ...u, tail);
  return out;
}

/**
 * The resolved terms applied to the ordered waiting list; `all` is the
 * labels of every matched pod. With several terms, those no waiting pod
 * carries go, and the rest apply by descending count (ties in term order).
 */
export function scatter<T>(terms: readonly ResolvedTerm[], waiting: readonly T[], all: readonly Labels[], labelsOf: (t: T) => Labels): T[] {
  if (terms.length === 0 || waiting.length <= 1) return [...waiting];
  let applied = terms;
  if (terms.length > 1) {
    applied = terms
      .map((term, index) => ({ term, index, count: waiting.filter((w) => labelOf(labelsOf(w), term.key) === term.value).length }))
      .filter((t) => t.count > 0)
      .sort((a, b) => b.count - a.count || a.index - b.index)
      .map((t) => t.term);
  }
  let order = [...waiting];
  for (const term of applied) order = scatterByTerm(term, order, all, labelsOf);
  return order;
}
