// spec.patchPodMetadata (docs/behaviour.md §4.2 #22, without the whitelist of §4.5):
// every entry sets annotations with a known policy, and each key is patched
// by one entry only.
import type { SidecarSetSpec } from "../types.js";
import type { Findings } from "./findings.js";
import { validateAnnotations } from "./metadata.js";
import { childPath, indexPath, keyPath } from "./paths.js";

export function validatePatchPodMetadata(spec: SidecarSetSpec, f: Findings): void {
  const firstEntry = new Map<string, number>();
  (spec.patchPodMetadata ?? []).forEach((entry, i) => {
    if (!entry) return;
    const p = indexPath("spec.patchPodMetadata", i);
    const annotationsPath = childPath(p, "annotations");
    const annotations = entry.annotations ?? {};
    if (Object.keys(annotations).length === 0 && !f.hasShapeErrorWithin(annotationsPath)) {
      f.error(annotationsPath, "must not be empty; list the pod annotations to set (labels cannot be patched)");
    }
    validateAnnotations(annotations, annotationsPath, f);
    if (!entry.patchPolicy) f.error(childPath(p, "patchPolicy"), "must be set; use Retain, Overwrite or MergePatchJson");
    for (const [key, value] of Object.entries(annotations)) {
      const first = firstEntry.get(key);
      if (first !== undefined) {
        f.error(keyPath(annotationsPath, key), `is already patched by spec.patchPodMetadata[${first}]; patch each annotation in one entry`);
      } else {
        firstEntry.set(key, i);
      }
      if (entry.patchPolicy === "MergePatchJson" && !isJson(value)) {
        f.warn(`${keyPath(annotationsPath, key)}: is not valid JSON; MergePatchJson merges JSON, so creating a pod that already has this annotation would be denied`);
      }
    }
  });
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
