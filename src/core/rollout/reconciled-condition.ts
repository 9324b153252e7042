// The SidecarSet's `Reconciled` condition: whether its last reconcile went
// through, and if not the API server's (or our) message, so a stuck rollout
// shows in `kubectl describe` and `kubectl get -o yaml`, not only in the logs.
import type { SidecarSetCondition } from "../../api/types.js";
import { withCondition } from "./sidecarset-conditions.js";

export const RECONCILED_CONDITION = "Reconciled";
export const RECONCILE_SUCCEEDED_REASON = "ReconcileSucceeded";
export const RECONCILE_ERROR_REASON = "ReconcileError";

export type ReconcileOutcome = { ok: true } | { ok: false; message: string };

/**
 * The conditions list with `Reconciled` set to the outcome. Other conditions
 * are kept in place; `lastTransitionTime` moves only when the status flips.
 * Returns undefined when the condition already says so (no write needed).
 */
export function withReconciledCondition(
  conditions: readonly SidecarSetCondition[] | undefined,
  outcome: ReconcileOutcome,
  now: Date,
): SidecarSetCondition[] | undefined {
  return withCondition(
    conditions,
    outcome.ok
      ? { type: RECONCILED_CONDITION, status: "True", reason: RECONCILE_SUCCEEDED_REASON, message: "" }
      : { type: RECONCILED_CONDITION, status: "False", reason: RECONCILE_ERROR_REASON, message: outcome.message },
    now,
  );
}
