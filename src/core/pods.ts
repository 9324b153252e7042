// What a pod's own state says, read alike by injection and the rollout.
import type { Pod } from "../api/kube-types.js";

/** Phase not Succeeded/Failed and no deletionTimestamp: only such pods get sidecars or are selected (docs/behaviour.md §0). */
export function isActivePod(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== "Succeeded" && phase !== "Failed" && !pod.metadata?.deletionTimestamp;
}
