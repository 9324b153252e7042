// The upgrade order of waiting pods (docs/behaviour.md §6.7 steps 1–3): a total default
// order, priorityStrategy as a stable sort on top, then scatter. Keys are
// computed once per pod into flat arrays, bucketed by group, then sorted.
import type { Pod } from "../../api/kube-types.js";
import type { SidecarSetUpdateStrategy } from "../../api/types.js";
import { timeOf } from "../../api/rfc3339.js";
import type { Labels } from "../selector.js";
import { comparePriority, priorityScorerOf, weightPriorityKey, weightSumOf, type PriorityKey } from "./priority.js";
import { scatterOrderOfStrategy, type ScatterCodes } from "./scatter.js";

function phaseRank(phase: string | undefined): number {
  return phase === "Running" ? 2 : phase === "Unknown" ? 1 : 0;
}

/** Later first, zero first: as a key that sorts ascending. */
function laterFirst(ms: number): number {
  return ms === 0 ? -Infinity : -ms;
}

/** The pod's `Ready` condition (the first one, as the kubelet writes one). */
function readyCondition(pod: Pod): { status?: string; lastTransitionTime?: string } | undefined {
  for (const c of pod.status?.conditions ?? []) if (c.type === "Ready") return c;
  return undefined;
}

function maxRestartCount(pod: Pod): number {
  let restarts = 0;
  for (const s of pod.status?.containerStatuses ?? []) if ((s.restartCount ?? 0) > restarts) restarts = s.restartCount ?? 0;
  return restarts;
}

function cmp(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Default-order keys of the waiting pods as flat arrays, slot i for
 * `waiting[i]`: the sort reads them over a million times for 100k pods.
 * `group` folds the leading fields (scheduled, phase, ready) into 0..11.
 * Slots past the number of waiting pods are ignored.
 */
export interface OrderKeys {
  group: Float64Array;
  readySince: Float64Array;
  restarts: Float64Array;
  created: Float64Array;
}

/** Room for `n` pods' keys. */
export function emptyOrderKeys(n: number): OrderKeys {
  return { group: new Float64Array(n), readySince: new Float64Array(n), restarts: new Float64Array(n), created: new Float64Array(n) };
}

/** Writes the default-order key fields of `pod` into slot i. */
export function writeOrderKey(keys: OrderKeys, i: number, pod: Pod): void {
  const condition = readyCondition(pod);
  const ready = condition?.status === "True";
  keys.group[i] = (pod.spec?.nodeName ? 6 : 0) + phaseRank(pod.status?.phase) * 2 + (ready ? 1 : 0);
  keys.readySince[i] = ready ? laterFirst(timeOf(condition.lastTransitionTime)) : 0;
  keys.restarts[i] = -maxRestartCount(pod);
  keys.created[i] = laterFirst(timeOf(pod.metadata?.creationTimestamp));
}

/** The keys of the waiting pods (slot i for `waiting[i]`) out of keys written by rank. */
export function orderKeysOfWaiting(byRank: OrderKeys, waiting: Int32Array): OrderKeys {
  const keys = emptyOrderKeys(waiting.length);
  for (let i = 0; i < waiting.length; i++) {
    const rank = waiting[i]!;
    keys.group[i] = byRank.group[rank]!;
    keys.readySince[i] = byRank.readySince[rank]!;
    keys.restarts[i] = byRank.restarts[rank]!;
    keys.created[i] = byRank.created[rank]!;
  }
  return keys;
}

function orderKeysOf(waiting: Int32Array, matched: readonly Pod[]): OrderKeys {
  const keys = emptyOrderKeys(waiting.length);
  for (let i = 0; i < waiting.length; i++) writeOrderKey(keys, i, matched[waiting[i]!]!);
  return keys;
}

/**
 * Indexes 0..n-1 sorted by (group, readySince, restarts, created, waiting
 * rank). A counting sort by group comes first: groups are few, and within one
 * the remaining keys often already run in (reverse) order, which the
 * comparison sort then only confirms instead of merging interleaved groups.
 */
function sortedIndexes(keys: OrderKeys, waiting: Int32Array): Int32Array {
  const n = waiting.length;
  const { group, readySince, restarts, created } = keys;
  const groups = groupCount(group, n);
  const start = new Int32Array(groups + 1);
  countGroups(start, group, n);
  prefixSums(start);
  const out = new Int32Array(n);
  placeByGroup(out, start.slice(0, groups), group);
  const compare = (a: number, b: number): number =>
    cmp(readySince[a]!, readySince[b]!) || restarts[a]! - restarts[b]! || cmp(created[a]!, created[b]!) || waiting[a]! - waiting[b]!;
  for (let g = 0; g < groups; g++) {
    const from = start[g]!;
    const to = start[g + 1]!;
    if (to - from < 2) continue;
    // A plain array: its sort takes advantage of existing runs.
    const bucket: number[] = Array.from(out.subarray(from, to));
    bucket.sort(compare);
    out.set(bucket, from);
  }
  return out;
}

function groupCount(group: Float64Array, n: number): number {
  let groups = 0;
  for (let i = 0; i < n; i++) if (group[i]! >= groups) groups = group[i]! + 1;
  return groups;
}

/** start[g + 1] = how many of the first `n` pods are in group g. */
function countGroups(start: Int32Array, group: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) start[group[i]! + 1]!++;
}

