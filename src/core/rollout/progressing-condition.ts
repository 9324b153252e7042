// The SidecarSet's `Progressing` condition (docs/behaviour.md §7a.5), written
// only for a SidecarSet that asks for a progress deadline: False with reason
// ProgressDeadlineExceeded while the rollout is halted, else True with reason
// Upgrading or Complete. `sidecarset rollout status` and `explain` read it.
import type { SidecarSet, SidecarSetCondition } from "../../api/types.js";
import { rolloutMilestone } from "./milestones.js";
import type { Plan } from "./plan.js";
import { describeFailures } from "./progress-deadline.js";
import { withCondition, withoutCondition, type ConditionValue } from "./sidecarset-conditions.js";

export const PROGRESSING_CONDITION = "Progressing";
export const PROGRESS_DEADLINE_EXCEEDED_REASON = "ProgressDeadlineExceeded";
export const UPGRADING_REASON = "Upgrading";
export const COMPLETE_REASON = "Complete";

/** The halting condition when S's rollout is halted, else undefined: readers (explain, rollout status) take it as the answer. */
export function progressHalt(set: SidecarSet): SidecarSetCondition | undefined {
  return (set.status?.conditions ?? []).find(
    (c) => c.type === PROGRESSING_CONDITION && c.status === "False" && c.reason === PROGRESS_DEADLINE_EXCEEDED_REASON,
  );
}

/** What the condition says about this plan; undefined when S has no progress deadline. */
export function progressingValue(plan: Plan, latestRevision: string): ConditionValue | undefined {
  const progress = plan.progress;
  if (!progress) return undefined;
  const maxFailed = progress.maxFailed;
  const { matchedPods, updatedPods, updatedReadyPods } = plan.status;
  if (progress.halted) {
    return {
      type: PROGRESSING_CONDITION,
      status: "False",
      reason: PROGRESS_DEADLINE_EXCEEDED_REASON,
      message:
        `${progress.failed.length} upgraded pod(s) failed on revision ${latestRevision} ` +
        `(sidecarset.io/max-failed-upgrades is ${maxFailed}): ${describeFailures(progress.failed)}; ` +
        "no further pod is upgraded until the spec changes or sidecarset.io/resumed-at is set to a later time",
    };
  }
  const failedNote = progress.failed.length > 0 ? `; ${progress.failed.length} failed (${maxFailed} halt the rollout)` : "";
  const complete =
    matchedPods === 0 || updatedReadyPods === matchedPods || rolloutMilestone(plan, latestRevision)?.kind === "partition-reached";
  if (complete) {
    const kept = matchedPods - updatedPods;
    return {
      type: PROGRESSING_CONDITION,
      status: "True",
      reason: COMPLETE_REASON,
      message: `revision ${latestRevision} is rolled out: ${updatedReadyPods}/${matchedPods} pod(s) updated and ready${kept > 0 ? `, ${kept} kept on the previous version` : ""}${failedNote}`,
    };
  }
  return {
    type: PROGRESSING_CONDITION,
    status: "True",
    reason: UPGRADING_REASON,
    message: `rolling out revision ${latestRevision}: ${updatedPods}/${matchedPods} pod(s) updated, ${updatedReadyPods} ready${failedNote}`,
  };
}

/**
 * The conditions list with `Progressing` as the plan says, or without it when
 * S has no progress deadline (a condition left from when it had one would
 * report a halt that no longer applies). Undefined: no change.
 */
export function withProgressingCondition(
  conditions: readonly SidecarSetCondition[] | undefined,
  value: ConditionValue | undefined,
  now: Date,
): SidecarSetCondition[] | undefined {
  return value ? withCondition(conditions, value, now) : withoutCondition(conditions, PROGRESSING_CONDITION);
}

/** True when the conditions say the rollout is halted. */
export function isHaltedCondition(conditions: readonly SidecarSetCondition[] | undefined): boolean {
  return (conditions ?? []).some((c) => c.type === PROGRESSING_CONDITION && c.status === "False" && c.reason === PROGRESS_DEADLINE_EXCEEDED_REASON);
}
