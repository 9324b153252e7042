// The RFC 6902 patch the pod webhook answers with (docs/behaviour.md §5.1): field-level
// operations from the submitted pod to the mutated one. Lists the injection
// touched are written whole; annotations key by key. The pod is never diffed
// as a whole: that is slow on big pods and yields a huge patch when a
// container is prepended.
import { escapePointerSegment, type JsonPatchOp } from "../../api/json-patch.js";
import type { Pod } from "../../api/kube-types.js";

const SPEC_LISTS = ["initContainers", "containers", "volumes", "imagePullSecrets"] as const;

/**
 * Operations turning `original` into `mutated`, where `mutated` shares every
 * untouched list with `original` (a changed list is a new array).
 */
export function podPatch(original: Pod, mutated: Pod): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  const origSpec = original.spec as Record<string, unknown> | undefined;
  const newSpec = mutated.spec as Record<string, unknown> | undefined;
  if (newSpec && !origSpec) {
    ops.push({ op: "add", path: "/spec", value: newSpec });
  } else if (newSpec && origSpec) {
    for (const field of SPEC_LISTS) {
      const before = origSpec[field];
      const after = newSpec[field];
      if (after === before || after === undefined) continue;
      ops.push({ op: before === undefined ? "add" : "replace", path: `/spec/${field}`, value: after });
    }
  }

  const origAnnotations = original.metadata?.annotations;
  const newAnnotations = mutated.metadata?.annotations;
  if (newAnnotations && newAnnotations !== origAnnotations) {
    if (!original.metadata) {
      ops.push({ op: "add", path: "/metadata", value: { annotations: newAnnotations } });
    } else if (!origAnnotations) {
      ops.push({ op: "add", path: "/metadata/annotations", value: newAnnotations });
    } else {
      for (const [key, value] of Object.entries(newAnnotations)) {
        if (!Object.prototype.hasOwnProperty.call(origAnnotations, key)) {
          ops.push({ op: "add", path: `/metadata/annotations/${escapePointerSegment(key)}`, value });
        } else if (origAnnotations[key] !== value) {
          ops.push({ op: "replace", path: `/metadata/annotations/${escapePointerSegment(key)}`, value });
        }
      }
    }
  }
  return ops;
}