function prefixSums(start: Int32Array): void {
  for (let g = 1; g < start.length; g++) start[g]! += start[g - 1]!;
}

/** Writes 0..out.length-1 into `out` group by group, `next[g]` being where group g's next one goes. */
function placeByGroup(out: Int32Array, next: Int32Array, group: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[next[group[i]!]!++] = i;
}

/**
 * Orders waiting pods for upgrade. `matched` is every matched pod in
 * (namespace, name) order (scatter counts and expands terms over it);
 * `waiting` holds the positions in `matched` of the waiting pods; the result
 * holds them in upgrade order. Numbers in flat arrays, nothing allocated per
 * pod that outlives the call.
 * `known` holds what a caller already computed while reading each pod (the
 * planner does, to read each pod once): every matched pod's labels by rank,
 * the waiting pods' default-order keys (slot i for `waiting[i]`), and the
 * scatter codes of every matched pod by rank, and with a weight priority
 * every matched pod's summed weight by rank.
 */
export function upgradeOrderOfRanks(
  strategy: SidecarSetUpdateStrategy | undefined,
  waiting: Int32Array,
  matched: readonly Pod[],
  known: { labels?: readonly Labels[]; keys?: OrderKeys; scatterCodes?: ScatterCodes; weights?: Float64Array } = {},
): Int32Array {
  const n = waiting.length;
  const { labels } = known;
  const keys = known.keys ?? orderKeysOf(waiting, matched);
  // Priority first, then the default order: because the default order is
  // total (rank last), this one sort equals a stable priority sort over it.
  const labelsOf = labels ? (rank: number): Labels => labels[rank] : (rank: number): Labels => matched[rank]!.metadata?.labels;
  prefixPriorities(keys.group, groupsOf(strategy, waiting, labelsOf, known.weights), n);
  const sorted = picked(waiting, sortedIndexes(keys, waiting));
  const terms = strategy?.scatterStrategy;
  if (!terms || terms.length === 0 || n <= 1) return sorted;
  // Waiting pods are matched pods: their labels are found by rank.
  return picked(sorted, scatterOrderOfStrategy(terms, sorted, known.scatterCodes ?? labels ?? matched.map((p) => p.metadata?.labels)));
}

// The loops of the upgrade order (here and in sortedIndexes above) are
// functions of their own that end with their loop: see readListing in
// matching.ts for why.

/** Puts each of the first `n` pods' priority group before its default-order group. */
function prefixPriorities(group: Float64Array, priority: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) group[i] = priority[i]! * 12 + group[i]!;
}

/** `from` at each of `at`. */
function picked(from: Int32Array, at: ArrayLike<number>): Int32Array {
  const out = new Int32Array(at.length);
  for (let i = 0; i < at.length; i++) out[i] = from[at[i]!]!;
  return out;
}

/**
 * Each waiting pod's priority as a dense rank (0 = first), so the sort
 * compares one number instead of a weight and a digit string.
 */
function groupsOf(
  strategy: SidecarSetUpdateStrategy | undefined,
  waiting: Int32Array,
  labelsOf: (rank: number) => Labels,
  weights: Float64Array | undefined,
): Float64Array {
  const weightOf = weightSumOf(strategy?.priorityStrategy);
  if (weightOf) return weightGroupsOf(weights ? (rank) => weights[rank]! : (rank) => weightOf(labelsOf(rank)), waiting);
  const n = waiting.length;
  const group = new Float64Array(n);
  const scorer = priorityScorerOf(strategy?.priorityStrategy);
  if (!scorer) return group;
  // Few distinct priorities: one shared key object per (primary, trailing).
  const keys: PriorityKey[] = new Array(n);
  const distinct = new Map<number, Map<string, PriorityKey>>();
  for (let i = 0; i < n; i++) {
    const key = scorer(labelsOf(waiting[i]!));
    let byTrailing = distinct.get(key.primary);
    if (!byTrailing) distinct.set(key.primary, (byTrailing = new Map()));
    let shared = byTrailing.get(key.trailing);
    if (!shared) byTrailing.set(key.trailing, (shared = key));
    keys[i] = shared;
  }
  const ranks = new Map<PriorityKey, number>();
  [...distinct.values()]
    .flatMap((m) => [...m.values()])
    .sort(comparePriority)
    .forEach((k, r) => ranks.set(k, r));
  for (let i = 0; i < n; i++) group[i] = ranks.get(keys[i]!)!;
  return group;
}

/** Weight priority's groups: sums as numbers, ranked by the same key comparison as the scorer's. */
function weightGroupsOf(weightOfRank: (rank: number) => number, waiting: Int32Array): Float64Array {
  const n = waiting.length;
  const sums = new Float64Array(n);
  const distinct = new Map<number, PriorityKey>();
  // Pods share a few sums: the last one seen is checked before the map.
  let last = NaN;
  for (let i = 0; i < n; i++) {
    const sum = weightOfRank(waiting[i]!);
    sums[i] = sum;
    if (sum !== last && !distinct.has(sum)) distinct.set(sum, weightPriorityKey(sum));
    last = sum;
  }
  const rankOf = new Map<number, number>();
  [...distinct.entries()].sort((a, b) => comparePriority(a[1], b[1])).forEach(([sum], r) => rankOf.set(sum, r));
  if (rankOf.size === 1) return sums.fill(0);
  for (let i = 0; i < n; i++) sums[i] = rankOf.get(sums[i]!)!;
  return sums;
}
