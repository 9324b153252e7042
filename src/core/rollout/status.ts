// SidecarSet status counts (SPEC §6.4) and the "updated" test they rest on.
import type { Pod } from "../../api/kube-types.js";
import { SIDECARSET_HASH_ANNOTATION, SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION } from "../../api/keys.js";
import type { SidecarSet } from "../../api/types.js";
import { isReadyForSidecarSet, PodConsistency } from "./consistency.js";

export interface RolloutStatus {
  matchedPods: number;
  updatedPods: number;
  readyPods: number;
  updatedReadyPods: number;
  notInjectedPods: number;
}

/** S's current hash (`kruise.io/sidecarset-hash` on the SidecarSet). */
export function setHash(set: SidecarSet): string {
  return set.metadata.annotations?.[SIDECARSET_HASH_ANNOTATION] ?? "";
}

export function setHashWithoutImage(set: SidecarSet): string {
  return set.metadata.annotations?.[SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION] ?? "";
}

/**
 * The `hash` of entry `setName` in a hash annotation value, read as
 * `readUpgradeRecords` would (legacy flat form included; a value that parses
 * as neither form has no entries) without building every record: the planner
 * reads two of these per pod.
 */
export function hashInRecords(value: string | undefined, setName: string, memo?: Map<string, string>): string {
  if (!value) return "";
  if (!memo) return readHashInRecords(value, setName);
  let hash = memo.get(value);
  if (hash === undefined) {
    hash = readHashInRecords(value, setName);
    memo.set(value, hash);
  }
  return hash;
}

function readHashInRecords(value: string, setName: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return "";
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return "";
  const records = parsed as Record<string, unknown>;
  let flat = true;
  let allObjects = true;
  for (const k in records) {
    const v = records[k];
    if (typeof v !== "string") flat = false;
    if (typeof v !== "object" || v === null || Array.isArray(v)) allObjects = false;
  }
  const entry = Object.prototype.hasOwnProperty.call(records, setName) ? records[setName] : undefined;
  if (flat) return typeof entry === "string" ? entry : "";
  if (!allObjects || entry === undefined) return "";
  const hash = (entry as Record<string, unknown>).hash;
  return typeof hash === "string" ? hash : "";
}

/** The hash of S the pod records (empty when it has no entry or the annotation is unreadable). */
export function recordedHash(pod: Pod, setName: string): string {
  return hashInRecords(pod.metadata?.annotations?.[SIDECARSET_HASH_ANNOTATION], setName);
}

export function recordedHashWithoutImage(pod: Pod, setName: string): string {
  return hashInRecords(pod.metadata?.annotations?.[SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION], setName);
}

/** Hash characters that JSON never escapes: such a hash appears verbatim in any record holding it. */
const VERBATIM_IN_JSON = /^[A-Za-z0-9._-]+$/;

/**
 * Reads the recorded hash of S and tells whether it equals `hash`; the same
 * memo may serve many pods (pods written together carry identical values).
 */
export function recordsHold(value: string | undefined, setName: string, hash: string, memo?: Map<string, string>): boolean {
  // Most values do not contain the hash at all: no need to parse them.
  if (value !== undefined && VERBATIM_IN_JSON.test(hash) && !value.includes(hash)) return false;
  return hashInRecords(value, setName, memo) === hash;
}

/** Updated: the pod records S's current hash. */
export function isPodUpdated(set: SidecarSet, pod: Pod, memo?: Map<string, string>): boolean {
  return recordsHold(pod.metadata?.annotations?.[SIDECARSET_HASH_ANNOTATION], set.metadata.name ?? "", setHash(set), memo);
}

/** The per-pod facts the counts need; the planner computes them once per pod. */
export interface PodRolloutFacts {
  updated: boolean;
  consistent: boolean;
  ready: boolean;
}

export function podRolloutFacts(set: SidecarSet, pod: Pod): PodRolloutFacts {
  return {
    updated: isPodUpdated(set, pod),
    consistent: new PodConsistency(pod, set).check(),
    ready: isReadyForSidecarSet(pod, set),
  };
}

/** Counts from per-pod facts: ready = consistent ∧ ready; updatedReady = updated ∧ that. */
export function countStatus(facts: Iterable<PodRolloutFacts>, notInjectedPods: number): RolloutStatus {
  const status: RolloutStatus = { matchedPods: 0, updatedPods: 0, readyPods: 0, updatedReadyPods: 0, notInjectedPods };
  for (const f of facts) {
    status.matchedPods++;
    if (f.updated) status.updatedPods++;
    if (f.consistent && f.ready) {
      status.readyPods++;
      if (f.updated) status.updatedReadyPods++;
    }
  }
  return status;
}

/** Status of S over its matched pods. */
export function computeStatus(set: SidecarSet, matched: readonly Pod[], notInjectedPods = 0): RolloutStatus {
  return countStatus(
    matched.map((p) => podRolloutFacts(set, p)),
    notInjectedPods,
  );
}

/** Matched pods that are updated but not yet serving it: they use the maxUnavailable budget. */
export function isUpdatedButUnavailable(f: PodRolloutFacts): boolean {
  return f.updated && (!f.consistent || !f.ready);
}
