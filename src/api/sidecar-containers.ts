// The terms for a SidecarSet's containers (docs/behaviour.md §0) that injection, the
// rollout, validation and the hash all read: one definition each, so that
// what the webhook injects is what the controller later recognises.
import type { SidecarContainer, SidecarSet } from "./types.js";

/** An initContainer with `restartPolicy: Always` runs beside the app: a native sidecar. */
export function isNativeSidecar(c: { restartPolicy?: string } | null | undefined): boolean {
  return c?.restartPolicy === "Always";
}

export function isHotUpgradeContainer(c: SidecarContainer): boolean {
  return c.upgradeStrategy?.upgradeType === "HotUpgrade";
}

/** The two pod containers a HotUpgrade sidecar becomes (docs/behaviour.md §5.8); injection makes the first the working one. */
export function hotUpgradePairNames(sidecarName: string): [first: string, second: string] {
  return [`${sidecarName}-1`, `${sidecarName}-2`];
}

/** The `sidecarList` of a hash record (docs/behaviour.md §3.3): logical container names plus native-sidecar initContainers, sorted. */
export function sidecarListOf(set: SidecarSet): string[] {
  const names = new Set<string>();
  for (const c of set.spec.initContainers ?? []) if (isNativeSidecar(c)) names.add(c.name);
  for (const c of set.spec.containers ?? []) names.add(c.name);
  return [...names].sort();
}
