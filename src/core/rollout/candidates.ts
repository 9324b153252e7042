// Which matched pods are candidates for an upgrade this round (docs/behaviour.md §6.6).
import type { Pod } from "../../api/kube-types.js";
import type { SidecarSet } from "../../api/types.js";
import { isNativeSidecar } from "../../api/sidecar-containers.js";
import { compileRequirements, parseSelector } from "../selector.js";
import { PodConsistency } from "./consistency.js";
import { SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION } from "../../api/keys.js";
import { recordsHold, setHashWithoutImage } from "./status.js";

export type CandidateState =
  /** Already records S's current hash. */
  | "updated"
  /** `updateStrategy.selector` is set and does not select the pod. */
  | "not-selected"
  /** Something other than images changed: an in-place update cannot apply it. */
  | "not-upgradable"
  /** A sidecar container is still restarting from a previous update. */
  | "busy"
  | "waiting";

/**
 * The update-selector predicate. An unparseable selector selects nothing (and
 * is reported), so a broken strategy never widens a rollout.
 */
export function updateSelectorOf(set: SidecarSet): { matches: (pod: Pod) => boolean; error?: string } {
  const selector = set.spec.updateStrategy?.selector;
  if (!selector) return { matches: () => true };
  const parsed = parseSelector(selector);
  if (!parsed.ok) return { matches: () => false, error: parsed.error };
  const labelsMatch = compileRequirements(parsed.requirements);
  return { matches: (pod) => labelsMatch(pod.metadata?.labels) };
}

/** Not upgradable: the recorded hash-without-image of S differs from S's. */
export function isNotUpgradable(set: SidecarSet, pod: Pod): boolean {
  const value = pod.metadata?.annotations?.[SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION];
  return !recordsHold(value, set.metadata.name ?? "", setHashWithoutImage(set));
}

/**
 * A native-sidecar initContainer of S has another image in the pod. Such a
 * pod is upgraded in place only when the manager runs with
 * `--native-sidecar-in-place-upgrade` (docs/behaviour.md §7a.6); otherwise it waits for recreation.
 */
export function nativeSidecarImageChanged(set: SidecarSet, pod: Pod): boolean {
  const init = set.spec.initContainers;
  if (!init || init.length === 0) return false;
  for (const sidecar of init) {
    if (!isNativeSidecar(sidecar)) continue;
    for (const c of pod.spec?.initContainers ?? []) if (c.name === sidecar.name && c.image !== sidecar.image) return true;
  }
  return false;
}

/**
 * Busy: some sidecar pod-container reports ready but is inconsistent by itself,
 * i.e. its new image has not replaced the old one yet.
 */
export function isBusy(consistency: PodConsistency): boolean {
  for (const name of consistency.allNames) {
    if (!consistency.checkOne(name) && consistency.containerReady(name)) return true;
  }
  return false;
}

export interface CandidateInput {
  updated: boolean;
  selectedForUpdate: boolean;
  consistency: PodConsistency;
  /** `--native-sidecar-in-place-upgrade`: native sidecars' image changes are upgraded in place too. */
  nativeSidecarsInPlace?: boolean;
}

export function classifyCandidate(set: SidecarSet, pod: Pod, input: CandidateInput): CandidateState {
  if (input.updated) return "updated";
  if (!input.selectedForUpdate) return "not-selected";
  if (isNotUpgradable(set, pod)) return "not-upgradable";
  if (!input.nativeSidecarsInPlace && nativeSidecarImageChanged(set, pod)) return "not-upgradable";
  if (isBusy(input.consistency)) return "busy";
  return "waiting";
}
