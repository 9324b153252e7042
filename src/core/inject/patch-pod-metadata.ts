// patchPodMetadata (docs/behaviour.md §5.5): pod annotations a SidecarSet sets, with three
// policies. Used at injection and again by the in-place upgrade (docs/behaviour.md §6.9 step 4).
import { fieldError, type FieldError } from "../../api/errors.js";
import { canonicalJson } from "../../api/canonical-json.js";
import { isRecord } from "../../api/is-record.js";
import type { SidecarSetPatchPodMetadata } from "../../api/types.js";

/**
 * Applies `patches` to `annotations` in place, in list order:
 * `Retain` (the default) sets a key only when absent; `Overwrite` always sets;
 * `MergePatchJson` sets the value when the key is absent or empty, else stores
 * the RFC 7386 merge of the existing value and the patch. Unknown policies are
 * ignored, as OpenKruise does. Returns the first error (invalid JSON).
 */
export function applyPatchPodMetadata(
  annotations: Record<string, string>,
  patches: readonly SidecarSetPatchPodMetadata[] | undefined,
): FieldError | undefined {
  if (!patches) return undefined;
  for (let i = 0; i < patches.length; i++) {
    const patch = patches[i]!;
    const entries = Object.entries(patch.annotations ?? {});
    switch (patch.patchPolicy ?? "Retain") {
      case "Retain":
        for (const [k, v] of entries) if (!Object.prototype.hasOwnProperty.call(annotations, k)) annotations[k] = v;
        break;
      case "Overwrite":
        for (const [k, v] of entries) annotations[k] = v;
        break;
      case "MergePatchJson":
        for (const [k, v] of entries) {
          const existing = annotations[k];
          if (existing === undefined || existing === "") {
            annotations[k] = v;
            continue;
          }
          const merged = mergePatchJson(existing, v);
          if (!merged.ok) {
            const path =
              merged.side === "existing" ? `metadata.annotations[${k}]` : `spec.patchPodMetadata[${i}].annotations[${k}]`;
            return fieldError(path, merged.error);
          }
          annotations[k] = merged.value;
        }
        break;
      default:
        break;
    }
  }
  return undefined;
}

export type MergeOutcome =
  | { ok: true; value: string }
  | { ok: false; side: "existing" | "patch"; error: string };

/** RFC 7386 merge of two JSON texts, serialized compactly with sorted keys. */
export function mergePatchJson(existing: string, patch: string): MergeOutcome {
  let target: unknown;
  let patchValue: unknown;
  try {
    target = JSON.parse(existing);
  } catch {
    return {
      ok: false,
      side: "existing",
      error: `the pod's value ${truncate(existing)} is not valid JSON, so patchPolicy MergePatchJson cannot merge into it`,
    };
  }
  try {
    patchValue = JSON.parse(patch);
  } catch {
    return {
      ok: false,
      side: "patch",
      error: `${truncate(patch)} is not valid JSON; patchPolicy MergePatchJson needs a JSON object such as {"key":"value"}`,
    };
  }
  return { ok: true, value: canonicalJson(jsonMergePatch(target, patchValue)) };
}

function truncate(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}

/** RFC 7386: objects merge key by key, `null` removes a key, anything else replaces. */
export function jsonMergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return patch;
  const result: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete result[k];
    else result[k] = jsonMergePatch(result[k], v);
  }
  return result;
}

