// scatterStrategy (SPEC §6.8): spread pods carrying a label value through the
// upgrade order so that the first waves do not all land on one zone, host or
// version. Arithmetic follows OpenKruise's scatter sorter, including its
// float32 density comparison, so both choose the same pods.
import type { ScatterTerm } from "../../api/types.js";
import type { Labels } from "../selector.js";

export interface ResolvedScatterTerm {
  key: string;
  value: string;
}

/** `*`, empty or omitted: the term stands for every value of its key. */
export function isKeyOnlyTerm(term: ScatterTerm): boolean {
  return term.value === undefined || term.value === null || term.value === "" || term.value === "*";
}

/**
 * Expands key-only terms into one term per distinct value of the key on the
 * matched pods (first occurrence in their (namespace, name) order), then drops
 * repeated (key, value) pairs, keeping the first.
 */
export function expandScatterTerms<A>(
  terms: readonly ScatterTerm[],
  all: readonly A[],
  labelsOf: (a: A) => Labels,
): ResolvedScatterTerm[] {
  const out: ResolvedScatterTerm[] = [];
  const seen = new Set<string>();
  const add = (key: string, value: string): void => {
    const id = `${key}\u0000${value}`;
    if (seen.has(id)) return;
    seen.add(id);
    out.push({ key, value });
  };
  const valuesByKey = new Map<string, string[]>();
  for (const term of terms) {
    if (!isKeyOnlyTerm(term)) {
      add(term.key, term.value as string);
      continue;
    }
    let values = valuesByKey.get(term.key);
    if (!values) {
      const distinct = new Set<string>();
      for (const a of all) {
        const v = labelsOf(a)?.[term.key];
        if (v !== undefined) distinct.add(v);
      }
      values = [...distinct];
      valuesByKey.set(term.key, values);
    }
    for (const v of values) add(term.key, v);
  }
  return out;
}

/** Half away from zero, as Go's math.Round; the inputs here are positive. */
function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

interface Group {
  count: number;
  matchedSize: number;
  unmatchedSize: number;
}

function groupOf(matched: number, unmatched: number): Group {
  const count = Math.min(matched, unmatched);
  return {
    count,
    matchedSize: roundHalfAway(matched / count),
    unmatchedSize: roundHalfAway(unmatched / count),
  };
}

const f32 = Math.fround;

/**
 * Group sizes for interleaving: when the waiting pods are no denser in the
 * term than all pods, interleave evenly; otherwise use the overall density and
 * put the surplus of other pods first.
 */
export function scatterGroups(
  totalMatched: number,
  totalUnmatched: number,
  waitingMatched: number,
  waitingUnmatched: number,
): { count: number; matchedSize: number; unmatchedSize: number; unmatchedFirst: number } {
  if (f32(f32(totalUnmatched) / f32(totalMatched)) >= f32(f32(waitingUnmatched) / f32(waitingMatched))) {
    return { ...groupOf(waitingMatched, waitingUnmatched), unmatchedFirst: 0 };
  }
  const total = groupOf(totalMatched, totalUnmatched);
  const count = Math.min(Math.floor(waitingMatched / total.matchedSize), Math.floor(waitingUnmatched / total.unmatchedSize));
  return {
    count,
    matchedSize: total.matchedSize,
    unmatchedSize: total.unmatchedSize,
    unmatchedFirst: waitingUnmatched - count * total.unmatchedSize,
  };
}

/**
 * One term applied to an order of item indexes. `values[i]` is item i's label
 * value for the term's key (undefined = missing, read as ""). Works on index
 * arrays because it runs once per term over every waiting pod.
 */
function scatterIndexes(
  order: Int32Array,
  values: readonly (string | undefined)[],
  value: string,
  totalPods: number,
  totalMatched: number,
): Int32Array {
  const n = order.length;
  const m = new Int32Array(n);
  const u = new Int32Array(n);
  let mLen = 0;
  let uLen = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    if ((values[i] ?? "") === value) m[mLen++] = i;
    else u[uLen++] = i;
  }
  if (mLen <= 1 || uLen <= 1) return order;
  // The last matching pod goes to the very end.
  const tail = m[--mLen]!;
  const g = scatterGroups(totalMatched - 1, totalPods - totalMatched, mLen, uLen);
  const out = new Int32Array(n);
  let o = 0;
  let mi = 0;
  let ui = 0;
  while (ui < g.unmatchedFirst) out[o++] = u[ui++]!;
  for (let c = 0; c < g.count; c++) {
    for (let k = 0; k < g.matchedSize && mi < mLen; k++) out[o++] = m[mi++]!;
    for (let k = 0; k < g.unmatchedSize && ui < uLen; k++) out[o++] = u[ui++]!;
  }
  while (mi < mLen) out[o++] = m[mi++]!;
  while (ui < uLen) out[o++] = u[ui++]!;
  out[o] = tail;
  return out;
}

