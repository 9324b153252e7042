// The in-place upgrade of one pod (docs/behaviour.md §6.9): only sidecar images change in
// the spec; annotations record which hash the pod now runs and which imageIDs
// it ran before, so consistency (docs/behaviour.md §6.5) can tell when the kubelet has finished.
import type { FieldError } from "../../api/errors.js";
import { escapePointerSegment, type JsonPatchOp } from "../../api/json-patch.js";
import type { Container, Pod } from "../../api/kube-types.js";
import {
  SIDECARSET_HASH_ANNOTATION,
  SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION,
  SIDECARSET_INJECTED_LIST_ANNOTATION,
  SIDECARSET_INPLACE_UPDATE_STATE_ANNOTATION,
  SIDECARSET_VERSION_ALT_ANNOTATION_PREFIX,
  SIDECARSET_VERSION_ANNOTATION_PREFIX,
  SIDECARSET_WORKING_HOT_UPGRADE_CONTAINER_ANNOTATION,
} from "../../api/keys.js";
import {
  formatInjectedList,
  formatTimestamp,
  parseInPlaceUpdateStates,
  readUpgradeRecords,
  readWorkingHotUpgradeContainers,
  serializeInPlaceUpdateStates,
  serializeStringMap,
  serializeUpgradeRecords,
  type UpgradeRecords,
} from "../../api/pod-records.js";
import { hotUpgradePairNames, isHotUpgradeContainer, isNativeSidecar, sidecarListOf } from "../../api/sidecar-containers.js";
import type { SidecarContainer, SidecarSet } from "../../api/types.js";
import { applyPatchPodMetadata } from "../inject/patch-pod-metadata.js";
import { PodConsistency } from "./consistency.js";
import { hotUpgradeContainers } from "./matching.js";
import { setHash } from "./status.js";

export type PodUpgrade =
  | {
      ok: true;
      /** The pod as it should be written (a copy; the input is not modified). */
      pod: Pod;
      /** The same change as a JSON patch against the input pod. */
      patch: JsonPatchOp[];
      /** Pod containers whose image changed. */
      changedContainers: string[];
    }
  | { ok: false; error: FieldError };

export interface UpgradeOptions {
  now: Date;
  /**
   * Names of the SidecarSets matching the pod, written as the injected-list
   * when the pod has none (pods injected before the list existed). Defaults to S.
   */
  injectedList?: readonly string[];
}

export function versionAnnotation(container: string): string {
  return `${SIDECARSET_VERSION_ANNOTATION_PREFIX}${container}`;
}

export function versionAltAnnotation(container: string): string {
  return `${SIDECARSET_VERSION_ALT_ANNOTATION_PREFIX}${container}`;
}

/**
 * Which container of a hot-upgrade pair receives the new image, and which one
 * keeps serving: a container parked on the empty image first; else the one
 * that is not (ready ∧ consistent) when exactly one is; else the idle one.
 */
export function hotUpgradeTarget(
  sidecar: SidecarContainer,
  pod: Pod,
  consistency: PodConsistency,
): { target: string; other: string } {
  const [first, second] = hotUpgradePairNames(sidecar.name);
  const empty = sidecar.upgradeStrategy?.hotUpgradeEmptyImage ?? "";
  const imageOf = (name: string): string => (pod.spec?.containers ?? []).find((c) => c.name === name)?.image ?? "";
  if (imageOf(first) === empty) return { target: first, other: second };
  if (imageOf(second) === empty) return { target: second, other: first };
  const firstServing = consistency.containerReady(first) && consistency.checkOne(first);
  const secondServing = consistency.containerReady(second) && consistency.checkOne(second);
  if (firstServing && !secondServing) return { target: second, other: first };
  if (!firstServing && secondServing) return { target: first, other: second };
  const { working, idle } = hotUpgradeContainers(pod, sidecar.name);
  return { target: idle, other: working };
}

/**
 * Stores the pre-update imageIDs of `changed` in S's entry of the in-place
 * update state, creating the entry (revision = S's hash, time = now) when
 * missing. `pod` is the pod before the update: its containerStatuses hold the
 * imageIDs being replaced, kept verbatim (scheme prefix included).
 */
export function recordPreUpdateImageIDs(
  annotations: Record<string, string>,
  set: SidecarSet,
  pod: Pod,
  changed: readonly string[],
  now: Date,
): void {
  const parsed = parseInPlaceUpdateStates(annotations[SIDECARSET_INPLACE_UPDATE_STATE_ANNOTATION]);
  const states = parsed.ok ? parsed.value : {};
  const name = set.metadata.name ?? "";
  const state = states[name] ?? { revision: setHash(set), updateTimestamp: formatTimestamp(now), lastContainerStatuses: {} };
  const imageIDs = new Map<string, string>();
  for (const s of pod.status?.containerStatuses ?? []) imageIDs.set(s.name, s.imageID ?? "");
  for (const s of pod.status?.initContainerStatuses ?? []) imageIDs.set(s.name, s.imageID ?? "");
  for (const c of changed) state.lastContainerStatuses[c] = { imageID: imageIDs.get(c) ?? "" };
  states[name] = state;
  annotations[SIDECARSET_INPLACE_UPDATE_STATE_ANNOTATION] = serializeInPlaceUpdateStates(states);
}

/** A legacy flat hash annotation (`{"name":"hash"}`), which is rewritten as records. */
function isFlatRecords(value: string | undefined): boolean {
  if (!value) return false;
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return false;
    const values = Object.values(parsed);
    return values.length > 0 && values.every((v) => typeof v === "string");
  } catch {
    return false;
  }
}

