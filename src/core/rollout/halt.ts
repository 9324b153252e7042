// Whether a SidecarSet's rollout is halted by its progress deadline
// (docs/behaviour.md §7a.5). The controller halts and records it as the status
// condition Progressing=False with reason ProgressDeadlineExceeded; readers
// (explain, rollout status) take the condition as the answer.
import type { SidecarSet, SidecarSetCondition } from "../../api/types.js";

export const PROGRESSING_CONDITION = "Progressing";
export const PROGRESS_DEADLINE_EXCEEDED_REASON = "ProgressDeadlineExceeded";
/** `rollout resume` sets it to the current time; a value newer than the halt lifts it. */
export const RESUMED_AT_ANNOTATION = "sidecarset.io/resumed-at";

/** The halting condition when the rollout is halted, else undefined. */
export function progressHalt(set: SidecarSet): SidecarSetCondition | undefined {
  return (set.status?.conditions ?? []).find(
    (c) => c.type === PROGRESSING_CONDITION && c.status === "False" && c.reason === PROGRESS_DEADLINE_EXCEEDED_REASON,
  );
}