function identityOrder(n: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

/** One term applied to the waiting list. `totalMatched` counts all matched pods with the value. */
export function scatterByTerm<T>(
  term: ResolvedScatterTerm,
  waiting: readonly T[],
  totalPods: number,
  totalMatched: number,
  labelsOf: (t: T) => Labels,
): T[] {
  const values = waiting.map((t) => labelsOf(t)?.[term.key]);
  const order = scatterIndexes(identityOrder(waiting.length), values, term.value, totalPods, totalMatched);
  return Array.from(order, (i) => waiting[i]!);
}

/**
 * Applies resolved terms to the ordered waiting list `waiting`; `all` is every
 * matched pod. With several terms, those matching no waiting pod are dropped
 * and the rest applied by descending number of waiting pods they match.
 */
export function scatter<T, A>(
  terms: readonly ResolvedScatterTerm[],
  waiting: readonly T[],
  all: readonly A[],
  labelsOfWaiting: (t: T) => Labels,
  labelsOfAll: (a: A) => Labels,
): T[] {
  if (terms.length === 0 || waiting.length <= 1) return [...waiting];
  // Each waiting pod's value per key, read once.
  const valuesByKey = new Map<string, (string | undefined)[]>();
  for (const term of terms) {
    if (valuesByKey.has(term.key)) continue;
    const values = new Array<string | undefined>(waiting.length);
    for (let i = 0; i < waiting.length; i++) values[i] = labelsOfWaiting(waiting[i]!)?.[term.key];
    valuesByKey.set(term.key, values);
  }
  let applied: readonly ResolvedScatterTerm[] = terms;
  if (terms.length > 1) {
    const counts = countValues(terms, valuesByKey, true);
    applied = terms
      .map((term, index) => ({ term, index, count: counts[index]! }))
      .filter((t) => t.count > 0)
      .sort((a, b) => b.count - a.count || a.index - b.index)
      .map((t) => t.term);
  }
  const allValues = new Map<string, (string | undefined)[]>();
  for (const term of applied) if (!allValues.has(term.key)) allValues.set(term.key, all.map((a) => labelsOfAll(a)?.[term.key]));
  const totals = countValues(applied, allValues, false);
  // Scattering reorders but never changes the waiting set, so a term that
  // cannot split it (≤ 1 pod on either side) is known before walking the list.
  const waitingCounts = countValues(applied, valuesByKey, false);
  let order = identityOrder(waiting.length);
  applied.forEach((term, i) => {
    const matching = waitingCounts[i]!;
    if (matching <= 1 || waiting.length - matching <= 1) return;
    order = scatterIndexes(order, valuesByKey.get(term.key)!, term.value, all.length, totals[i]!);
  });
  return Array.from(order, (i) => waiting[i]!);
}

/**
 * Per term, how many items carry its value. `requirePresent`: a missing label
 * does not count even for the empty value (term selection); otherwise it reads
 * as "" (the scatter split itself). One pass per distinct key.
 */
function countValues(
  terms: readonly ResolvedScatterTerm[],
  valuesByKey: ReadonlyMap<string, readonly (string | undefined)[]>,
  requirePresent: boolean,
): number[] {
  const byKey = new Map<string, Map<string, number>>();
  for (const term of terms) {
    if (byKey.has(term.key)) continue;
    const counts = new Map<string, number>();
    for (const v of valuesByKey.get(term.key)!) {
      if (v === undefined && requirePresent) continue;
      const value = v ?? "";
      counts.set(value, (counts.get(value) ?? 0) + 1);
    }
    byKey.set(term.key, counts);
  }
  return terms.map((t) => byKey.get(t.key)!.get(t.value) ?? 0);
}
