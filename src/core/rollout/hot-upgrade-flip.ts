// The hot-upgrade flip (docs/behaviour.md §6.10): once the new container of a pair serves,
// the old one is parked on the empty image so the pair is ready for the next
// upgrade and its resources are freed.
import type { JsonPatchOp } from "../../api/json-patch.js";
import type { Container, Pod } from "../../api/kube-types.js";
import { HOT_UPGRADE_EMPTY_VERSION } from "../../api/keys.js";
import { readWorkingHotUpgradeContainers } from "../../api/pod-records.js";
import { isHotUpgradeContainer } from "../../api/sidecar-containers.js";
import type { SidecarSet } from "../../api/types.js";
import { PodConsistency, isRunningAndReady } from "./consistency.js";
import { hotUpgradeContainers } from "./matching.js";
import {
  podPatch,
  recordPreUpdateImageIDs,
  versionAltAnnotation,
  versionAnnotation,
} from "./upgrade-pod.js";

interface IdleContainer {
  idle: string;
  working: string;
  emptyImage: string;
}

/** Hot-upgrade pairs of S whose idle container does not run the empty image. */
export function idleContainersToPark(set: SidecarSet, pod: Pod): IdleContainer[] {
  const out: IdleContainer[] = [];
  const working = readWorkingHotUpgradeContainers(pod);
  for (const sidecar of set.spec.containers ?? []) {
    if (!isHotUpgradeContainer(sidecar)) continue;
    const pair = hotUpgradeContainers(pod, sidecar.name, working);
    const emptyImage = sidecar.upgradeStrategy?.hotUpgradeEmptyImage ?? "";
    const image = (pod.spec?.containers ?? []).find((c) => c.name === pair.idle)?.image ?? "";
    if (image !== emptyImage) out.push({ ...pair, emptyImage });
  }
  return out;
}

/**
 * Mid hot-upgrade: an idle container still runs a real image, every other
 * sidecar container is consistent, and the pod serves (running and ready, or
 * at least every non-idle container reports ready).
 */
export function isMidHotUpgrade(set: SidecarSet, pod: Pod, consistency = new PodConsistency(pod, set)): boolean {
  const toPark = idleContainersToPark(set, pod);
  if (toPark.length === 0) return false;
  const idle = new Set<string>();
  const working = readWorkingHotUpgradeContainers(pod);
  for (const sidecar of set.spec.containers ?? []) {
    if (isHotUpgradeContainer(sidecar)) idle.add(hotUpgradeContainers(pod, sidecar.name, working).idle);
  }
  const serving = consistency.allNames.filter((n) => !idle.has(n));
  if (!consistency.check(serving)) return false;
  if (isRunningAndReady(pod)) return true;
  return (pod.status?.containerStatuses ?? []).every((s) => idle.has(s.name) || s.ready === true);
}

export interface PodFlip {
  pod: Pod;
  patch: JsonPatchOp[];
  changedContainers: string[];
}

/**
 * Parks every idle container on the empty image, marks both version
 * annotations of the pair "0" and records the pre-update imageIDs. The hash
 * annotation is left alone: the pod already records S's hash. Null when there
 * is nothing to park.
 */
export function flipHotUpgrade(set: SidecarSet, pod: Pod, opts: { now: Date }): PodFlip | null {
  const toPark = idleContainersToPark(set, pod);
  if (toPark.length === 0) return null;
  const next = structuredClone(pod);
  next.metadata ??= {};
  const annotations: Record<string, string> = { ...(next.metadata.annotations ?? {}) };
  const byName = new Map<string, Container>((next.spec?.containers ?? []).map((c) => [c.name, c]));
  const changed: string[] = [];
  for (const { idle, working, emptyImage } of toPark) {
    const container = byName.get(idle);
    if (!container) continue;
    container.image = emptyImage;
    changed.push(idle);
    annotations[versionAnnotation(idle)] = HOT_UPGRADE_EMPTY_VERSION;
    annotations[versionAltAnnotation(working)] = HOT_UPGRADE_EMPTY_VERSION;
  }
  if (changed.length === 0) return null;
  recordPreUpdateImageIDs(annotations, set, pod, changed, opts.now);
  next.metadata.annotations = annotations;
  return { pod: next, patch: podPatch(pod, next, changed), changedContainers: changed };
}
