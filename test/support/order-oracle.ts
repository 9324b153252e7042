// The upgrade order of waiting pods (docs/behaviour.md §6.7 steps 1–3) stated the
// plain way: a comparison of two pods read field by field, a stable sort by
// priority on top, then scatter. The planner computes the same order from
// keys in flat arrays, grouped and ranked; it must agree with this one.
import type { Pod } from "../../src/api/kube-types.js";
import type { SidecarSetUpdateStrategy } from "../../src/api/types.js";
import { comparePriority, priorityScorerOf } from "../../src/core/rollout/priority.js";
import { expandScatterTerms, scatter } from "./scatter-oracle.js";

/** Milliseconds of a time, or undefined when there is none (missing or unreadable). */
function timeOf(value: string | undefined): number | undefined {
  const ms = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

/** Later first; a pod without the time before any pod with one. */
function laterFirst(a: number | undefined, b: number | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a > b ? -1 : 1;
}

function phaseRank(pod: Pod): number {
  const phase = pod.status?.phase;
  return phase === "Running" ? 2 : phase === "Unknown" ? 1 : 0;
}

function readyCondition(pod: Pod): { status?: string; lastTransitionTime?: string } | undefined {
  return pod.status?.conditions?.find((c) => c.type === "Ready");
}

function isReady(pod: Pod): boolean {
  return readyCondition(pod)?.status === "True";
}

function maxRestarts(pod: Pod): number {
  return Math.max(0, ...(pod.status?.containerStatuses ?? []).map((s) => s.restartCount ?? 0));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Step 1, the default order: negative when `a` is upgraded before `b`; 0 only for the same pod. */
export function compareDefaultOrder(a: Pod, b: Pod): number {
  const scheduled = (p: Pod): number => (p.spec?.nodeName ? 1 : 0);
  if (scheduled(a) !== scheduled(b)) return scheduled(a) - scheduled(b);
  if (phaseRank(a) !== phaseRank(b)) return phaseRank(a) - phaseRank(b);
  if (isReady(a) !== isReady(b)) return isReady(a) ? 1 : -1;
  if (isReady(a)) {
    const c = laterFirst(timeOf(readyCondition(a)?.lastTransitionTime), timeOf(readyCondition(b)?.lastTransitionTime));
    if (c !== 0) return c;
  }
  if (maxRestarts(a) !== maxRestarts(b)) return maxRestarts(b) - maxRestarts(a);
  const created = laterFirst(timeOf(a.metadata?.creationTimestamp), timeOf(b.metadata?.creationTimestamp));
  if (created !== 0) return created;
  return compareText(a.metadata?.namespace ?? "", b.metadata?.namespace ?? "") || compareText(a.metadata?.name ?? "", b.metadata?.name ?? "");
}

/** (namespace, name) order: the order scatter terms expand in. */
export function byNamespaceAndName(pods: readonly Pod[]): Pod[] {
  return [...pods].sort((a, b) => compareText(a.metadata?.namespace ?? "", b.metadata?.namespace ?? "") || compareText(a.metadata?.name ?? "", b.metadata?.name ?? ""));
}

/** Steps 1–3 over the waiting pods; `matched` is every matched pod, in any order. */
export function upgradeOrder(strategy: SidecarSetUpdateStrategy | undefined, waiting: readonly Pod[], matched: readonly Pod[]): Pod[] {
  const ordered = [...waiting].sort(compareDefaultOrder);
  const scorer = priorityScorerOf(strategy?.priorityStrategy);
  // Array.prototype.sort is stable: pods of equal priority keep the default order.
  if (scorer) ordered.sort((a, b) => comparePriority(scorer(a.metadata?.labels), scorer(b.metadata?.labels)));
  const terms = strategy?.scatterStrategy ?? [];
  const all = byNamespaceAndName(matched).map((p) => p.metadata?.labels);
  return scatter(expandScatterTerms(terms, all), ordered, all, (p) => p.metadata?.labels);
}
