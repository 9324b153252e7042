// The upgrade order of waiting pods (SPEC §6.7 steps 1–3): a total default
// order, priorityStrategy as a stable sort on top, then scatter. Keys are
// computed once per pod and the list is sorted once.
import type { Pod } from "../../api/kube-types.js";
import type { SidecarSetUpdateStrategy } from "../../api/types.js";
import { isPodReadyCondition } from "./consistency.js";
import { comparePriority, priorityScorerOf, type PriorityKey } from "./priority.js";
import { scatterOrderOfStrategy } from "./scatter.js";

/** Sort fields of the default order; every field sorts ascending. */
export interface DefaultOrderKey {
  /** 0 = no nodeName yet. */
  scheduled: number;
  /** Pending (or other) 0 < Unknown 1 < Running 2. */
  phase: number;
  /** `Ready` condition: 0 = not True. */
  ready: number;
  /** Both ready: later Ready transition first, unknown time first (−∞). */
  readySince: number;
  /** Negated max restartCount: more restarts first. */
  restarts: number;
  /** Negated creation time: newer first, unknown first (−∞). */
  created: number;
  /** Position in (namespace, name) order: the final tie-breaker. */
  rank: number;
}

export function phaseRank(phase: string | undefined): number {
  return phase === "Running" ? 2 : phase === "Unknown" ? 1 : 0;
}

function digits(s: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * Milliseconds of an RFC 3339 time; 0 for a missing or unreadable one (Go's
 * zero time). The API server's `YYYY-MM-DDTHH:MM:SSZ` is read by hand (it
 * is read twice per pod per plan, and Date.parse is slow); anything else
 * goes through Date.parse.
 */
export function timeOf(value: string | undefined): number {
  if (!value) return 0;
  if (value.length === 20 && value.charCodeAt(19) === 90 /* Z */ && value.charCodeAt(10) === 84 /* T */) {
    const y = digits(value, 0, 4);
    const mo = digits(value, 5, 2);
    const d = digits(value, 8, 2);
    const h = digits(value, 11, 2);
    const mi = digits(value, 14, 2);
    const sec = digits(value, 17, 2);
    if (y >= 0 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && sec >= 0 && sec <= 59) {
      return Date.UTC(y, mo - 1, d, h, mi, sec);
    }
  }
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? 0 : ms;
}

/** Later first, zero first: as a key that sorts ascending. */
function laterFirst(ms: number): number {
  return ms === 0 ? -Infinity : -ms;
}

export function defaultOrderKey(pod: Pod, rank: number): DefaultOrderKey {
  const ready = isPodReadyCondition(pod);
  let readySince = 0;
  if (ready) {
    const condition = (pod.status?.conditions ?? []).find((c) => c.type === "Ready");
    readySince = laterFirst(timeOf(condition?.lastTransitionTime));
  }
  let restarts = 0;
  for (const s of pod.status?.containerStatuses ?? []) if ((s.restartCount ?? 0) > restarts) restarts = s.restartCount ?? 0;
  return {
    scheduled: pod.spec?.nodeName ? 1 : 0,
    phase: phaseRank(pod.status?.phase),
    ready: ready ? 1 : 0,
    readySince,
    restarts: -restarts,
    created: laterFirst(timeOf(pod.metadata?.creationTimestamp)),
    rank,
  };
}

/** Negative when `a` is upgraded before `b`; never 0 for different pods. */
export function compareDefaultOrder(a: DefaultOrderKey, b: DefaultOrderKey): number {
  return (
    a.scheduled - b.scheduled ||
    a.phase - b.phase ||
    a.ready - b.ready ||
    // Only both-ready pods differ here: not-ready pods carry 0.
    cmp(a.readySince, b.readySince) ||
    a.restarts - b.restarts ||
    cmp(a.created, b.created) ||
    a.rank - b.rank
  );
}

function cmp(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface OrderItem {
  pod: Pod;
  /** Position of the pod in the (namespace, name)-sorted matched list. */
  rank: number;
}

/**
 * Orders waiting pods for upgrade. `matched` is every matched pod in
 * (namespace, name) order; scatter counts and expands terms over it.
 */
export function upgradeOrder<T extends OrderItem>(
  strategy: SidecarSetUpdateStrategy | undefined,
  waiting: readonly T[],
  matched: readonly Pod[],
): T[] {
  const byRank = new Map<number, T>();
  const ranks = new Int32Array(waiting.length);
  waiting.forEach((w, i) => {
    ranks[i] = w.rank;
    byRank.set(w.rank, w);
  });
  return Array.from(upgradeOrderOfRanks(strategy, ranks, matched), (r) => byRank.get(r)!);
}

/**
 * The same over ranks: `waiting` holds the positions in `matched` of the
 * waiting pods; the result holds them in upgrade order. The planner's form:
 * numbers in flat arrays, nothing allocated per pod that outlives the call.
 */
export function upgradeOrderOfRanks(
  strategy: SidecarSetUpdateStrategy | undefined,
  waiting: Int32Array,
  matched: readonly Pod[],
): Int32Array {
  const n = waiting.length;
  // The sort reads these over a million times for 100k pods. The leading
  // fields (priority, scheduled, phase, ready) fold into one small "group"
  // number; the time fields break ties inside a group.
  const group = groupsOf(strategy, waiting, matched);
  const readySince = new Float64Array(n);
  const restarts = new Float64Array(n);
  const created = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = defaultOrderKey(matched[waiting[i]!]!, waiting[i]!);
    group[i] = group[i]! * 12 + k.scheduled * 6 + k.phase * 2 + k.ready;
    readySince[i] = k.readySince;
    restarts[i] = k.restarts;
    created[i] = k.created;
  }
  const indexes: number[] = new Array(n);
  for (let i = 0; i < n; i++) indexes[i] = i;
  // Priority first, then the default order: because the default order is
  // total (rank last), this one sort equals a stable priority sort over it.
  indexes.sort(
    (a, b) =>
      group[a]! - group[b]! ||
      cmp(readySince[a]!, readySince[b]!) ||
      restarts[a]! - restarts[b]! ||
      cmp(created[a]!, created[b]!) ||
      waiting[a]! - waiting[b]!,
  );
  const sorted = new Int32Array(n);
  for (let i = 0; i < n; i++) sorted[i] = waiting[indexes[i]!]!;
  const terms = strategy?.scatterStrategy;
  if (!terms || terms.length === 0 || n <= 1) return sorted;
  // Waiting pods are matched pods: their labels are found by rank.
  const order = scatterOrderOfStrategy(
    terms,
    sorted,
    matched.map((p) => p.metadata?.labels),
  );
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = sorted[order[i]!]!;
  return out;
}

/**
 * Each waiting pod's priority as a dense rank (0 = first), so the sort
 * compares one number instead of a weight and a digit string.
 */
function groupsOf(strategy: SidecarSetUpdateStrategy | undefined, waiting: Int32Array, matched: readonly Pod[]): Float64Array {
  const n = waiting.length;
  const group = new Float64Array(n);
  const scorer = priorityScorerOf(strategy?.priorityStrategy);
  if (!scorer) return group;
  // Few distinct priorities: one shared key object per (primary, trailing).
  const keys: PriorityKey[] = new Array(n);
  const distinct = new Map<number, Map<string, PriorityKey>>();
  for (let i = 0; i < n; i++) {
    const key = scorer(matched[waiting[i]!]!.metadata?.labels);
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
