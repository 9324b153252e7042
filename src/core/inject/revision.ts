// Which version of a SidecarSet a new pod gets (docs/behaviour.md §5.3): the current spec, or
// the ControllerRevision pinned by `injectionStrategy.revision`. Randomness
// (for `policy: Partial` with a percentage partition) comes in as an argument.
import { sidecarSetHash, sidecarSetHashWithoutImage } from "../../api/hash.js";
import { fieldError, type FieldError } from "../../api/errors.js";
import { isRecord } from "../../api/is-record.js";
import {
  CUSTOM_VERSION_LABEL,
  REVISION_SIDECARSET_NAME_LABEL,
  SIDECARSET_HASH_ANNOTATION,
  SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION,
} from "../../api/keys.js";
import type { ControllerRevision, Pod } from "../../api/kube-types.js";
import type { InjectionRevision, SidecarSet, SidecarSetSpec } from "../../api/types.js";
import { cachedSelector } from "./selector-cache.js";
import { requirementsMatch } from "../selector.js";

export type VersionChoice =
  | {
      ok: true;
      set: SidecarSet;
      pinnedRevision?: string;
      /** When chance decided (policy Partial, percentage partition): the probability of the pinned revision. */
      pinChance?: number;
    }
  | { ok: false; error: FieldError };

const REVISION_PATH = "spec.injectionStrategy.revision";

/** `revision` when it names a revision or a custom version; else undefined (inject the current spec). */
function pinningOf(set: SidecarSet): InjectionRevision | undefined {
  const revision = set.spec.injectionStrategy?.revision;
  if (!revision) return undefined;
  if (!revision.revisionName && !revision.customVersion) return undefined;
  return revision;
}

/** Chooses the version of `set` to inject into `pod`, first matching row of the docs/behaviour.md §5.3 table. */
export function chooseInjectedVersion(
  set: SidecarSet,
  pod: Pod,
  revisions: readonly ControllerRevision[],
  random: () => number,
): VersionChoice {
  const pinning = pinningOf(set);
  if (!pinning) return { ok: true, set };

  // The pinned revision is loaded even when the current spec wins below, so a
  // SidecarSet that points at a missing revision fails loudly on every pod.
  const found = findPinnedRevision(set, pinning, revisions);
  if (!found.ok) return found;
  const restored = restoreFromRevision(set, found.revision);
  if (!restored.ok) return restored;
  const pinned: VersionChoice = { ok: true, set: restored.set, pinnedRevision: found.revision.metadata?.name ?? "" };
  const current: VersionChoice = { ok: true, set };

  const strategy = set.spec.updateStrategy;
  if (strategy?.paused) return pinned;
  if (pinning.policy !== "Partial") return pinned;

  if (strategy?.selector) {
    const parsed = cachedSelector(strategy.selector);
    if (!parsed.ok) return { ok: false, error: fieldError("spec.updateStrategy.selector", parsed.error) };
    if (!requirementsMatch(parsed.requirements, pod.metadata?.labels)) return pinned;
  }
  const partition = strategy?.partition;
  if (partition === undefined || partition === null || typeof partition === "number") return current;
  const probability = parsePercentage(partition);
  if (probability === undefined) {
    return {
      ok: false,
      error: fieldError(
        "spec.updateStrategy.partition",
        `${JSON.stringify(partition)} is not a percentage; with injectionStrategy.revision.policy Partial use an integer or a percentage like "30%"`,
      ),
    };
  }
  return random() <= probability ? { ...pinned, pinChance: probability } : { ...current, pinChance: probability };
}

function parsePercentage(s: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)%$/.exec(s);
  return m ? Number(m[1]) / 100 : undefined;
}

export type PinnedRevision = { ok: true; revision: ControllerRevision } | { ok: false; error: FieldError };

/**
 * `revisionName`: the ControllerRevision of that name (any owner).
 * `customVersion`: among S's revisions carrying that custom-version label, the
 * one with the highest `.revision` (then newest, then last by name).
 */
