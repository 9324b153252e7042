// Setting one entry of a SidecarSet's `status.conditions` the way Kubernetes
// conditions behave: the others stay in place, and `lastTransitionTime` moves
// only when the condition's status flips.
import type { SidecarSetCondition } from "../../api/types.js";

/** Longest message kept in a condition; API server messages can quote whole objects. */
const MAX_MESSAGE = 1024;

export interface ConditionValue {
  type: string;
  status: SidecarSetCondition["status"];
  reason: string;
  /** Empty: no message. */
  message: string;
}

/** The list with `value` set; undefined when the list already says so (no write needed). */
export function withCondition(
  conditions: readonly SidecarSetCondition[] | undefined,
  value: ConditionValue,
  now: Date,
): SidecarSetCondition[] | undefined {
  const list = conditions ?? [];
  const index = list.findIndex((c) => c.type === value.type);
  const previous = index >= 0 ? list[index] : undefined;
  const message = truncate(value.message);
  if (previous && previous.status === value.status && previous.reason === value.reason && (previous.message ?? "") === message) return undefined;
  const next: SidecarSetCondition = {
    type: value.type,
    status: value.status,
    reason: value.reason,
    ...(message ? { message } : {}),
    lastTransitionTime: previous && previous.status === value.status && previous.lastTransitionTime ? previous.lastTransitionTime : rfc3339(now),
  };
  return index >= 0 ? list.map((c, i) => (i === index ? next : c)) : [...list, next];
}

/** The list without condition `type`; undefined when it has none (no write needed). */
export function withoutCondition(conditions: readonly SidecarSetCondition[] | undefined, type: string): SidecarSetCondition[] | undefined {
  const list = conditions ?? [];
  return list.some((c) => c.type === type) ? list.filter((c) => c.type !== type) : undefined;
}

function truncate(message: string): string {
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message;
}

/** Seconds precision, as metav1.Time serialises. */
function rfc3339(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}