function stampLegacy(records: UpgradeRecords, stamp: string): UpgradeRecords {
  for (const r of Object.values(records)) r.updateTimestamp ??= stamp;
  return records;
}

/** Rewrites S's entry of `kruise.io/sidecarset-hash`; converts legacy flat values of both hash annotations. */
export function rewriteHashRecords(annotations: Record<string, string>, set: SidecarSet, now: Date): void {
  const stamp = formatTimestamp(now);
  const name = set.metadata.name ?? "";
  const hashValue = annotations[SIDECARSET_HASH_ANNOTATION];
  const records = readUpgradeRecords(hashValue);
  if (isFlatRecords(hashValue)) stampLegacy(records, stamp);
  records[name] = {
    updateTimestamp: stamp,
    hash: setHash(set),
    sidecarSetName: name,
    sidecarList: sidecarListOf(set),
    ...(set.status?.latestRevision ? { controllerRevision: set.status.latestRevision } : {}),
  };
  annotations[SIDECARSET_HASH_ANNOTATION] = serializeUpgradeRecords(records, "hash");
  const withoutImage = annotations[SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION];
  if (isFlatRecords(withoutImage)) {
    annotations[SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION] = serializeUpgradeRecords(
      stampLegacy(readUpgradeRecords(withoutImage), stamp),
      "without-image",
    );
  }
}

/** Upgrades S's sidecars of `pod` in place. The input pod is not modified. */
export function upgradePod(set: SidecarSet, pod: Pod, opts: UpgradeOptions): PodUpgrade {
  const next = structuredClone(pod);
  next.metadata ??= {};
  const annotations: Record<string, string> = { ...(next.metadata.annotations ?? {}) };
  const containers: Container[] = next.spec?.containers ?? [];
  const byName = new Map(containers.map((c) => [c.name, c] as const));
  const consistency = new PodConsistency(pod, set);
  const resourceVersion = set.metadata.resourceVersion ?? "";
  const changed: string[] = [];
  let working: Record<string, string> | undefined;

  for (const sidecar of set.spec.containers ?? []) {
    let target: string;
    let other: string;
    if (isHotUpgradeContainer(sidecar)) ({ target, other } = hotUpgradeTarget(sidecar, pod, consistency));
    else target = other = sidecar.name;
    const container = byName.get(target);
    if (!container || sidecar.image === byName.get(other)?.image) continue;
    // Only the image: every other field of a running container is immutable.
    container.image = sidecar.image;
    changed.push(target);
    if (isHotUpgradeContainer(sidecar)) {
      working ??= readWorkingHotUpgradeContainers(pod);
      working[sidecar.name] = target;
      annotations[SIDECARSET_WORKING_HOT_UPGRADE_CONTAINER_ANNOTATION] = serializeStringMap(working);
      annotations[versionAnnotation(target)] = resourceVersion;
      annotations[versionAltAnnotation(target)] = annotations[versionAnnotation(other)] ?? "";
      annotations[versionAltAnnotation(other)] = resourceVersion;
    }
  }
  // Native sidecars (docs/behaviour.md §7a.6): the planner offers such a pod
  // only when the manager upgrades them in place; the kubelet restarts a
  // restartable initContainer whose image changed, as it does a container.
  const initByName = new Map((next.spec?.initContainers ?? []).map((c) => [c.name, c] as const));
  for (const sidecar of set.spec.initContainers ?? []) {
    if (!isNativeSidecar(sidecar)) continue;
    const container = initByName.get(sidecar.name);
    if (!container || !isNativeSidecar(container) || container.image === sidecar.image) continue;
    container.image = sidecar.image;
    changed.push(sidecar.name);
  }

  rewriteHashRecords(annotations, set, opts.now);
  recordPreUpdateImageIDs(annotations, set, pod, changed, opts.now);
  if (!annotations[SIDECARSET_INJECTED_LIST_ANNOTATION]) {
    annotations[SIDECARSET_INJECTED_LIST_ANNOTATION] = formatInjectedList(opts.injectedList ?? [set.metadata.name ?? ""]);
  }
  const error = applyPatchPodMetadata(annotations, set.spec.patchPodMetadata);
  if (error) return { ok: false, error };

  next.metadata.annotations = annotations;
  return { ok: true, pod: next, patch: podPatch(pod, next, changed), changedContainers: changed };
}

/**
 * The JSON patch from `before` to `after` for an in-place change: container
 * (or native-sidecar initContainer) images by index, each guarded by a `test`
 * of the container's name, so a pod whose containers moved fails instead of
 * being corrupted, and the annotations that were added or changed.
 */
export function podPatch(before: Pod, after: Pod, changedContainers: readonly string[]): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  const lists = [
    ["containers", after.spec?.containers ?? []],
    ["initContainers", after.spec?.initContainers ?? []],
  ] as const;
  for (const name of changedContainers) {
    for (const [field, containers] of lists) {
      const i = containers.findIndex((c) => c.name === name);
      if (i < 0) continue;
      ops.push({ op: "test", path: `/spec/${field}/${i}/name`, value: name });
      ops.push({ op: "replace", path: `/spec/${field}/${i}/image`, value: containers[i]!.image });
      break;
    }
  }
  const old = before.metadata?.annotations;
  const now = after.metadata?.annotations ?? {};
  if (!old) {
    ops.push({ op: "add", path: "/metadata/annotations", value: now });
    return ops;
  }
  for (const key of Object.keys(now).sort()) {
    if (old[key] === now[key]) continue;
    ops.push({ op: key in old ? "replace" : "add", path: `/metadata/annotations/${escapePointerSegment(key)}`, value: now[key] });
  }
  return ops;
}
