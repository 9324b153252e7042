// The pod annotations written at injection (docs/behaviour.md §3.3, §5.6, §5.7 step 6, §5.8):
// per-SidecarSet hash records, the injected list, and the hot-upgrade state.
import { fieldError, type FieldError } from "../../api/errors.js";
import {
  SIDECARSET_HASH_ANNOTATION,
  SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION,
  SIDECARSET_INJECTED_LIST_ANNOTATION,
  SIDECARSET_WORKING_HOT_UPGRADE_CONTAINER_ANNOTATION,
} from "../../api/keys.js";
import {
  encodeUpgradeRecords,
  formatInjectedList,
  formatTimestamp,
  joinEncodedRecords,
  parseInjectedList,
  parseUpgradeRecords,
  readWorkingHotUpgradeContainers,
  serializeStringMap,
  type UpgradeRecords,
} from "../../api/pod-records.js";
import { hotUpgradePairNames } from "../../api/sidecar-containers.js";
import type { SidecarSet } from "../../api/types.js";
import { hotUpgradeVersionAnnotations } from "./hot-upgrade.js";
import { injectedRecords } from "./injected-records.js";

export interface ExistingRecords {
  hash: UpgradeRecords;
  withoutImage: UpgradeRecords;
}

/** Reads both hash annotations; a value that parses as neither form is an error (the pod is denied). */
export function readExistingRecords(
  annotations: Readonly<Record<string, string>>,
): { ok: true; records: ExistingRecords } | { ok: false; error: FieldError } {
  const out: Partial<ExistingRecords> = {};
  for (const [key, field] of [
    [SIDECARSET_HASH_ANNOTATION, "hash"],
    [SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION, "withoutImage"],
  ] as const) {
    const parsed = parseUpgradeRecords(annotations[key]);
    if (!parsed.ok) {
      return {
        ok: false,
        error: fieldError(
          `metadata.annotations[${key}]`,
          `${parsed.error}; expected {"<sidecarset>": {"hash": …}} or the legacy {"<sidecarset>": "<hash>"}`,
        ),
      };
    }
    out[field] = parsed.value;
  }
  return { ok: true, records: out as ExistingRecords };
}

export interface ProcessedSidecarSet {
  set: SidecarSet;
  sidecarList: string[];
  hotUpgraded: string[];
}

/**
 * The annotations to set on the pod: both hash records (S's entries replaced,
 * other SidecarSets' kept), the injected list (existing names ∪ processed),
 * and for hot-upgrade sidecars the version annotations and the working map.
 * With `recent`, a pod that brings none of these gets the values the last such
 * pod got when the SidecarSets and the second are the same (frozen, shared).
 */
export function injectionAnnotations(
  annotations: Readonly<Record<string, string>>,
  existing: ExistingRecords,
  processed: readonly ProcessedSidecarSet[],
  now: Date,
  recent?: RecentInjectionAnnotations,
): Readonly<Record<string, string>> {
  const timestamp = formatTimestamp(now);
  const fresh = recent !== undefined && bringsNoRecords(annotations);
  const known = fresh ? recent.get(timestamp, processed) : undefined;
  if (known) return known;
  const out = writeInjectionAnnotations(annotations, existing, processed, timestamp);
  return fresh ? recent.set(timestamp, processed, out) : out;
}

/** A pod with no records, no injected list and no working hot-upgrade map: what it gets depends on the SidecarSets and the second alone. */
function bringsNoRecords(annotations: Readonly<Record<string, string>>): boolean {
  return (
    annotations[SIDECARSET_HASH_ANNOTATION] === undefined &&
    annotations[SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION] === undefined &&
    annotations[SIDECARSET_INJECTED_LIST_ANNOTATION] === undefined &&
    annotations[SIDECARSET_WORKING_HOT_UPGRADE_CONTAINER_ANNOTATION] === undefined
  );
}

/**
 * The annotations written last for a pod that brought no records of its own (see bringsNoRecords), for the
 * next such pod: pods injected by the same SidecarSet objects within one second get the very same values,
 * so their hash records are not joined again, and the patch writer finds the same strings it just encoded.
 * Only the pod webhook keeps one (with its built sidecars): its SidecarSets are an informer's, replaced
 * when they change, never edited.
 */
export class RecentInjectionAnnotations {
  private last: { timestamp: string; sets: readonly SidecarSet[]; annotations: Readonly<Record<string, string>> } | undefined;

  /** Kept for the same second and the same SidecarSet objects in the same order (their sidecar lists are their own). */
  get(timestamp: string, processed: readonly ProcessedSidecarSet[]): Readonly<Record<string, string>> | undefined {
    const last = this.last;
    if (last === undefined || last.timestamp !== timestamp || last.sets.length !== processed.length) return undefined;
    for (let i = 0; i < processed.length; i++) if (processed[i]!.set !== last.sets[i]) return undefined;
    return last.annotations;
  }

  set(timestamp: string, processed: readonly ProcessedSidecarSet[], annotations: Record<string, string>): Readonly<Record<string, string>> {
    const kept = Object.freeze(annotations);
    this.last = { timestamp, sets: processed.map((p) => p.set), annotations: kept };
    return kept;
  }
}

function writeInjectionAnnotations(
  annotations: Readonly<Record<string, string>>,
  existing: ExistingRecords,
  processed: readonly ProcessedSidecarSet[],
  timestamp: string,
): Record<string, string> {
  // Both annotations as name → encoded record: the pod's own records, then
  // each processed SidecarSet's, which replace any of the same name.
  const hash = encodeUpgradeRecords(existing.hash, "hash");
  const withoutImage = encodeUpgradeRecords(existing.withoutImage, "without-image");
  const out: Record<string, string> = {};
  let working: Record<string, string> | undefined;

  for (const { set, sidecarList, hotUpgraded } of processed) {
    const name = set.metadata.name ?? "";
    const records = injectedRecords(set, sidecarList, timestamp);
    hash.set(name, records.hash);
    withoutImage.set(name, records.withoutImage);
    for (const sidecar of hotUpgraded) {
      Object.assign(out, hotUpgradeVersionAnnotations(sidecar));
      working ??= readWorkingHotUpgradeContainers({ metadata: { annotations: { ...annotations } } });
      working[sidecar] = hotUpgradePairNames(sidecar)[0];
    }
  }

  out[SIDECARSET_HASH_ANNOTATION] = joinEncodedRecords(hash);
  out[SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION] = joinEncodedRecords(withoutImage);
  out[SIDECARSET_INJECTED_LIST_ANNOTATION] = formatInjectedList([
    ...parseInjectedList(annotations[SIDECARSET_INJECTED_LIST_ANNOTATION]),
    ...processed.map((p) => p.set.metadata.name ?? ""),
  ]);
  if (working) out[SIDECARSET_WORKING_HOT_UPGRADE_CONTAINER_ANNOTATION] = serializeStringMap(working);
  return out;
}
