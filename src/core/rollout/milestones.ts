// The moments of a rollout worth an event on the SidecarSet: it stopped at
// its partition, or every matched pod runs the current version and is ready.
// Pure: the reconciler announces each one once per SidecarSet version.
import type { Plan } from "./plan.js";

export type MilestoneKind = "partition-reached" | "completed";

export interface Milestone {
  kind: MilestoneKind;
  reason: "PartitionReached" | "RolloutCompleted";
  message: string;
}

/** The milestone the plan stands at, if any. */
export function rolloutMilestone(plan: Plan, latestRevision: string): Milestone | undefined {
  const { matchedPods, updatedPods, updatedReadyPods } = plan.status;
  if (matchedPods === 0) return undefined;
  if (plan.stopped === "all-updated" && updatedReadyPods === matchedPods) {
    return {
      kind: "completed",
      reason: "RolloutCompleted",
      message: `rollout complete: all ${matchedPods} matched pod(s) run revision ${latestRevision} and are ready`,
    };
  }
  // Held, and nothing still in flight: what the partition keeps is what stays.
  if (plan.stopped === null && plan.limitedBy === "partition" && plan.upgrade.length === 0 && plan.unavailable === 0) {
    return {
      kind: "partition-reached",
      reason: "PartitionReached",
      message: `upgraded ${updatedPods}/${matchedPods}, partition keeps ${matchedPods - updatedPods} on the previous version`,
    };
  }
  return undefined;
}
