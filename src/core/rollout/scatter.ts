// scatterStrategy (docs/behaviour.md §6.8): spread pods carrying a label value through the
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
 * The terms with each key-only term replaced by one term per value of its key
 * (`valuesOf`, asked once per key, in first-occurrence order), repeated
 * (key, value) pairs dropped, the first kept.
 */
function resolveTerms(terms: readonly ScatterTerm[], valuesOf: (key: string) => Iterable<string>): ResolvedScatterTerm[] {
  const out: ResolvedScatterTerm[] = [];
  const seen = new Set<string>();
  const add = (key: string, value: string): void => {
    const id = `${key}\u0000${value}`;
    if (seen.has(id)) return;
    seen.add(id);
    out.push({ key, value });
  };
  const expanded = new Set<string>();
  for (const term of terms) {
    if (!isKeyOnlyTerm(term)) {
      add(term.key, term.value as string);
    } else if (!expanded.has(term.key)) {
      // A second key-only term of the same key adds nothing: its pairs are all seen.
      expanded.add(term.key);
      for (const value of valuesOf(term.key)) add(term.key, value);
    }
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
 * One term applied to an order of item indexes. `codes[i]` is item i's label
 * value as a number (-1 = label missing); an item matches when its code is
 * `target`, or when it lacks the label and the term's value is "" (a missing
 * label reads as ""). Numbers and index arrays because this runs once per
 * term over every waiting pod.
 */
function scatterIndexes(
  order: Int32Array,
  codes: Int32Array,
  target: number,
  missingMatches: boolean,
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
    const code = codes[i]!;
    if (code === target || (missingMatches && code === -1)) m[mLen++] = i;
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

/** One key's values as numbers: `codes[i]` for label list entry i, -1 when missing. */
interface KeyCodes {
  codes: Int32Array;
  ids: Map<string, number>;
}

/**
 * The codes of every scatter key, filled one label list entry at a time, in
 * order: reading a pod's label object once for all keys, rather than once per
 * key, halves the memory traffic over 100k pods, and a caller already reading
 * each pod can fill them in the same pass.
 */
const FEW_VALUES = 8;

export class ScatterCodes {
  private readonly keyList: string[] = [];
  private readonly perKey: KeyCodes[];
  /** The first values of each key, in id order (id = position). */
  private fewValues: string[][];
  /** How many entries were added. */
  count = 0;

  constructor(terms: readonly { key: string }[], capacity: number) {
    for (const term of terms) if (!this.keyList.includes(term.key)) this.keyList.push(term.key);
    this.perKey = this.keyList.map(() => ({ codes: new Int32Array(capacity), ids: new Map<string, number>() }));
    this.fewValues = this.keyList.map(() => []);
  }

  add(labels: Labels): void {
    const i = this.count++;
    for (let k = 0; k < this.keyList.length; k++) {
      const { codes, ids } = this.perKey[k]!;
      const v = labels?.[this.keyList[k]!];
      // A string can only be an own label: an inherited property (a pod without
      // a `constructor` label still has labels.constructor) is no label.
      if (typeof v !== "string") {
        codes[i] = -1;
        continue;
      }
      codes[i] = this.idOf(k, ids, v);
    }
  }

  /**
   * A scatter key usually has a handful of values (zones, racks): comparing
   * with the first few is cheaper than hashing every pod's value string.
   */
  private idOf(k: number, ids: Map<string, number>, v: string): number {
    const few = this.fewValues[k]!;
    for (let j = 0; j < few.length; j++) if (few[j] === v) return j;
    let id = ids.get(v);
    if (id === undefined) {
      ids.set(v, (id = ids.size));
      if (id === few.length && few.length < FEW_VALUES) few.push(v);
    }
    return id;
  }

  /**
   * Reorders the entries so that entry i is the one added as entry
   * `slots[i]`, and renumbers each key's values by first occurrence in the
   * new order (the order key-only terms expand in).
   */
  reorder(slots: Int32Array): void {
    for (let k = 0; k < this.perKey.length; k++) {
      const { codes, ids } = this.perKey[k]!;
      const renumbered = new Int32Array(ids.size).fill(-1);
      const values: string[] = new Array(ids.size);
      for (const [value, id] of ids) values[id] = value;
      const inOrder = new Map<string, number>();
      const out = new Int32Array(codes.length);
      for (let i = 0; i < slots.length; i++) {
        const code = codes[slots[i]!]!;
        if (code >= 0 && renumbered[code] === -1) {
          renumbered[code] = inOrder.size;
          inOrder.set(values[code]!, inOrder.size);
        }
        out[i] = code < 0 ? code : renumbered[code]!;
      }
      this.perKey[k] = { codes: out, ids: inOrder };
      this.fewValues[k] = [...inOrder.keys()].slice(0, FEW_VALUES);
    }
    this.count = slots.length;
  }

  byKey(): Map<string, KeyCodes> {
    return new Map(this.keyList.map((key, k) => [key, this.perKey[k]!]));
  }
}

function codesOfKeys(labels: readonly Labels[], terms: readonly { key: string }[]): Map<string, KeyCodes> {
  const codes = new ScatterCodes(terms, labels.length);
  for (const l of labels) codes.add(l);
  return codes.byKey();
}

/**
 * How many of the first `count` entries carry each value of one key: `byCode[code + 1]`, so that
 * slot 0 counts the entries without the label. Scattering reorders the
 * waiting pods but never changes which pods wait, so these counts hold for
 * every term applied.
 */
function valueCounts(key: KeyCodes, count: number): Int32Array {
  const byCode = new Int32Array(key.ids.size + 1);
  for (let i = 0; i < count; i++) byCode[key.codes[i]! + 1]!++;
  return byCode;
}

/**
 * How many counted entries carry the term's value. `requirePresent`: a
 * missing label does not count for the empty value (term selection);
 * otherwise it does (the split itself).
 */
function countTerm(term: ResolvedScatterTerm, key: KeyCodes, counts: Int32Array, requirePresent: boolean): number {
  const target = key.ids.get(term.value);
  const present = target === undefined ? 0 : counts[target + 1]!;
  return !requirePresent && term.value === "" ? present + counts[0]! : present;
}

/**
 * Expands and applies the strategy's terms in one go. Key-only terms expand
 * from the same pass that numbers the label values (a value's number is its
 * first occurrence in the matched pods' labels, the order expansion needs).
 * `all` is those labels, or their codes already filled in that order.
 */
export function scatterOrderOfStrategy(terms: readonly ScatterTerm[], waiting: Int32Array, all: readonly Labels[] | ScatterCodes): Int32Array {
  const keys = all instanceof ScatterCodes ? all.byKey() : codesOfKeys(all, terms);
  const allCount = all instanceof ScatterCodes ? all.count : all.length;
  const resolved = resolveTerms(terms, (key) => keys.get(key)!.ids.keys());
  return scatterWithCodes(resolved, waiting, keys, allCount);
}

function scatterWithCodes(
  terms: readonly ResolvedScatterTerm[],
  waiting: Int32Array,
  keys: ReadonlyMap<string, KeyCodes>,
  allCount: number,
): Int32Array {
  const n = waiting.length;
  if (terms.length === 0 || n <= 1) return identityOrder(n);
  // Codes by waiting index, the indexes the order is made of, and the counts of each value.
  const waitingCodes = new Map<string, Int32Array>();
  const waitingCounts = new Map<string, Int32Array>();
  const allCounts = new Map<string, Int32Array>();
  for (const [name, key] of keys) {
    const codes = new Int32Array(n);
    for (let i = 0; i < n; i++) codes[i] = key.codes[waiting[i]!]!;
    waitingCodes.set(name, codes);
    waitingCounts.set(name, valueCounts({ codes, ids: key.ids }, n));
    allCounts.set(name, valueCounts(key, allCount));
  }
  let applied: readonly ResolvedScatterTerm[] = terms;
  if (terms.length > 1) {
    applied = terms
      .map((term, index) => ({ term, index, count: countTerm(term, keys.get(term.key)!, waitingCounts.get(term.key)!, true) }))
      .filter((t) => t.count > 0)
      .sort((a, b) => b.count - a.count || a.index - b.index)
      .map((t) => t.term);
  }
  let order = identityOrder(n);
  for (const term of applied) {
    const key = keys.get(term.key)!;
    // Scattering reorders but never changes the waiting set, so a term that
    // cannot split it (≤ 1 pod on either side) is known before walking the list.
    const matching = countTerm(term, key, waitingCounts.get(term.key)!, false);
    if (matching <= 1 || n - matching <= 1) continue;
    const total = countTerm(term, key, allCounts.get(term.key)!, false);
    order = scatterIndexes(order, waitingCodes.get(term.key)!, key.ids.get(term.value) ?? -2, term.value === "", allCount, total);
  }
  return order;
}
