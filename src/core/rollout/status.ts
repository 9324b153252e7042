// SidecarSet status counts (SPEC §6.4) and the "updated" test they rest on.
import type { Pod } from "../../api/kube-types.js";
import { SIDECARSET_HASH_ANNOTATION, SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION } from "../../api/keys.js";
import { podHashRecords, podHashWithoutImageRecords } from "../../api/pod-records.js";
import type { SidecarSet } from "../../api/types.js";
import { isReadyForSidecarSet, PodConsistency } from "./consistency.js";

export interface RolloutStatus {
  matchedPods: number;
  updatedPods: number;
  readyPods: number;
  updatedReadyPods: number;
  notInjectedPods: number;
}

/** S's current hash (`kruise.io/sidecarset-hash` on the SidecarSet). */
export function setHash(set: SidecarSet): string {
  return set.metadata.annotations?.[SIDECARSET_HASH_ANNOTATION] ?? "";
}

export function setHashWithoutImage(set: SidecarSet): string {
  return set.metadata.annotations?.[SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION] ?? "";
}

/** The hash of S the pod records (empty when it has no entry or the annotation is unreadable). */
export function recordedHash(pod: Pod, setName: string): string {
  return podHashRecords(pod)[setName]?.hash ?? "";
}

export function recordedHashWithoutImage(pod: Pod, setName: string): string {
  return podHashWithoutImageRecords(pod)[setName]?.hash ?? "";
}

/** Updated: the pod records S's current hash. */
export function isPodUpdated(set: SidecarSet, pod: Pod): boolean {
  return recordedHash(pod, set.metadata.name ?? "") === setHash(set);
}

/** The per-pod facts the counts need; the planner computes them once per pod. */
export interface PodRolloutFacts {
  updated: boolean;
  consistent: boolean;
  ready: boolean;
}

export function podRolloutFacts(set: SidecarSet, pod: Pod): PodRolloutFacts {
  return {
    updated: isPodUpdated(set, pod),
    consistent: new PodConsistency(pod, set).check(),
    ready: isReadyForSidecarSet(pod, set),
  };
}

/** Counts from per-pod facts: ready = consistent ∧ ready; updatedReady = updated ∧ that. */
export function countStatus(facts: Iterable<PodRolloutFacts>, notInjectedPods: number): RolloutStatus {
  const status: RolloutStatus = { matchedPods: 0, updatedPods: 0, readyPods: 0, updatedReadyPods: 0, notInjectedPods };
  for (const f of facts) {
    status.matchedPods++;
    if (f.updated) status.updatedPods++;
    if (f.consistent && f.ready) {
      status.readyPods++;
      if (f.updated) status.updatedReadyPods++;
    }
  }
  return status;
}

/** Status of S over its matched pods. */
export function computeStatus(set: SidecarSet, matched: readonly Pod[], notInjectedPods = 0): RolloutStatus {
  return countStatus(
    matched.map((p) => podRolloutFacts(set, p)),
    notInjectedPods,
  );
}

/** Matched pods that are updated but not yet serving it: they use the maxUnavailable budget. */
export function isUpdatedButUnavailable(f: PodRolloutFacts): boolean {
  return f.updated && (!f.consistent || !f.ready);
}
