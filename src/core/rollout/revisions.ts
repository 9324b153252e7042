// ControllerRevision registration as pure decisions (docs/behaviour.md §6.12): which
// revision stands for the current spec (reuse, raise on rollback, or create),
// how a name collision is resolved, and which old revisions to delete.
import { isDeepStrictEqual } from "node:util";
import { revisionData, revisionName } from "../../api/revision.js";
import {
  CUSTOM_VERSION_LABEL,
  REVISION_HASH_LABEL,
  REVISION_SIDECARSET_NAME_LABEL,
} from "../../api/keys.js";
import type { ControllerRevision, Pod } from "../../api/kube-types.js";
import { podHashRecords } from "../../api/pod-records.js";
import { API_VERSION, KIND, type SidecarSet } from "../../api/types.js";
import { canonicalJson } from "../../api/canonical-json.js";
import { DEFAULT_REVISION_HISTORY_LIMIT } from "../../api/defaults.js";
import { timeOf } from "../../api/rfc3339.js";

/** By `.revision`, then creation time, then name: the order the history is read in. */
export function sortRevisions(revisions: readonly ControllerRevision[]): ControllerRevision[] {
  return [...revisions].sort(
    (a, b) =>
      (a.revision ?? 0) - (b.revision ?? 0) ||
      timeOf(a.metadata?.creationTimestamp) - timeOf(b.metadata?.creationTimestamp) ||
      ((a.metadata?.name ?? "") < (b.metadata?.name ?? "") ? -1 : (a.metadata?.name ?? "") > (b.metadata?.name ?? "") ? 1 : 0),
  );
}

/**
 * S's history: revisions labelled with S's name whose controller owner is
 * absent or S (by uid when both sides have one, else by kind and name), sorted.
 */
export function revisionsOf(set: SidecarSet, revisions: readonly ControllerRevision[]): ControllerRevision[] {
  const name = set.metadata.name ?? "";
  const uid = set.metadata.uid;
  return sortRevisions(
    revisions.filter((r) => {
      if (r.metadata?.labels?.[REVISION_SIDECARSET_NAME_LABEL] !== name) return false;
      const owner = (r.metadata?.ownerReferences ?? []).find((o) => o.controller === true);
      if (!owner) return true;
      if (uid && owner.uid) return owner.uid === uid;
      return owner.kind === KIND && owner.name === name;
    }),
  );
}

export function nextRevisionNumber(sorted: readonly ControllerRevision[]): number {
  const last = sorted[sorted.length - 1];
  return last ? (last.revision ?? 0) + 1 : 1;
}

/** The bytes a stored revision's data stands for (the API returns it decoded). */
export function storedRevisionData(revision: ControllerRevision): string {
  const data: unknown = revision.data;
  return typeof data === "string" ? data : canonicalJson(data ?? null);
}

/** A revision's data as a JSON value. */
function revisionContent(revision: ControllerRevision): unknown {
  const data: unknown = revision.data;
  if (typeof data !== "string") return data ?? null;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return data;
  }
}

/**
 * Whether the revision holds `content` (parsed revision data). Compared by
 * meaning: the API server hands data back re-encoded (`&` as `\u0026`, keys
 * in stored order), so equal specs seldom have equal bytes.
 */
export function revisionHolds(revision: ControllerRevision, content: unknown): boolean {
  return isDeepStrictEqual(revisionContent(revision), content);
}

/**
 * The JSON body that creates `revision`, its data written as Go writes it
 * (sorted keys, `<`, `>` and `&` escaped). The API server keeps a revision's
 * data as the request's bytes and, on every later write of the object
 * (raising `.revision`, a label), re-encodes them the Go way and refuses the
 * write as a change of immutable data if the bytes differ.
 */
export function revisionCreateBody(revision: ControllerRevision): string {
  const { data, ...rest } = revision;
  const head = JSON.stringify(rest);
  const encoded = storedRevisionData({ revision: rest.revision, data });
  return `${head.slice(0, -1)},"data":${encoded}}`;
}

export interface RevisionCandidateOptions {
  /** Manager namespace that holds the revisions. */
  namespace: string;
  revision: number;
  collisionCount: number;
  /** Precomputed `revisionData(set)`; computed when omitted. */
  data?: string;
}

