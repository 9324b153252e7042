// The SidecarSet's `Reconciled` condition: whether its last reconcile went
// through, and if not the API server's (or our) message, so a stuck rollout
// shows in `kubectl describe` and `kubectl get -o yaml`, not only in the logs.
import type { SidecarSetCondition } from "../../api/types.js";

export const RECONCILED_CONDITION = "Reconciled";
export const RECONCILE_SUCCEEDED_REASON = "ReconcileSucceeded";
export const RECONCILE_ERROR_REASON = "ReconcileError";

/** Longest message kept in the condition; API server messages can quote whole objects. */
const MAX_MESSAGE = 1024;

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
  const list = conditions ?? [];
  const index = list.findIndex((c) => c.type === RECONCILED_CONDITION);
  const previous = index >= 0 ? list[index] : undefined;
  const status = outcome.ok ? "True" : "False";
  const reason = outcome.ok ? RECONCILE_SUCCEEDED_REASON : RECONCILE_ERROR_REASON;
  const message = outcome.ok ? "" : truncate(outcome.message);
  if (previous && previous.status === status && previous.reason === reason && (previous.message ?? "") === message) return undefined;
  const next: SidecarSetCondition = {
    type: RECONCILED_CONDITION,
    status,
    reason,
    ...(message ? { message } : {}),
    lastTransitionTime: previous && previous.status === status && previous.lastTransitionTime ? previous.lastTransitionTime : rfc3339(now),
  };
  return index >= 0 ? list.map((c, i) => (i === index ? next : c)) : [...list, next];
}

function truncate(message: string): string {
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message;
}

/** Seconds precision, as metav1.Time serialises. */
function rfc3339(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}
