// The upgrade order of waiting pods (SPEC §6.7 steps 1–3): a total default
// order, priorityStrategy as a stable sort on top, then scatter. Keys are
// computed once per pod and the list is sorted once.
import type { Pod } from "../../api/kube-types.js";
import type { SidecarSetUpdateStrategy } from "../../api/types.js";
import { isPodReadyCondition } from "./consistency.js";
import { compareDigitsDescending, priorityScorerOf } from "./priority.js";
import { expandScatterTerms, scatter } from "./scatter.js";

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
  const n = waiting.length;
  // Sort fields in flat arrays, one slot per waiting pod: the sort reads
  // them a million times for 100k pods and allocates nothing per pod.
  const scheduled = new Uint8Array(n);
  const phase = new Uint8Array(n);
  const ready = new Uint8Array(n);
  const readySince = new Float64Array(n);
  const restarts = new Float64Array(n);
  const created = new Float64Array(n);
  const rank = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = defaultOrderKey(waiting[i]!.pod, waiting[i]!.rank);
    scheduled[i] = k.scheduled;
    phase[i] = k.phase;
    ready[i] = k.ready;
    readySince[i] = k.readySince;
    restarts[i] = k.restarts;
    created[i] = k.created;
    rank[i] = k.rank;
  }
  const scorer = priorityScorerOf(strategy?.priorityStrategy);
  let primary: Float64Array | undefined;
  let trailing: string[] | undefined;
  if (scorer) {
    primary = new Float64Array(n);
    trailing = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const key = scorer(waiting[i]!.pod.metadata?.labels);
      primary[i] = key.primary;
      trailing[i] = key.trailing;
    }
  }
  const indexes: number[] = new Array(n);
  for (let i = 0; i < n; i++) indexes[i] = i;
  // Priority first, then the default order: because the default order is
  // total, this one sort equals a stable priority sort over the default order.
  indexes.sort(
    (a, b) =>
      (primary ? primary[a]! - primary[b]! || compareDigitsDescending(trailing![a]!, trailing![b]!) : 0) ||
      scheduled[a]! - scheduled[b]! ||
      phase[a]! - phase[b]! ||
      ready[a]! - ready[b]! ||
      cmp(readySince[a]!, readySince[b]!) ||
      restarts[a]! - restarts[b]! ||
      cmp(created[a]!, created[b]!) ||
      rank[a]! - rank[b]!,
  );
  const ordered = indexes.map((i) => waiting[i]!);
  const terms = strategy?.scatterStrategy;
  if (!terms || terms.length === 0) return ordered;
  const labelsOf = (p: Pod): Record<string, string> | undefined => p.metadata?.labels;
  const expanded = expandScatterTerms(terms, matched, labelsOf);
  return scatter(expanded, ordered, matched, (item) => labelsOf(item.pod), labelsOf);
}
