// Placing the built sidecars into the pod (docs/behaviour.md §5.7). Every function returns
// the pod's own list (same reference) when it changes nothing, which is how
// the JSON patch knows which lists to write.
import type { Container, LocalObjectReference, Volume } from "../../api/kube-types.js";
import type { EmittedContainer } from "./build-sidecar.js";
import { cloneJson } from "./clone.js";

/** Stable sort by container name (initContainers always; containers with the manager flag). */
export function sortEmittedByName(emitted: readonly EmittedContainer[]): EmittedContainer[] {
  return emitted
    .map((e, i) => ({ e, i }))
    .sort((a, b) => {
      const x = a.e.container.name;
      const y = b.e.container.name;
      return x < y ? -1 : x > y ? 1 : a.i - b.i;
    })
    .map(({ e }) => e);
}

/**
 * An emitted container whose name the pod already has replaces it in place;
 * the others go before the pod's list (`BeforeAppContainer`) or after it
 * (`AfterAppContainer`, empty or anything else), keeping emitted order.
 */
export function mergeContainers(
  podList: Container[] | undefined,
  emitted: readonly EmittedContainer[],
): Container[] | undefined {
  if (emitted.length === 0) return podList;
  const existing = podList ?? [];
  const indexByName = new Map<string, number>();
  // With repeated names (an invalid pod) the last one is replaced, as OpenKruise does.
  existing.forEach((c, i) => indexByName.set(c.name, i));
  const middle = [...existing];
  const before: Container[] = [];
  const after: Container[] = [];
  for (const { container, injectPolicy } of emitted) {
    const at = indexByName.get(container.name);
    if (at !== undefined) middle[at] = container;
    else if (injectPolicy === "BeforeAppContainer") before.push(container);
    else after.push(container);
  }
  return [...before, ...middle, ...after];
}

/**
 * The pod's volumes, then injected volumes whose names are new (the pod's definition wins, then the first).
 * Injected volumes are copied unless `shared`: the caller's SidecarSets are never edited (an informer's), and
 * its results are not edited either, as with built sidecars.
 */
export function mergeVolumes(podVolumes: Volume[] | undefined, injected: readonly Volume[], shared = false): Volume[] | undefined {
  if (injected.length === 0) return podVolumes;
  const names = new Set((podVolumes ?? []).map((v) => v.name));
  let out: Volume[] | undefined;
  for (const v of injected) {
    if (names.has(v.name)) continue;
    names.add(v.name);
    out ??= [...(podVolumes ?? [])];
    out.push(shared ? v : cloneJson(v));
  }
  return out ?? podVolumes;
}

/** The pod's secrets de-duplicated by name (first kept), then injected ones not present. */
export function mergeImagePullSecrets(
  podSecrets: LocalObjectReference[] | undefined,
  injected: readonly LocalObjectReference[],
): LocalObjectReference[] | undefined {
  const names = new Set<string>();
  const out: LocalObjectReference[] = [];
  let changed = false;
  for (const s of podSecrets ?? []) {
    const name = s.name ?? "";
    if (names.has(name)) {
      changed = true;
      continue;
    }
    names.add(name);
    out.push(s);
  }
  for (const s of injected) {
    const name = s.name ?? "";
    if (names.has(name)) continue;
    names.add(name);
    out.push(cloneJson(s));
    changed = true;
  }
  return changed ? out : podSecrets;
}
