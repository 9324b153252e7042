// What admission reads of a SidecarSet: its metadata (name, uid, generation,
// labels, annotations with the hashes), its spec and the latest revision in
// its status. The controller rewrites the rest of the status (pod counts)
// as often as once a second per SidecarSet while pods come and go; keeping
// the cached object across such writes keeps what the pod webhook derived
// from it (built sidecars, encoded hash records, parsed selectors, the
// answer memo) instead of working it all out again for the next pod.
import { isDeepStrictEqual } from "node:util";
import type { SidecarSet } from "../api/types.js";

/** Whether `next` differs from `cached` only in what admission never reads (resourceVersion, status counts). */
export function sameSidecarSetForAdmission(cached: SidecarSet, next: SidecarSet): boolean {
  if (cached.status?.latestRevision !== next.status?.latestRevision) return false;
  if (!isDeepStrictEqual(cached.spec, next.spec)) return false;
  const { resourceVersion: _cachedVersion, ...cachedMetadata } = cached.metadata;
  const { resourceVersion: _nextVersion, ...nextMetadata } = next.metadata;
  return isDeepStrictEqual(cachedMetadata, nextMetadata);
}
