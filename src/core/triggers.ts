// Which SidecarSets must reconcile after a pod or SidecarSet event (SPEC §6.1).
// Pure: the controller feeds it cached objects and queues what it returns.
import type { Pod } from "../api/kube-types.js";
import type { SidecarSet } from "../api/types.js";
import { isConsistent, isPodReadyCondition } from "./rollout/consistency.js";
import { hasAllSidecarContainers, isInjectedBy, podSelectorOf, type NamespaceLabels } from "./rollout/matching.js";

/** A consistency flip is acted on after this delay, giving the kubelet time to settle. */
export const CONSISTENCY_FLIP_DELAY_MS = 5_000;

export interface Trigger {
  sidecarSet: string;
  delayMs: number;
}

/** SidecarSets named in the pod's injected-list that exist and whose containers the pod all has ("R"). */
export function injectingSidecarSets(pod: Pod, sets: readonly SidecarSet[]): SidecarSet[] {
  return sets.filter((s) => isInjectedBy(pod, s.metadata.name ?? "") && hasAllSidecarContainers(pod, s));
}

/** SidecarSets whose namespace scope and selector select the pod. */
export function selectingSidecarSets(pod: Pod, sets: readonly SidecarSet[], namespaceLabels: NamespaceLabels): SidecarSet[] {
  return sets.filter((s) => podSelectorOf(s, namespaceLabels)(pod));
}

function unique(triggers: Trigger[]): Trigger[] {
  const best = new Map<string, number>();
  for (const t of triggers) {
    const prev = best.get(t.sidecarSet);
    if (prev === undefined || t.delayMs < prev) best.set(t.sidecarSet, t.delayMs);
  }
  return [...best].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([sidecarSet, delayMs]) => ({ sidecarSet, delayMs }));
}

/** Pod added or deleted: R plus every SidecarSet selecting it, now. */
export function podAddedOrDeletedTriggers(pod: Pod, sets: readonly SidecarSet[], namespaceLabels: NamespaceLabels): Trigger[] {
  const names = [...injectingSidecarSets(pod, sets), ...selectingSidecarSets(pod, sets, namespaceLabels)];
  return unique(names.map((s) => ({ sidecarSet: s.metadata.name ?? "", delayMs: 0 })));
}

function labelsEqual(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  const kb = Object.keys(b ?? {});
  if (ka.length !== kb.length) return false;
  for (const k of ka) if ((a ?? {})[k] !== (b ?? {})[k]) return false;
  return true;
}

/** Pod updated: for each S in R that may upgrade, now / after 5 s / not at all, by what changed. */
export function podUpdatedTriggers(oldPod: Pod, newPod: Pod, sets: readonly SidecarSet[]): Trigger[] {
  if (oldPod.metadata?.resourceVersion === newPod.metadata?.resourceVersion) return [];
  const out: Trigger[] = [];
  const oldTerminating = Boolean(oldPod.metadata?.deletionTimestamp);
  const startedTerminating = !oldTerminating && Boolean(newPod.metadata?.deletionTimestamp);
  const readyFlipped = !oldTerminating && isPodReadyCondition(oldPod) !== isPodReadyCondition(newPod);
  const labelsChanged = !labelsEqual(oldPod.metadata?.labels, newPod.metadata?.labels);
  for (const set of injectingSidecarSets(newPod, sets)) {
    if (set.spec.updateStrategy?.type === "NotUpdate") continue;
    const name = set.metadata.name ?? "";
    if (startedTerminating || readyFlipped) {
      out.push({ sidecarSet: name, delayMs: 0 });
    } else if (isConsistent(oldPod, set) !== isConsistent(newPod, set)) {
      out.push({ sidecarSet: name, delayMs: CONSISTENCY_FLIP_DELAY_MS });
    } else if (labelsChanged && set.spec.updateStrategy?.selector) {
      out.push({ sidecarSet: name, delayMs: 0 });
    }
  }
  return unique(out);
}

/** SidecarSet updated: reconcile when its generation, labels or annotations changed. */
export function sidecarSetUpdateNeedsReconcile(oldSet: SidecarSet, newSet: SidecarSet): boolean {
  return (
    oldSet.metadata.generation !== newSet.metadata.generation ||
    !labelsEqual(oldSet.metadata.labels, newSet.metadata.labels) ||
    !labelsEqual(oldSet.metadata.annotations, newSet.metadata.annotations)
  );
}