export function findPinnedRevision(
  set: SidecarSet,
  pinning: InjectionRevision,
  revisions: readonly ControllerRevision[],
): PinnedRevision {
  if (pinning.revisionName) {
    const revision = revisions.find((r) => r.metadata?.name === pinning.revisionName);
    if (revision) return { ok: true, revision };
    return {
      ok: false,
      error: fieldError(
        `${REVISION_PATH}.revisionName`,
        `ControllerRevision "${pinning.revisionName}" was not found in the manager namespace; name an existing revision of this SidecarSet`,
      ),
    };
  }
  const name = set.metadata.name;
  const candidates = revisions.filter((r) => {
    const labels = r.metadata?.labels;
    return labels?.[REVISION_SIDECARSET_NAME_LABEL] === name && labels?.[CUSTOM_VERSION_LABEL] === pinning.customVersion;
  });
  if (candidates.length === 0) {
    return {
      ok: false,
      error: fieldError(
        `${REVISION_PATH}.customVersion`,
        `no ControllerRevision in the manager namespace is labelled ${REVISION_SIDECARSET_NAME_LABEL}=${name} and ` +
          `${CUSTOM_VERSION_LABEL}=${pinning.customVersion}; set that label on the SidecarSet so its revisions carry it`,
      ),
    };
  }
  const newest = candidates.reduce((best, r) => (compareRevisions(r, best) > 0 ? r : best));
  return { ok: true, revision: newest };
}

function compareRevisions(a: ControllerRevision, b: ControllerRevision): number {
  const ra = a.revision ?? 0;
  const rb = b.revision ?? 0;
  if (ra !== rb) return ra - rb;
  const ta = a.metadata?.creationTimestamp ?? "";
  const tb = b.metadata?.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  const na = a.metadata?.name ?? "";
  const nb = b.metadata?.name ?? "";
  return na === nb ? 0 : na < nb ? -1 : 1;
}

const RESTORED_FIELDS = ["containers", "initContainers", "volumes", "imagePullSecrets", "patchPodMetadata"] as const;

export type Restored = { ok: true; set: SidecarSet } | { ok: false; error: FieldError };

/**
 * The SidecarSet as it was at `revision`: its containers, initContainers,
 * volumes, imagePullSecrets and patchPodMetadata come from the revision data,
 * the rest from the current object. Hash annotations come from the revision
 * (recomputed from the restored content when missing) and
 * `status.latestRevision` names the revision, so pods record where they came from.
 */
export function restoreFromRevision(set: SidecarSet, revision: ControllerRevision): Restored {
  const revisionName = revision.metadata?.name ?? "";
  const spec = revisionSpec(revision.data);
  if (!spec) {
    return {
      ok: false,
      error: fieldError(
        REVISION_PATH,
        `ControllerRevision "${revisionName}" has no readable spec in its data; it must hold {"spec": {...}} as the manager writes it`,
      ),
    };
  }
  const restoredSpec: SidecarSetSpec = { ...set.spec };
  for (const field of RESTORED_FIELDS) {
    const value = spec[field];
    if (value === undefined || value === null) delete restoredSpec[field];
    else (restoredSpec as Record<string, unknown>)[field] = value;
  }
  const restored: SidecarSet = {
    ...set,
    metadata: { ...set.metadata, annotations: { ...(set.metadata.annotations ?? {}) } },
    spec: restoredSpec,
    status: { matchedPods: 0, updatedPods: 0, readyPods: 0, ...(set.status ?? {}), latestRevision: revisionName },
  };
  const annotations = restored.metadata.annotations!;
  const fromRevision = revision.metadata?.annotations ?? {};
  annotations[SIDECARSET_HASH_ANNOTATION] = fromRevision[SIDECARSET_HASH_ANNOTATION] || sidecarSetHash(restored);
  annotations[SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION] =
    fromRevision[SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION] || sidecarSetHashWithoutImage(restored);
  return { ok: true, set: restored };
}

function revisionSpec(data: unknown): Record<string, unknown> | undefined {
  let value = data;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (!isRecord(value)) return undefined;
  const spec = value.spec;
  return isRecord(spec) ? spec : undefined;
}

