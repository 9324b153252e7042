// Why a pod is not upgradable (docs/behaviour.md §6.6): its recorded
// hash-without-image differs from the SidecarSet's, i.e. something other than
// an image changed. The decision is the hash comparison in candidates.ts; this
// names the fields behind it, by comparing the version the pod runs with the
// current spec over what the hash covers (§3.1): the containers, and the
// initContainers when any of them is a native sidecar.
import { isDeepStrictEqual } from "node:util";
import type { SidecarContainer, SidecarSet } from "../../api/types.js";
import { isNativeSidecar } from "../../api/sidecar-containers.js";

/**
 * Field paths that differ between `before` and `after` besides `image`, as
 * `containers[agent].env`, `containers[agent] added`, `containers[old] removed`.
 * Empty when only images differ (or nothing does).
 */
export function changesBesidesImages(before: SidecarSet, after: SidecarSet): string[] {
  const changes = listChanges("containers", before.spec.containers ?? [], after.spec.containers ?? []);
  const hashedInit = (s: SidecarSet) => ((s.spec.initContainers ?? []).some(isNativeSidecar) ? (s.spec.initContainers ?? []) : []);
  changes.push(...listChanges("initContainers", hashedInit(before), hashedInit(after)));
  return changes;
}

function listChanges(list: string, before: readonly SidecarContainer[], after: readonly SidecarContainer[]): string[] {
  const changes: string[] = [];
  const old = new Map(before.map((c) => [c.name, c]));
  for (const c of after) {
    const was = old.get(c.name);
    if (!was) {
      changes.push(`${list}[${c.name}] added`);
      continue;
    }
    old.delete(c.name);
    const fields = new Set([...Object.keys(was), ...Object.keys(c)]);
    fields.delete("image");
    for (const f of [...fields].sort()) {
      const a = (was as unknown as Record<string, unknown>)[f];
      const b = (c as unknown as Record<string, unknown>)[f];
      if (!isDeepStrictEqual(a, b)) changes.push(`${list}[${c.name}].${f}`);
    }
  }
  for (const name of old.keys()) changes.push(`${list}[${name}] removed`);
  // The hash reads the list in order: a reorder alone makes pods not upgradable.
  if (changes.length === 0 && before.length === after.length && before.some((c, i) => c.name !== after[i]!.name)) {
    changes.push(`${list}: order`);
  }
  return changes;
}
