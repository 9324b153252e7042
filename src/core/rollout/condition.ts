// The `SidecarSetUpgradable` pod condition (docs/behaviour.md §6.11): one entry per
// SidecarSet in a JSON message, True only while every entry is true.
import type { Pod, PodCondition } from "../../api/kube-types.js";
import { REASON_ALL_UPGRADABLE, REASON_UPDATE_IMMUTABLE_FIELD, SIDECARSET_UPGRADABLE_CONDITION } from "../../api/keys.js";
import { compareGoStrings, goJsonString } from "../../api/canonical-json.js";
import { formatTimestamp } from "../../api/pod-records.js";

/**
 * Reads the message: SidecarSet name → upgradable. A message that is not a
 * JSON object of booleans reads as empty, so one bad write cannot wedge the
 * condition forever.
 */
export function parseUpgradableMessage(message: string | undefined): Record<string, boolean> {
  if (!message) return {};
  try {
    const parsed: unknown = JSON.parse(message);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
    const out: Record<string, boolean> = {};
    for (const [k, v] of Object.entries(parsed)) {
      if (typeof v !== "boolean") return {};
      out[k] = v;
    }
    return out;
  } catch {
    return {};
  }
}

/** Compact JSON with sorted keys, as Go marshals a map[string]bool. */
export function formatUpgradableMessage(entries: Record<string, boolean>): string {
  const body = Object.keys(entries)
    .sort(compareGoStrings)
    .map((k) => `${goJsonString(k)}:${entries[k] ? "true" : "false"}`);
  return `{${body.join(",")}}`;
}

export interface ConditionUpdate {
  /** False when the pod already carries exactly this condition: nothing to write. */
  changed: boolean;
  condition: PodCondition;
  /** Strategic-merge patch for the `pods/status` subresource (conditions merge by type). */
  patch: { status: { conditions: PodCondition[] } };
}

/**
 * Sets entry `setName` of the pod's condition to `upgradable`. Status True
 * (reason AllSidecarsetUpgradable) when every entry is true, else False
 * (UpdateImmutableField); lastTransitionTime moves only when the status does.
 */
export function upgradableCondition(pod: Pod, setName: string, upgradable: boolean, now: Date): ConditionUpdate {
  const old = (pod.status?.conditions ?? []).find((c) => c.type === SIDECARSET_UPGRADABLE_CONDITION);
  const entries = parseUpgradableMessage(old?.message);
  entries[setName] = upgradable;
  const all = Object.values(entries).every((v) => v);
  const status = all ? "True" : "False";
  const condition: PodCondition = {
    type: SIDECARSET_UPGRADABLE_CONDITION,
    status,
    ...(old?.lastProbeTime ? { lastProbeTime: old.lastProbeTime } : {}),
    lastTransitionTime: old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : formatTimestamp(now),
    reason: all ? REASON_ALL_UPGRADABLE : REASON_UPDATE_IMMUTABLE_FIELD,
    message: formatUpgradableMessage(entries),
  };
  const changed =
    !old ||
    old.status !== condition.status ||
    old.reason !== condition.reason ||
    old.message !== condition.message ||
    old.lastTransitionTime !== condition.lastTransitionTime;
  return { changed, condition, patch: { status: { conditions: [condition] } } };
}
