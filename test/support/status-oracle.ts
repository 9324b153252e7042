// SidecarSet status counts (docs/behaviour.md §6.4) counted pod by pod from the
// per-pod rules, each read the long way: the records parsed in full, every
// sidecar container checked. The planner reads the same facts once per pod
// through shortcuts and tallies them in one pass; its status must equal this.
import type { Pod } from "../../src/api/kube-types.js";
import { readUpgradeRecords } from "../../src/api/pod-records.js";
import { SIDECARSET_HASH_ANNOTATION } from "../../src/api/keys.js";
import type { SidecarSet } from "../../src/api/types.js";
import { isReadyForSidecarSet, PodConsistency } from "../../src/core/rollout/consistency.js";
import { carriesSidecarSet, podSelectorOf, sidecarPodContainerNames } from "../../src/core/rollout/matching.js";
import type { RolloutStatus } from "../../src/core/rollout/status.js";

/** The pod records S's current hash (a SidecarSet without one has the empty hash). */
export function isUpdated(set: SidecarSet, pod: Pod): boolean {
  const records = readUpgradeRecords(pod.metadata?.annotations?.[SIDECARSET_HASH_ANNOTATION]);
  const name = set.metadata.name ?? "";
  const recorded = Object.hasOwn(records, name) ? records[name]!.hash : "";
  return recorded === (set.metadata.annotations?.[SIDECARSET_HASH_ANNOTATION] ?? "");
}

/** Consistent over every sidecar pod-container name of S, each checked. */
export function isConsistent(set: SidecarSet, pod: Pod): boolean {
  return new PodConsistency(pod, set).check(sidecarPodContainerNames(set));
}

/** The status of S over the listed pods (no canary SidecarSets). */
export function rolloutStatus(set: SidecarSet, pods: readonly Pod[]): RolloutStatus {
  const selected = pods.filter(podSelectorOf(set));
  const matched = selected.filter((p) => carriesSidecarSet(p, set));
  const status: RolloutStatus = { matchedPods: 0, updatedPods: 0, readyPods: 0, updatedReadyPods: 0, notInjectedPods: selected.length - matched.length };
  for (const pod of matched) {
    const updated = isUpdated(set, pod);
    const serving = isConsistent(set, pod) && isReadyForSidecarSet(pod, set);
    status.matchedPods++;
    if (updated) status.updatedPods++;
    if (serving) status.readyPods++;
    if (updated && serving) status.updatedReadyPods++;
  }
  return status;
}
