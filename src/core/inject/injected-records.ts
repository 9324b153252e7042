// The hash records injection writes for one SidecarSet (docs/behaviour.md §3.3, §5.7 step 6).
// Every pod a SidecarSet version injects gets the same records but for their
// timestamp, and Go's encoding of them cost as much as a tenth of an
// admission. SidecarSets come from an informer cache and keep their identity
// until they change, so the encoded fields are kept per SidecarSet object; a
// pinned revision restored for one pod is a new object and is encoded afresh.
import { SIDECARSET_HASH_ANNOTATION, SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION } from "../../api/keys.js";
import { encodeRecordFields, recordWithTimestamp } from "../../api/pod-records.js";
import type { SidecarSet } from "../../api/types.js";

interface EncodedFields {
  /** The sidecarList they were encoded with: the list is passed in, so a different one is not served from here. */
  sidecarList: readonly string[];
  hash: string;
  withoutImage: string;
}

const encodedFields = new WeakMap<SidecarSet, EncodedFields>();

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function encodeFields(set: SidecarSet, sidecarList: readonly string[]): EncodedFields {
  const name = set.metadata.name ?? "";
  const annotations = set.metadata.annotations ?? {};
  const list = [...sidecarList];
  const revision = set.status?.latestRevision;
  return {
    sidecarList: list,
    hash: encodeRecordFields(
      { hash: annotations[SIDECARSET_HASH_ANNOTATION] ?? "", sidecarSetName: name, sidecarList: list, ...(revision ? { controllerRevision: revision } : {}) },
      "hash",
    ),
    withoutImage: encodeRecordFields(
      { hash: annotations[SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION] ?? "", sidecarSetName: name, sidecarList: list },
      "without-image",
    ),
  };
}

/** `set`'s entries of both hash annotations, as injected at `timestamp` (RFC 3339, whole seconds). */
export function injectedRecords(set: SidecarSet, sidecarList: readonly string[], timestamp: string): { hash: string; withoutImage: string } {
  let fields = encodedFields.get(set);
  if (fields === undefined || !sameList(fields.sidecarList, sidecarList)) {
    fields = encodeFields(set, sidecarList);
    encodedFields.set(set, fields);
  }
  return { hash: recordWithTimestamp(timestamp, fields.hash), withoutImage: recordWithTimestamp(timestamp, fields.withoutImage) };
}
