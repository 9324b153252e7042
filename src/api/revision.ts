// ControllerRevision data and names (docs/behaviour.md §3.2), bit-compatible with
// OpenKruise so that revisions it created are found and reused.
import { encodeGoJsonList, type GoJsonOptions } from "./canonical-json.js";
import { safeEncode } from "./hash.js";
import type { SidecarSet } from "./types.js";

/** Kubernetes truncates the prefix of a revision name to this length. */
const MAX_REVISION_PREFIX = 223;

const SORTED: GoJsonOptions = { sortKeys: true };

/**
 * The revision's `data`: the parts of the spec a revision restores, as a
 * strategic-merge patch that replaces them. Keys are sorted at every level and
 * absent or empty lists are `null`, as OpenKruise's round trip through generic
 * maps produces.
 */
export function revisionData(set: SidecarSet): string {
  const spec = set.spec ?? {};
  return (
    `{"spec":{"$patch":"replace"` +
    `,"containers":${listOrNull(spec.containers, "SidecarContainer")}` +
    `,"imagePullSecrets":${listOrNull(spec.imagePullSecrets, "LocalObjectReference")}` +
    `,"initContainers":${listOrNull(spec.initContainers, "SidecarContainer")}` +
    `,"patchPodMetadata":${listOrNull(spec.patchPodMetadata, "SidecarSetPatchPodMetadata")}` +
    `,"volumes":${listOrNull(spec.volumes, "Volume")}}}`
  );
}

/** The spec fields are `omitempty` slices: an empty list is dropped like an absent one. */
function listOrNull(values: unknown, type: Parameters<typeof encodeGoJsonList>[1]): string {
  if (!Array.isArray(values) || values.length === 0) return "null";
  return encodeGoJsonList(values, type, SORTED);
}

const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

/** 32-bit FNV-1 (multiply, then xor) over the UTF-8 bytes of `text`, continuing from `hash`. */
function fnv1(hash: number, text: string): number {
  let h = hash;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      h = Math.imul(h, FNV32_PRIME) ^ c;
      continue;
    }
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    // An unpaired surrogate is encoded as U+FFFD, as UTF-8 conversion does.
    if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
    const bytes =
      c < 0x800
        ? [0xc0 | (c >> 6), 0x80 | (c & 0x3f)]
        : c < 0x10000
          ? [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)]
          : [0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)];
    for (const b of bytes) h = Math.imul(h, FNV32_PRIME) ^ b;
  }
  return h >>> 0;
}

/** FNV-1 of the data followed by the decimal collision count (exported for diagnostics and tests). */
export function revisionFnv(data: string, collisionCount: number): number {
  return fnv1(fnv1(FNV32_OFFSET, data), String(Math.trunc(collisionCount)));
}

/** The part after `<name>-`: SafeEncode of the decimal FNV-1 value. Also the `controller.kubernetes.io/hash` label. */
export function revisionHashSuffix(data: string, collisionCount: number): string {
  return safeEncode(String(revisionFnv(data, collisionCount)));
}

/** `<sidecarset name>-<suffix>`, the prefix cut to 223 characters as Kubernetes does. */
export function revisionName(setName: string, data: string, collisionCount: number): string {
  return `${setName.slice(0, MAX_REVISION_PREFIX)}-${revisionHashSuffix(data, collisionCount)}`;
}
