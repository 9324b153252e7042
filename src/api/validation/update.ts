// What may change on UPDATE (docs/behaviour.md §4.2 #23, #24): no container may be added
// or renamed, and an upgrade type once set is fixed. Everything else — images,
// env, selectors, strategies, initContainers — may change.
import type { SidecarSet } from "../types.js";
import type { Findings } from "./findings.js";
import { childPath, indexPath } from "./paths.js";

export function validateUpdate(set: SidecarSet, old: SidecarSet, f: Findings): void {
  const oldTypes = new Map<string, string>();
  for (const c of old.spec?.containers ?? []) {
    if (c?.name !== undefined) oldTypes.set(c.name, c.upgradeStrategy?.upgradeType ?? "");
  }
  (set.spec?.containers ?? []).forEach((c, i) => {
    if (!c || c.name === undefined) return;
    const p = indexPath("spec.containers", i);
    const oldType = oldTypes.get(c.name);
    if (oldType === undefined) {
      f.error(
        childPath(p, "name"),
        `container ${JSON.stringify(c.name)} does not exist in the current SidecarSet; containers cannot be added or renamed after creation (removing is allowed)`,
      );
      return;
    }
    const newType = c.upgradeStrategy?.upgradeType ?? "";
    if (oldType !== "" && newType !== oldType) {
      f.error(
        childPath(childPath(p, "upgradeStrategy"), "upgradeType"),
        `changed from ${oldType} to ${newType || "\"\""}; the upgrade type of an existing container is immutable`,
      );
    }
  });
}
