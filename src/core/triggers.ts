// Which SidecarSets must reconcile after a pod, Namespace or SidecarSet event.
// Pure: the controller feeds it cached objects and queues what it returns.
import type { Pod } from "../api/kube-types.js";
import { podInjectedList } from "../api/pod-records.js";
import { readProgressPolicy } from "../api/progress-policy.js";
import type { SidecarSet } from "../api/types.js";
import { isConsistent, isPodReadyCondition } from "./rollout/consistency.js";
import { canaryBaseOf } from "./inject/canary.js";
import { hasAllSidecarContainers, hasHotUpgradeContainer, namespaceSelectorOf, podSelectorOf, sidecarPodContainerNames, type NamespaceLabels } from "./rollout/matching.js";
import { isPodUpdated, isSettled } from "./rollout/status.js";
import { sidecarHealthChanged } from "./rollout/progress-deadline.js";

/** A consistency flip is acted on after this delay, giving the kubelet time to settle. */
export const CONSISTENCY_FLIP_DELAY_MS = 5_000;

/**
 * A pod event that can change only S's counts is reconciled after this delay:
 * S's status is written at most once a second anyway, so a burst of pod
 * creations or readiness changes costs one reconcile per second, not one per event.
 */
export const COUNTS_ONLY_DELAY_MS = 1_000;

/**
 * The same, when S's last status is settled as well (every matched pod updated
 * and ready): the next status can then differ by counts alone, which are
 * written at most this often (COUNTS_WRITE_INTERVAL_MS in
 * controller/status-writes.ts), so reconciling sooner would only be deferred.
 * Not when the status is not settled: the counts that settle a rollout are
 * written within a second.
 */
export const SETTLED_COUNTS_DELAY_MS = 3_000;

/** How long an event that can change only S's counts waits before S's reconcile. */
function countsDelay(set: SidecarSet): number {
  return set.status && isSettled(set.status) ? SETTLED_COUNTS_DELAY_MS : COUNTS_ONLY_DELAY_MS;
}

/**
 * Whether a pod event can change nothing of S but its status counts: S's last
 * status, for its current generation, has every matched pod updated (no
 * rollout under way whose budget the pod could free), S has no hot-upgrade
 * sidecar (whose flips follow readiness), and the pod itself runs S's
 * current revision.
 */
function countsOnly(set: SidecarSet, pod: Pod): boolean {
  const status = set.status;
  const generation = set.metadata.generation;
  if (!status || generation === undefined || status.observedGeneration !== generation) return false;
  if (status.updatedPods < status.matchedPods || hasHotUpgradeContainer(set)) return false;
  return isPodUpdated(set, pod);
}

function eventDelay(set: SidecarSet, pod: Pod): number {
  return countsOnly(set, pod) ? countsDelay(set) : 0;
}

/**
 * A pod on S's current revision went from Ready to not ready: during a
 * rollout that frees no maxUnavailable place and makes no pod upgradable (an
 * updated pod is never upgraded again), so only S's counts change. Each pod an
 * in-place upgrade restarts goes through this once. Not for a SidecarSet with
 * a hot-upgrade sidecar, whose flips follow readiness.
 */
function becameUnreadyOnCurrentRevision(set: SidecarSet, oldPod: Pod, newPod: Pod): boolean {
  return isPodReadyCondition(oldPod) && !isPodReadyCondition(newPod) && !hasHotUpgradeContainer(set) && isPodUpdated(set, newPod);
}

export interface Trigger {
  sidecarSet: string;
  delayMs: number;
}

/**
 * The SidecarSets a pod event is checked against. A cluster may hold
 * thousands: a pod event looks up the ones it names, and tries only those
 * whose selector may select it.
 */
export interface SidecarSetLookup {
  byName(name: string): SidecarSet | undefined;
  /** Those that may select the pod: every one that does, and maybe others. */
  selectionCandidates(pod: Pod): readonly SidecarSet[];
}

/** A lookup over a list, trying every SidecarSet for every pod. */
export function lookupOf(sets: readonly SidecarSet[]): SidecarSetLookup {
  const named = new Map(sets.map((s) => [s.metadata.name ?? "", s]));
  return { byName: (name) => named.get(name), selectionCandidates: () => sets };
}

/** SidecarSets named in the pod's injected-list that exist and whose containers the pod all has ("R"). */
export function injectingSidecarSets(pod: Pod, sets: SidecarSetLookup): SidecarSet[] {
  const out: SidecarSet[] = [];
  for (const name of new Set(podInjectedList(pod))) {
    const set = sets.byName(name);
    if (set && hasAllSidecarContainers(pod, set)) out.push(set);
  }
  return out;
}

/** SidecarSets whose namespace scope and selector select the pod. */
export function selectingSidecarSets(pod: Pod, sets: SidecarSetLookup, namespaceLabels: NamespaceLabels): SidecarSet[] {
  return sets.selectionCandidates(pod).filter((s) => podSelectorOf(s, namespaceLabels)(pod));
}

function unique(triggers: Trigger[]): Trigger[] {
  const best = new Map<string, number>();
  for (const t of triggers) {
    const prev = best.get(t.sidecarSet);
    if (prev === undefined || t.delayMs < prev) best.set(t.sidecarSet, t.delayMs);
  }
  return [...best].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([sidecarSet, delayMs]) => ({ sidecarSet, delayMs }));
}