/** The ControllerRevision object for S's current spec. */
export function buildRevision(set: SidecarSet, opts: RevisionCandidateOptions): ControllerRevision {
  const setName = set.metadata.name ?? "";
  const data = opts.data ?? revisionData(set);
  const name = revisionName(setName, data, opts.collisionCount);
  const labels: Record<string, string> = {
    ...(set.metadata.labels ?? {}),
    [REVISION_SIDECARSET_NAME_LABEL]: setName,
    // The suffix holds no "-" (SafeEncode's alphabet), so it follows the last one.
    [REVISION_HASH_LABEL]: name.slice(name.lastIndexOf("-") + 1),
  };
  return {
    apiVersion: "apps/v1",
    kind: "ControllerRevision",
    metadata: {
      name,
      namespace: opts.namespace,
      labels,
      annotations: { ...(set.metadata.annotations ?? {}) },
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: KIND,
          name: setName,
          uid: set.metadata.uid ?? "",
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    data: JSON.parse(data) as object,
    revision: opts.revision,
  };
}

export type RevisionChoice =
  /** The latest revision already holds this spec. */
  | { action: "reuse"; revision: ControllerRevision }
  /** An older revision holds this spec (a rollback): raise its `.revision` to `to`. */
  | { action: "raise"; revision: ControllerRevision; to: number }
  /** No revision holds this spec: create `revision`. */
  | { action: "create"; revision: ControllerRevision };

export interface RegistrationOptions {
  namespace: string;
  /** `status.collisionCount` (0 when unset). */
  collisionCount?: number;
}

/**
 * Chooses the revision of S's current spec from S's sorted history: the newest
 * one with identical data is reused when it is the latest overall, else raised
 * to the next number; with none, a new one is built.
 */
export function chooseRevision(
  set: SidecarSet,
  history: readonly ControllerRevision[],
  opts: RegistrationOptions,
): RevisionChoice {
  const data = revisionData(set);
  const content = JSON.parse(data) as unknown;
  const next = nextRevisionNumber(history);
  let equal: ControllerRevision | undefined;
  for (const r of history) if (revisionHolds(r, content)) equal = r;
  const latest = history[history.length - 1];
  if (equal && latest && equal === latest) return { action: "reuse", revision: latest };
  if (equal) return { action: "raise", revision: equal, to: next };
  return {
    action: "create",
    revision: buildRevision(set, { namespace: opts.namespace, revision: next, collisionCount: opts.collisionCount ?? 0, data }),
  };
}

export type CollisionResolution =
  /** The existing object holds the same data: use it. */
  | { action: "use-existing"; revision: ControllerRevision }
  /** A different revision took the name: bump the collision count and create under the next name. */
  | { action: "retry"; collisionCount: number; revision: ControllerRevision };

/** Creating `candidate` failed with AlreadyExists; `existing` is the object of that name. */
export function resolveNameCollision(
  set: SidecarSet,
  candidate: ControllerRevision,
  existing: ControllerRevision,
  opts: { namespace: string; collisionCount: number },
): CollisionResolution {
  if (revisionHolds(existing, revisionContent(candidate))) return { action: "use-existing", revision: existing };
  const data = storedRevisionData(candidate);
  const collisionCount = opts.collisionCount + 1;
  return {
    action: "retry",
    collisionCount,
    revision: buildRevision(set, { namespace: opts.namespace, revision: candidate.revision ?? 1, collisionCount, data }),
  };
}

/** The history once the choice is applied: the chosen revision last, as the newest. */
export function historyAfter(history: readonly ControllerRevision[], choice: RevisionChoice, chosen: ControllerRevision): ControllerRevision[] {
  if (choice.action === "reuse") return [...history];
  if (choice.action === "raise") return [...history.filter((r) => r !== choice.revision), chosen];
  return [...history, chosen];
}

/** The label patch that puts S's custom version on the chosen revision, or null when it already carries it. */
export function customVersionPatch(set: SidecarSet, revision: ControllerRevision): { metadata: { labels: Record<string, string> } } | null {
  const wanted = set.metadata.labels?.[CUSTOM_VERSION_LABEL];
  if (!wanted || revision.metadata?.labels?.[CUSTOM_VERSION_LABEL] === wanted) return null;
  return { metadata: { labels: { [CUSTOM_VERSION_LABEL]: wanted } } };
}

/**
 * Revisions still in use, which truncation keeps: those a matched pod records
 * for S, the pinned `revisionName`, and the newest revision carrying the pinned
 * custom version.
 */
export function referencedRevisions(set: SidecarSet, history: readonly ControllerRevision[], matched: readonly Pod[]): Set<string> {
  const name = set.metadata.name ?? "";
  const used = new Set<string>();
  for (const pod of matched) {
    const r = podHashRecords(pod)[name]?.controllerRevision;
    if (r) used.add(r);
  }
  const pinned = set.spec.injectionStrategy?.revision;
  if (pinned?.revisionName) used.add(pinned.revisionName);
  if (pinned?.customVersion) {
    const carrying = history.filter((r) => r.metadata?.labels?.[CUSTOM_VERSION_LABEL] === pinned.customVersion);
    const newest = sortRevisions(carrying).pop();
    if (newest?.metadata?.name) used.add(newest.metadata.name);
  }
  return used;
}

export interface Truncation {
  delete: ControllerRevision[];
  /** Revisions above the limit that could not be deleted because they are in use (0 = within the limit). */
  overLimit: number;
  limit: number;
}

/**
 * Oldest-first deletions down to max(1, revisionHistoryLimit) (10 when unset),
 * never the latest (last of `history`) and never a referenced one.
 */
export function revisionsToDelete(set: SidecarSet, history: readonly ControllerRevision[], matched: () => readonly Pod[]): Truncation {
  const configured = set.spec.revisionHistoryLimit;
  const limit = configured === undefined || configured === null ? DEFAULT_REVISION_HISTORY_LIMIT : Math.max(1, configured);
  let excess = history.length - limit;
  if (excess <= 0) return { delete: [], overLimit: 0, limit };
  // Reading every matched pod's records is the costly part: only when over the limit.
  const used = referencedRevisions(set, history, matched());
  const out: ControllerRevision[] = [];
  for (let i = 0; i < history.length - 1 && excess > 0; i++) {
    const r = history[i]!;
    if (used.has(r.metadata?.name ?? "")) continue;
    out.push(r);
    excess--;
  }
  return { delete: out, overLimit: excess, limit };
}
