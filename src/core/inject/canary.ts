// Canary SidecarSets (docs/behaviour.md §5.4): a canary that applies to a pod replaces its
// base SidecarSet on that pod, so a new sidecar version can be tried on a few
// pods while the base keeps serving the rest.
import { CANARY_ANNOTATION, CANARY_BASE_ANNOTATION } from "../../api/keys.js";
import type { SidecarSet } from "../../api/types.js";

/** The base a canary replaces (both annotations set), or undefined when `set` is not a canary. */
export function canaryBaseOf(set: SidecarSet | undefined): string | undefined {
  const annotations = set?.metadata?.annotations;
  if (annotations?.[CANARY_ANNOTATION] !== "true") return undefined;
  const base = annotations[CANARY_BASE_ANNOTATION];
  return base ? base : undefined;
}

export interface CanaryReplacement {
  /** The base SidecarSet dropped from the pod. */
  name: string;
  /** The canary that replaces it. */
  by: string;
}

/**
 * Drops every SidecarSet named as base by a canary in `sets`, keeping order.
 * A canary naming itself (rejected by validation) replaces nothing.
 */
export function dropCanaryBases(sets: readonly SidecarSet[]): { kept: SidecarSet[]; replaced: CanaryReplacement[] } {
  let replacedBy: Map<string, string> | undefined;
  for (const set of sets) {
    const base = canaryBaseOf(set);
    if (base === undefined || base === set.metadata.name) continue;
    replacedBy ??= new Map();
    if (!replacedBy.has(base)) replacedBy.set(base, set.metadata.name ?? "");
  }
  if (!replacedBy) return { kept: [...sets], replaced: [] };
  const kept: SidecarSet[] = [];
  const replaced: CanaryReplacement[] = [];
  for (const set of sets) {
    const by = replacedBy.get(set.metadata.name ?? "");
    if (by === undefined) kept.push(set);
    else replaced.push({ name: set.metadata.name ?? "", by });
  }
  return { kept, replaced };
}