/** Pod added or deleted: R plus every SidecarSet selecting it, now, or later when only counts can change (countsDelay). */
export function podAddedOrDeletedTriggers(pod: Pod, sets: SidecarSetLookup, namespaceLabels: NamespaceLabels): Trigger[] {
  const names = [...injectingSidecarSets(pod, sets), ...selectingSidecarSets(pod, sets, namespaceLabels)];
  return unique(names.map((s) => ({ sidecarSet: s.metadata.name ?? "", delayMs: eventDelay(s, pod) })));
}

function labelsEqual(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  const kb = Object.keys(b ?? {});
  if (ka.length !== kb.length) return false;
  for (const k of ka) if ((a ?? {})[k] !== (b ?? {})[k]) return false;
  return true;
}

/**
 * Pod updated: every SidecarSet that counts the pod, before or after, whatever
 * its update type (status is kept for all of them, canaries included): now
 * when it started terminating, `Ready` flipped, its labels or the SidecarSets
 * that injected it changed, or (for a SidecarSet with a progress deadline,
 * docs/behaviour.md §7a.5) one of its sidecars restarted or changed its
 * waiting reason; after a settle delay when only consistency
 * flipped; not at all otherwise. A termination or Ready flip that can change
 * only the counts waits a second, or three when the status is settled
 * (countsOnly, becameUnreadyOnCurrentRevision, countsDelay).
 */
export function podUpdatedTriggers(oldPod: Pod, newPod: Pod, sets: SidecarSetLookup, namespaceLabels: NamespaceLabels): Trigger[] {
  if (oldPod.metadata?.resourceVersion === newPod.metadata?.resourceVersion) return [];
  const oldTerminating = Boolean(oldPod.metadata?.deletionTimestamp);
  const startedTerminating = !oldTerminating && Boolean(newPod.metadata?.deletionTimestamp);
  const readyFlipped = !oldTerminating && isPodReadyCondition(oldPod) !== isPodReadyCondition(newPod);
  const labelsChanged = !labelsEqual(oldPod.metadata?.labels, newPod.metadata?.labels);
  const before = injectingSidecarSets(oldPod, sets);
  const after = injectingSidecarSets(newPod, sets);
  const injectionChanged = before.length !== after.length || before.some((s, i) => s !== after[i]);
  const scopeChanged = labelsChanged || injectionChanged;
  const now = startedTerminating || readyFlipped || scopeChanged;
  const affected = new Set<SidecarSet>([...before, ...after]);
  // Selection follows labels and activity; a pod that left (or joined) a
  // selector changes the counts of SidecarSets that never injected it.
  if (labelsChanged || startedTerminating) {
    for (const s of selectingSidecarSets(oldPod, sets, namespaceLabels)) affected.add(s);
    for (const s of selectingSidecarSets(newPod, sets, namespaceLabels)) affected.add(s);
  }
  const out: Trigger[] = [];
  for (const set of affected) {
    const name = set.metadata.name ?? "";
    if (sidecarFailureMayHaveChanged(oldPod, newPod, set)) out.push({ sidecarSet: name, delayMs: 0 });
    else if (now) {
      const countsAlone = !startedTerminating && becameUnreadyOnCurrentRevision(set, oldPod, newPod);
      out.push({ sidecarSet: name, delayMs: scopeChanged ? 0 : countsAlone ? countsDelay(set) : eventDelay(set, newPod) });
    } else if (isConsistent(oldPod, set) !== isConsistent(newPod, set)) out.push({ sidecarSet: name, delayMs: CONSISTENCY_FLIP_DELAY_MS });
  }
  return unique(out);
}

function sidecarFailureMayHaveChanged(oldPod: Pod, newPod: Pod, set: SidecarSet): boolean {
  return readProgressPolicy(set.metadata.annotations).policy !== undefined && sidecarHealthChanged(oldPod, newPod, sidecarPodContainerNames(set));
}

/**
 * A Namespace added, relabelled or deleted: the SidecarSets whose
 * `namespaceSelector` verdict on it differs between before and after.
 */
export function namespaceTriggers(
  oldLabels: Readonly<Record<string, string>> | undefined,
  newLabels: Readonly<Record<string, string>> | undefined,
  sets: readonly SidecarSet[],
): Trigger[] {
  const out: Trigger[] = [];
  for (const set of sets) {
    const selects = namespaceSelectorOf(set);
    if (selects && selects(oldLabels) !== selects(newLabels)) out.push({ sidecarSet: set.metadata.name ?? "", delayMs: 0 });
  }
  return unique(out);
}

/**
 * A SidecarSet added, changed or deleted: the bases it is (or was) a canary
 * of, whose `notInjectedPods` leave out pods carrying their canaries.
 */
export function canaryBaseTriggers(oldSet: SidecarSet | undefined, newSet: SidecarSet | undefined): Trigger[] {
  const bases = [canaryBaseOf(oldSet), canaryBaseOf(newSet)].filter((b): b is string => b !== undefined);
  return unique(bases.map((b) => ({ sidecarSet: b, delayMs: 0 })));
}

/**
 * SidecarSet updated: reconcile when its generation, labels or annotations
 * changed, and on a resync (same resourceVersion), which is what reconciles
 * every SidecarSet periodically from the cache. Our own status writes alone
 * trigger nothing.
 */
export function sidecarSetUpdateNeedsReconcile(oldSet: SidecarSet, newSet: SidecarSet): boolean {
  return (
    oldSet.metadata.resourceVersion === newSet.metadata.resourceVersion ||
    oldSet.metadata.generation !== newSet.metadata.generation ||
    !labelsEqual(oldSet.metadata.labels, newSet.metadata.labels) ||
    !labelsEqual(oldSet.metadata.annotations, newSet.metadata.annotations)
  );
}
